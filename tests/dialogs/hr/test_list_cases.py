"""My cases: open by default, closed or all on request, five a page, each row opens its details."""

from __future__ import annotations

from typing import Any

from tests.cards.schema import assert_valid_card
from tests.dialogs.hr.conftest import HRBed, actions
from tests.e2e.harness import card_of


def _rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    container: dict[str, Any] = next(
        (e for e in page["body"] if e["type"] == "Container"), {"items": []}
    )
    return [row["selectAction"]["data"] for row in container["items"]]


async def _open_cases_for_abel(bed: HRBed, count: int) -> None:
    abel = await bed.emulator.user_sys_id("abel.tuter")
    for index in range(count):
        await bed.emulator.create_case_for(abel, f"Extra question {index}")


async def test_my_cases_pages_by_five_and_rows_open_details(bed: HRBed) -> None:
    """User: "my HR cases" → Abel's open cases 1–5 of 7 with Next; Next → 6–7 with Previous;
    a row's Details → that case's details card."""
    await _open_cases_for_abel(bed, 3)
    first = card_of((await bed.chat.say("my HR cases"))[0])
    assert_valid_card(first)
    assert first["body"][0]["text"] == "Your open HR cases: 1–5 of 7"
    assert len(_rows(first)) == 5
    assert "Previous" not in actions(first)

    second = card_of((await bed.chat.press(actions(first)["Next"]["data"]))[0])
    assert second["body"][0]["text"] == "Your open HR cases: 6–7 of 7"
    assert "Next" not in actions(second)
    assert actions(second)["Previous"]["data"]["offset"] == 0

    row = _rows(second)[0]
    details = card_of((await bed.chat.press(row))[0])
    facts = next(e for e in details["body"] if e["type"] == "FactSet")["facts"]
    assert facts[0]["value"] == row["number"]


async def test_closed_and_all_on_request(bed: HRBed) -> None:
    """User: "show my closed HR cases" → Abel's one closed case; "Show all" → all five."""
    closed = card_of((await bed.chat.say("show my closed HR cases"))[0])
    assert closed["body"][0]["text"] == "Your closed HR cases: 1–1 of 1"
    everything = card_of((await bed.chat.press(actions(closed)["Show all"]["data"]))[0])
    assert everything["body"][0]["text"] == "Your HR cases: 1–5 of 5"


async def test_no_cases_says_so_and_offers_to_open_one(bed: HRBed) -> None:
    """Abel's open cases all closed by HR → User: "my HR cases" → "You have no open HR cases."
    with an "Ask HR" button that starts the create-case form."""
    for row in await bed.emulator.cases("opened_for.user_name=abel.tuter^active=true"):
        await bed.emulator.update_case(row["number"], {"state": "3"})
    empty = card_of((await bed.chat.say("my HR cases"))[0])
    assert_valid_card(empty)
    assert empty["body"][0]["text"] == "You have no open HR cases."
    form = card_of((await bed.chat.press(actions(empty)["Ask HR"]["data"]))[0])
    assert form["body"][0]["text"] == "Ask HR"


async def test_a_tampered_paging_button_falls_back_to_the_first_page(bed: HRBed) -> None:
    """A paging button with a garbage offset and filter → the first page of open cases."""
    page = card_of(
        (await bed.chat.press({"verb": "hr.list_cases.page", "offset": "x", "filter": "^OR"}))[0]
    )
    assert page["body"][0]["text"] == "Your open HR cases: 1–4 of 4"
