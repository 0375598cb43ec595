"""The search message extension, through /api/messages and the embedded ServiceNow emulator:
each employee finds only their own tickets and cases, and gets their card to insert."""

from __future__ import annotations

from typing import Any

from dialogs.base import OWNER
from tests.cards.schema import assert_valid_card
from tests.desk import ABEL, BETH, EmulatorAdmin, bot_and_emulator, desk_settings, form_inputs
from tests.e2e.harness import Conversation, card_of, texts_of
from tests.e2e.test_universal_actions import answered_card, buttons, execute, in_teams

THUMBNAIL = "application/vnd.microsoft.card.thumbnail"


async def search(chat: Conversation, text: str) -> dict[str, Any]:
    """Type `text` into the compose box's Snowdesk search: the composeExtension result."""
    value = {
        "commandId": "searchRecords",
        "parameters": [{"name": "searchQuery", "value": text}],
        "queryOptions": {"skip": 0, "count": 25},
    }
    invoke = chat.activity("invoke", name="composeExtension/query", value=value)
    response = await chat.post(invoke)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["composeExtension"]
    return result


def numbers(result: dict[str, Any]) -> list[str]:
    """The record numbers the result list shows (each preview's title)."""
    assert result["type"] == "result" and result["attachmentLayout"] == "list"
    return [item["preview"]["content"]["title"] for item in result["attachments"]]


async def open_ticket(chat: Conversation, words: str) -> str:
    """Say `words`, submit the pre-filled form; the new ticket's number."""
    form = card_of((await chat.say(words))[-1])
    ticket = answered_card(await execute(chat, buttons(form)["Submit"], **form_inputs(form)))
    return texts_of(ticket)[0].removeprefix("I've opened ")


async def test_each_employee_finds_only_their_own_tickets_and_cases() -> None:
    """Abel and Beth each open a ticket. Abel's empty search → his latest records only (his
    new ticket first, nothing of Beth's); his words → his ticket; Beth's number → nothing;
    Beth's empty search → her ticket, none of Abel's. A result inserts Abel's ticket card,
    made for him (its buttons and refresh are his), with a thumbnail preview."""
    async with bot_and_emulator(desk_settings("me-search")) as (chat, http):
        admin = EmulatorAdmin(http)
        abel, beth = in_teams(chat, ABEL), in_teams(chat, BETH)
        mine = await open_ticket(abel, "my docking station flickers")
        hers = await open_ticket(beth, "the projector in room 4 is dead")
        abels = {
            row["number"]
            for table, field in (("incident", "caller_id"), ("sn_hr_core_case", "opened_for"))
            for row in await admin.records(table, f"{field}.user_name=abel.tuter")
        }

        latest = await search(abel, "")
        assert numbers(latest)[0] == mine
        assert set(numbers(latest)) <= abels and hers not in numbers(latest)

        assert numbers(await search(abel, "docking")) == [mine]
        assert numbers(await search(abel, mine.lower())) == [mine]
        assert numbers(await search(abel, hers)) == []
        assert numbers(await search(abel, "projector")) == []

        beths = numbers(await search(beth, ""))
        assert beths[0] == hers and mine not in beths and not set(beths) & abels

        (result,) = (await search(abel, "docking"))["attachments"]
        assert result["preview"]["contentType"] == THUMBNAIL
        assert result["preview"]["content"]["subtitle"] == "My docking station flickers"
        card = result["content"]
        assert result["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert_valid_card(card)
        assert texts_of(card)[0] == f"I've opened {mine}"
        assert card["refresh"]["userIds"] == [ABEL["id"]]
        assert {a["data"][OWNER] for a in card["actions"] if "data" in a} == {ABEL["id"]}


async def test_a_search_that_could_widen_the_query_is_refused_in_one_sentence() -> None:
    """Abel types ServiceNow query syntax into the search box → one sentence, no results."""
    async with bot_and_emulator(desk_settings("me-unsafe")) as (chat, _):
        abel = in_teams(chat, ABEL)
        result = await search(abel, "x^ORactive=true")
        assert result == {
            "type": "message",
            "text": "Sorry, I can't do that: I can only search for words and numbers.",
        }
