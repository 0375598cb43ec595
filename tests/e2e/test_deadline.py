"""Inside Teams' deadline: a slow or hanging ServiceNow never holds /api/messages.

Teams redelivers an activity whose POST is not answered within ~15 s; the bot answers after
`SNOWDESK_ACK_SECONDS` (here 0.5 s) and the turn finishes in the background, reaching the
user through the connector with the result or a clear failure.
"""

from __future__ import annotations

from bot.config import Settings
from bot.deadline import INVOKE_ACCEPTED, STILL_WORKING
from servicenow.client import RetryPolicy
from tests.desk import ABEL, EmulatorAdmin, bot_and_emulator, desk_settings, form_inputs
from tests.e2e.harness import card_of, texts_of
from tests.e2e.test_universal_actions import buttons, execute, in_teams

# One attempt that gives up after 1 s of silence: the failure arrives quickly in the test.
IMPATIENT = RetryPolicy(attempts=1, read_timeout=1.0, budget=2.0)


def _settings(name: str) -> Settings:
    return desk_settings(name).model_copy(update={"ack_seconds": 0.5})


async def test_hanging_servicenow_gets_an_answer_at_once_and_a_clear_failure_later() -> None:
    """ServiceNow hangs; user: "my tickets" → HTTP 202 at the deadline, "still waiting", then
    "ServiceNow isn't answering… (reference …)" in the chat; nothing is redelivered."""
    async with bot_and_emulator(_settings("deadline-hang"), IMPATIENT) as (chat, http):
        await EmulatorAdmin(http).faults(hang_next=50, hang_seconds=30)
        since = len(chat.connector.activities)
        response = await chat.post(chat.activity("message", text="my tickets"))
        assert response.status_code == 202
        failure = await chat.connector.message_where(
            lambda m: "isn't answering" in (m.get("text") or ""), since
        )
        assert "reference" in failure["text"]
        texts = [m.get("text") for m in chat.connector.replies(since)]
        assert STILL_WORKING in texts
        kinds = [a["type"] for a in chat.connector.activities[since:]]
        assert kinds[0] == "typing", "the indicator comes before the note and the failure"
        await EmulatorAdmin(http).faults(hang_next=0)


async def test_slow_servicenow_result_arrives_after_the_acknowledgement() -> None:
    """ServiceNow stalls 1.5 s once; user: "my tickets" → HTTP 202, then the list card."""
    patient = RetryPolicy(attempts=1, read_timeout=10.0, budget=15.0)
    async with bot_and_emulator(_settings("deadline-slow"), patient) as (chat, http):
        await EmulatorAdmin(http).faults(hang_next=1, hang_seconds=1.5)
        since = len(chat.connector.activities)
        response = await chat.post(chat.activity("message", text="my tickets"))
        assert response.status_code == 202
        listing = await chat.connector.message_where(lambda m: bool(m.get("attachments")), since)
        assert listing["attachments"][0]["content"]["body"][0]["text"].startswith("Your open")


async def test_a_slow_submit_in_teams_posts_its_ticket_card_after_the_acknowledgement() -> None:
    """Teams: the ticket form's Submit (an invoke) while ServiceNow stalls 1.5 s → the invoke
    is acknowledged at the deadline ("Working on it"), then the ticket card, which could no
    longer replace the form, arrives in the chat: nothing is lost."""
    patient = RetryPolicy(attempts=1, read_timeout=10.0, budget=15.0)
    async with bot_and_emulator(_settings("deadline-invoke"), patient) as (chat, http):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        await EmulatorAdmin(http).faults(hang_next=1, hang_seconds=1.5)
        since = len(chat.connector.activities)
        body = await execute(abel, buttons(form)["Submit"], **form_inputs(form))
        assert body["value"] == INVOKE_ACCEPTED
        ticket = await chat.connector.message_where(lambda m: bool(m.get("attachments")), since)
        assert texts_of(card_of(ticket))[0].startswith("I've opened INC")


async def test_an_answer_within_a_moment_comes_without_a_typing_indicator() -> None:
    """ServiceNow answers at once; user: "my tickets" → the list card, and no typing indicator
    flickers before it (one connector request per turn, not two)."""
    async with bot_and_emulator(desk_settings("deadline-fast")) as (chat, _http):
        since = len(chat.connector.activities)
        replies = await chat.say("my tickets")
        assert card_of(replies[-1])["body"][0]["text"].startswith("Your open")
        assert [a["type"] for a in chat.connector.activities[since:]] == ["message"]
