"""Universal Actions in Teams, through /api/messages and the embedded ServiceNow emulator: an
`adaptiveCard/action` invoke is answered with the card that replaces the clicked one."""

from __future__ import annotations

from typing import Any

from dialogs.base import OWNER
from dialogs.forms import CANCELLED
from tests.cards.schema import assert_valid_card
from tests.desk import (
    ABEL,
    BETH,
    TEAMS_PROFILES,
    TEAMS_TENANT,
    EmulatorAdmin,
    bot_and_emulator,
    desk_settings,
    form_inputs,
    form_submit,
)
from tests.e2e.harness import Conversation, card_of, texts_of

CARD = "application/vnd.microsoft.card.adaptive"


def in_teams(chat: Conversation, user: dict[str, str]) -> Conversation:
    """`user`'s personal chat with the bot in Teams (the connector knows their profile)."""
    chat.channel_id = "msteams"
    chat.conversation = {"conversationType": "personal", "tenantId": TEAMS_TENANT}
    chat.extra = {"channelData": {"tenant": {"id": TEAMS_TENANT}}}
    chat.connector.members.update(TEAMS_PROFILES)
    return chat.as_member(user)


async def execute(
    chat: Conversation, action: dict[str, Any], trigger: str = "manual", **inputs: Any
) -> dict[str, Any]:
    """Press an Action.Execute (or let Teams run a card's refresh): the invoke's answer body.
    Teams merges the card's input values into the action's data, as `inputs` does here."""
    value = {
        "action": {
            "type": "Action.Execute",
            "verb": action["verb"],
            "data": {**action["data"], **inputs},
        },
        "trigger": trigger,
    }
    response = await chat.post(chat.activity("invoke", name="adaptiveCard/action", value=value))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answered_card(body: dict[str, Any]) -> dict[str, Any]:
    """The card an invoke answered with (fails on any other answer)."""
    assert body["statusCode"] == 200 and body["type"] == CARD, body
    card: dict[str, Any] = body["value"]
    assert_valid_card(card)
    return card


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's top-level actions by title."""
    return {action["title"]: action for action in card.get("actions", [])}


def facts(card: dict[str, Any]) -> dict[str, str]:
    """The card's facts by title."""
    (fact_set,) = [item for item in card["body"] if item["type"] == "FactSet"]
    return {fact["title"]: fact["value"] for fact in fact_set["facts"]}


def messages_with_cards(chat: Conversation, since: int) -> list[dict[str, Any]]:
    return [a for a in chat.connector.replies(since) if a.get("attachments")]


async def test_a_submitted_form_becomes_the_ticket_card_in_place() -> None:
    """Abel in Teams: "my laptop won't boot" → the form, its buttons Action.Execute; Submit
    (an invoke) → the invoke answers with the ticket card, which refreshes for Abel alone;
    no second card is posted into the chat."""
    async with bot_and_emulator(desk_settings("ua-submit")) as (chat, _):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        submit = buttons(form)["Submit"]
        assert submit["type"] == "Action.Execute" and submit["verb"] == "it.create_ticket.submit"
        assert submit["fallback"]["type"] == "Action.Submit"

        since = len(chat.connector.activities)
        ticket = answered_card(await execute(abel, submit, **form_inputs(form)))

        number = texts_of(ticket)[0].removeprefix("I've opened ")
        assert number.startswith("INC")
        assert ticket["refresh"]["userIds"] == [ABEL["id"]]
        assert ticket["refresh"]["action"]["data"]["number"] == number
        assert messages_with_cards(chat, since) == []


async def test_cancel_after_create_answers_with_the_records_card_never_nothing_created() -> None:
    """Abel submits the ticket form, then presses its Cancel (the old card, from another
    device) → the ticket's card, not "Nothing was created". A form never submitted → its
    Cancel says nothing was created."""
    async with bot_and_emulator(desk_settings("ua-cancel")) as (chat, _):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        created = answered_card(await execute(abel, buttons(form)["Submit"], **form_inputs(form)))

        since = len(chat.connector.activities)
        after = answered_card(await execute(abel, buttons(form)["Cancel"]))
        assert texts_of(after)[0] == texts_of(created)[0]
        assert CANCELLED not in [a.get("text") for a in chat.connector.replies(since)]

        fresh = card_of((await abel.say("my laptop won't boot"))[-1])
        since = len(chat.connector.activities)
        body = await execute(abel, buttons(fresh)["Cancel"])
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert [a.get("text") for a in chat.connector.replies(since)] == [CANCELLED]


async def test_cancel_after_create_in_the_emulator_too() -> None:
    """The Emulator (Action.Submit, message activities): the HR case form submitted, then its
    Cancel pressed → the case card again, never "Nothing was created"."""
    async with bot_and_emulator(desk_settings("ua-cancel-emulator")) as (chat, _):
        form = card_of((await chat.say("I have a question about my payslip"))[-1])
        assert {a["type"] for a in form["actions"]} == {"Action.Submit"}
        created = card_of((await chat.press(form_submit(form)))[-1])
        replies = await chat.press(form["actions"][1]["data"])
        assert [a.get("text") for a in replies if a.get("text")] == []
        assert texts_of(card_of(replies[-1]))[0] == texts_of(created)[0]


async def test_a_closed_tickets_card_refreshes_without_its_stale_buttons() -> None:
    """Abel's ticket details offer Add a comment / Change urgency; an agent closes the
    ticket; Teams refreshes the card for Abel → the details as they are now, without the
    buttons that would change a closed ticket. Nothing is posted into the chat."""
    async with bot_and_emulator(desk_settings("ua-refresh")) as (chat, http):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        ticket = answered_card(await execute(abel, buttons(form)["Submit"], **form_inputs(form)))
        details = answered_card(await execute(abel, buttons(ticket)["Details"]))
        assert {"Add a comment", "Change urgency"} <= set(buttons(details))
        assert details["refresh"]["userIds"] == [ABEL["id"]]

        number = texts_of(details)[0]
        (row,) = await EmulatorAdmin(http).records("incident", f"number={number}")
        await EmulatorAdmin(http).patch(
            "incident",
            row["sys_id"],
            {"state": "7", "close_code": "Solution provided", "close_notes": "Replaced."},
        )

        since = len(chat.connector.activities)
        now = answered_card(await execute(abel, details["refresh"]["action"], "automatic"))
        assert texts_of(now)[0] == number
        assert facts(now)["State"] == "Closed"
        assert not {"Add a comment", "Change urgency", "Add a file"} & set(buttons(now))
        assert chat.connector.replies(since) == []


async def test_someone_elses_refresh_gets_the_neutral_view() -> None:
    """Abel's ticket card seen by Beth (a shared chat, "Refresh card"): her refresh invoke
    answers with a card that names nothing of Abel's ticket; Abel's own refresh shows it."""
    async with bot_and_emulator(desk_settings("ua-neutral")) as (chat, _):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        ticket = answered_card(await execute(abel, buttons(form)["Submit"], **form_inputs(form)))
        refresh = ticket["refresh"]["action"]
        assert refresh["data"][OWNER] == ABEL["id"]

        beth = abel.as_member(BETH)
        neutral = answered_card(await execute(beth, refresh))
        number = refresh["data"]["number"]
        shown = " ".join(texts_of(neutral))
        assert number not in str(neutral) and "someone else's" in shown
        assert "refresh" not in neutral and not neutral.get("actions")

        mine = answered_card(await execute(abel, refresh, "automatic"))
        assert texts_of(mine)[0] == f"I've opened {number}"


async def test_an_invoke_that_makes_no_card_still_gets_an_answer() -> None:
    """A button of a card made for someone else (not a refresh) → the refusal as a message,
    and the invoke answers with a short message rather than a card."""
    async with bot_and_emulator(desk_settings("ua-refusal")) as (chat, _):
        abel = in_teams(chat, ABEL)
        action = {"verb": "it.list_tickets", "data": {"verb": "it.list_tickets", OWNER: "29:x"}}
        since = len(chat.connector.activities)
        body = await execute(abel, action)
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert "made for someone else" in chat.connector.replies(since)[-1]["text"]


async def test_in_a_group_chat_a_records_button_answers_in_the_personal_chat() -> None:
    """Abel's ticket card in a group chat (inserted from the search): Abel presses Updates →
    the invoke answers with the pointer, the updates reach his personal chat only; Beth's
    refresh of the same card → the neutral view; Abel's → his ticket, privately in place."""
    async with bot_and_emulator(desk_settings("ua-group")) as (chat, _):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("my laptop won't boot"))[-1])
        ticket = answered_card(await execute(abel, buttons(form)["Submit"], **form_inputs(form)))
        number = ticket["refresh"]["action"]["data"]["number"]

        abel.conversation_id = "group-1"
        abel.conversation = {
            "conversationType": "groupChat",
            "isGroup": True,
            "tenantId": TEAMS_TENANT,
        }
        beth = abel.as_member(BETH)
        since = len(chat.connector.activities)
        body = await execute(abel, buttons(ticket)["Updates"])
        assert body["value"].startswith("Abel, I've answered you in our personal chat")
        assert chat.connector.in_conversation("group-1", since) == []
        (updates,) = chat.connector.in_conversation(f"personal-{ABEL['id']}", since)
        assert updates["text"].startswith(number)

        refresh = ticket["refresh"]["action"]
        assert "someone else's" in " ".join(texts_of(answered_card(await execute(beth, refresh))))
        assert texts_of(answered_card(await execute(abel, refresh)))[0] == f"I've opened {number}"
        assert chat.connector.in_conversation("group-1", since) == []


async def test_hr_mirrors_it_the_case_form_becomes_the_case_card_which_refreshes() -> None:
    """Abel in Teams: "I have a question about my payslip" → the case form; Submit → the case
    card in place, refreshing for Abel; its Details → the details card in place; the case
    card's refresh → the case card again, as the case is now."""
    async with bot_and_emulator(desk_settings("ua-hr")) as (chat, _):
        abel = in_teams(chat, ABEL)
        form = card_of((await abel.say("I have a question about my payslip"))[-1])
        case = answered_card(await execute(abel, buttons(form)["Submit"], **form_inputs(form)))
        heading = texts_of(case)[0]
        assert heading.startswith("Your HR case HRC") and case["refresh"]["userIds"] == [ABEL["id"]]
        number = case["refresh"]["action"]["data"]["number"]

        details = answered_card(await execute(abel, buttons(case)["Details"]))
        assert texts_of(details)[0] == number and "Add a comment" in buttons(details)
        again = answered_card(await execute(abel, case["refresh"]["action"], "automatic"))
        assert texts_of(again)[0] == heading
