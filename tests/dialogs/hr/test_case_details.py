"""Case details: the latest case or a numbered one, only ever the user's own; comments from the card."""

from __future__ import annotations

from typing import Any

from dialogs.hr._common import NOT_FOUND
from tests.cards.schema import assert_valid_card
from tests.dialogs.hr.conftest import HRBed, actions
from tests.e2e.harness import card_of


def _facts(details: dict[str, Any]) -> dict[str, str]:
    fact_set = next(e for e in details["body"] if e["type"] == "FactSet")
    return {f["title"]: f["value"] for f in fact_set["facts"]}


async def _number(bed: HRBed, query: str) -> str:
    rows = await bed.emulator.cases(f"{query}^ORDERBYDESCsys_updated_on")
    number: str = rows[0]["number"]
    return number


async def test_show_my_hr_case_opens_the_latest_one(bed: HRBed) -> None:
    """User: "show my HR case" → the details card of Abel's most recently updated case:
    facts, latest visible comment, Updates / Add a comment / Open in ServiceNow."""
    latest = await _number(bed, "opened_for.user_name=abel.tuter")
    # Make the latest case an open one, as after an agent's reply.
    await bed.emulator.update_case(latest, {"state": "10"})
    replies = await bed.chat.say("show my HR case")
    details = card_of(replies[0])
    assert_valid_card(details)
    facts = _facts(details)
    assert facts["Number"] == latest
    assert {"Service", "State", "Priority", "Opened", "Updated", "Assigned to"} <= set(facts)
    assert list(actions(details)) == ["Add a comment", "Updates", "Open in ServiceNow"]
    assert "Verified employee record." not in str(details)  # work notes never shown


async def test_details_of_a_number_the_user_owns(bed: HRBed) -> None:
    """User: "details of <Abel's closed case>" → its card; closed, so no Add a comment."""
    closed = await _number(bed, "opened_for.user_name=abel.tuter^active=false")
    details = card_of((await bed.chat.say(f"details of {closed}"))[0])
    assert _facts(details)["Number"] == closed
    assert "Add a comment" not in actions(details)
    assert "This is done on our side." in str(details)  # the latest customer-visible comment


async def test_someone_elses_case_and_a_missing_one_get_the_same_answer(bed: HRBed) -> None:
    """User: "details of <Beth's case>" → "I can't find that HR case"; the same for a number that
    does not exist, so nobody learns that another person's case exists."""
    beths = await _number(bed, "opened_for.user_name=beth.anglin")
    assert [r.get("text") for r in await bed.chat.say(f"details of {beths}")] == [NOT_FOUND]
    assert [r.get("text") for r in await bed.chat.say("details of HRC0999999")] == [NOT_FOUND]
    pressed = await bed.chat.press({"verb": "hr.case_details", "number": beths})
    assert [r.get("text") for r in pressed] == [NOT_FOUND]


async def test_add_a_comment_from_the_card_once_even_when_pressed_twice(bed: HRBed) -> None:
    """User: "show my HR case" → card; Add a comment → types "Any update?" → Send → "Thanks, I've
    added your comment" + refreshed card; the same Send delivered again adds nothing more."""
    open_case = await _number(bed, "opened_for.user_name=abel.tuter^active=true")
    details = card_of((await bed.chat.say(f"details of {open_case}"))[0])
    send = actions(details)["Add a comment"]["card"]["actions"][0]["data"]
    number = send["number"]
    replies = await bed.chat.press({**send, "comment": "Any update?"})
    assert replies[0].get("text") == f"Thanks, I've added your comment to {number}."
    assert "Any update?" in str(card_of(replies[1]))
    await bed.chat.press({**send, "comment": "Any update?"})
    journal = await bed.emulator.journal(number)
    # Service mode: ServiceNow sees the integration account, so the comment names its author.
    written = "Written by Abel Tuter through Snowdesk:\nAny update?"
    assert [entry for entry in journal if entry.endswith("Any update?")] == [written]


async def test_an_empty_or_unsendable_comment_is_refused_politely(bed: HRBed) -> None:
    """User: Send with no text → "Please fill in your comment."; with a control character →
    "contains characters I can't send"; on a closed case → "Sorry, I can't do that: … is closed."""
    closed = await _number(bed, "opened_for.user_name=abel.tuter^active=false")
    open_case = await _number(bed, "opened_for.user_name=abel.tuter^active=true")
    verb = {"verb": "hr.case_details.comment", "comment_key": "k"}
    empty = await bed.chat.press({**verb, "number": open_case, "comment": "  "})
    assert empty[0].get("text") == "Please fill in your comment."
    bell = await bed.chat.press({**verb, "number": open_case, "comment": "ring\x07"})
    assert "characters I can't send" in (bell[0].get("text") or "")
    on_closed = await bed.chat.press({**verb, "number": closed, "comment": "Reopen please"})
    assert on_closed[0].get("text") == f"Sorry, I can't do that: {closed} is closed."
