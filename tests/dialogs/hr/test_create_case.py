"""Create an HR case: one sentence, one Submit; drafts never lost, never doubled."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from flows import hr
from tests.cards.schema import assert_valid_card
from tests.desk import form_inputs as inputs
from tests.dialogs.hr.conftest import HRBed, actions
from tests.e2e.harness import card_of


async def _form(bed: HRBed, sentence: str) -> dict[str, Any]:
    replies = await bed.chat.say(sentence)
    assert len(replies) == 1
    form = card_of(replies[0])
    assert_valid_card(form)
    return form


def _chosen_service(form: dict[str, Any]) -> str:
    choice_set = next(e for e in form["body"] if e["type"] == "Input.ChoiceSet")
    titles = {c["value"]: c["title"] for c in choice_set["choices"]}
    return titles.get(choice_set.get("value", ""), "")


async def test_one_sentence_and_one_submit_open_a_case(bed: HRBed) -> None:
    """User: "I have a question about my payslip" → bot: form, Payroll Inquiry chosen, subject
    filled. User: Submit unchanged → bot: case card (number, service, state, opened, links)."""
    form = await _form(bed, "I have a question about my payslip")
    assert _chosen_service(form) == "Payroll · Payroll Inquiry"
    assert inputs(form)["subject"] == "I have a question about my payslip"

    submit = actions(form)["Submit"]["data"]
    replies = await bed.chat.press({**submit, **inputs(form)})
    answer = card_of(replies[0])
    assert_valid_card(answer)
    number = answer["body"][0]["text"].split()[3]
    assert number.startswith("HRC")
    assert set(actions(answer)) == {"Details", "Updates", "Open in ServiceNow"}
    assert actions(answer)["Updates"]["data"] == {
        "verb": "hr.case_updates",
        "number": number,
        "for": "user-1",  # the card acts only for the person it was made for
    }
    stored = await bed.emulator.cases(f"number={number}")
    assert stored[0]["short_description"] == "I have a question about my payslip"
    assert stored[0]["opened_for"] == "Abel Tuter"


async def test_invalid_and_oversized_inputs_come_back_with_the_users_values(bed: HRBed) -> None:
    """User: "open an HR case" → empty form. Submit with no service and a 161-character subject
    → the same form with both problems and the typed text. Control characters → refused.
    Fixed values → the case is created."""
    form = await _form(bed, "open an HR case")
    assert _chosen_service(form) == ""
    submit = actions(form)["Submit"]["data"]
    too_long = "x" * 161
    again = card_of((await bed.chat.press({**submit, "subject": too_long, "description": "d"}))[0])
    problems = [b["text"] for b in again["body"] if b.get("color") == "Attention"]
    assert any("choose" in p.lower() or "what it is about" in p.lower() for p in problems)
    assert any("too long: 161 characters, at most 160" in p for p in problems)
    assert inputs(again)["subject"] == too_long
    assert inputs(again)["description"] == "d"

    values = {"service_sys_id": _a_service(form), "subject": "Bad\x07bell"}
    bell = card_of((await bed.chat.press({**submit, **values}))[0])
    assert any("characters I can't send" in b.get("text", "") for b in bell["body"])
    assert await bed.emulator.cases("short_descriptionLIKEbell") == []

    done = await bed.chat.press({**submit, **values, "subject": "Correct my address"})
    assert card_of(done[0])["body"][0]["text"].startswith("Your HR case HRC")


def _a_service(form: dict[str, Any]) -> str:
    choice_set = next(e for e in form["body"] if e["type"] == "Input.ChoiceSet")
    value: str = choice_set["choices"][0]["value"]
    return value


async def test_servicenow_down_keeps_the_draft_and_retry_creates_the_case(bed: HRBed) -> None:
    """User: "my payslip is wrong for March" → form. ServiceNow fails → Submit → "ServiceNow isn't
    answering ... (reference …)" and the same form with Retry. ServiceNow back → Retry → case."""
    form = await _form(bed, "my payslip is wrong for March")
    submit = {**actions(form)["Submit"]["data"], **inputs(form)}
    await bed.emulator.faults(error_next=20, error_statuses=[503])
    failed = await bed.chat.press(submit)
    assert "ServiceNow isn't answering" in (failed[0].get("text") or "")
    assert "reference" in (failed[0].get("text") or "")
    retry_form = card_of(failed[1])
    assert_valid_card(retry_form)
    assert inputs(retry_form)["subject"] == "My payslip is wrong for March"
    await bed.emulator.faults(error_next=0)

    retry = actions(retry_form)["Retry"]["data"]
    assert retry == actions(form)["Submit"]["data"]  # same draft key: one case whatever happens
    created = await bed.chat.press({**retry, **inputs(retry_form)})
    assert card_of(created[0])["body"][0]["text"].startswith("Your HR case HRC")
    assert len(await bed.emulator.cases("short_description=My payslip is wrong for March")) == 1


async def test_a_double_submit_creates_one_case(bed: HRBed) -> None:
    """User: form → Submit → Submit again (double click / redelivery) → two answers, one case."""
    form = await _form(bed, "I want to request parental leave")
    assert _chosen_service(form).endswith("Parental Leave")
    submit = {**actions(form)["Submit"]["data"], **inputs(form)}
    first = card_of((await bed.chat.press(submit))[0])["body"][0]["text"]
    second = card_of((await bed.chat.press(submit))[0])["body"][0]["text"]
    assert first == second
    assert len(await bed.emulator.cases("short_description=I want to request parental leave")) == 1


async def test_cancel_leaves_nothing_behind(bed: HRBed) -> None:
    """User: "my payslip is wrong" → form; types "hello?" → reminder; Cancel → nothing created;
    a stale Cancel later → still nothing, no new form."""
    form = await _form(bed, "my bonus was not paid")
    reminder = await bed.chat.say("hello?")
    assert "still open above" in (reminder[0].get("text") or "")
    cancel = actions(form)["Cancel"]["data"]
    assert "Nothing was created" in ((await bed.chat.press(cancel))[0].get("text") or "")
    assert "Nothing was created" in ((await bed.chat.press(cancel))[0].get("text") or "")
    assert await bed.emulator.cases("short_descriptionLIKEbonus") == []


async def test_an_unexpected_error_at_submit_keeps_the_draft_with_a_logged_reference(
    bed: HRBed, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug makes the first create fail → User: Submit → "Sorry, something went wrong on my side …
    (reference <id>)", the id in the log, and the same form with the user's values and Retry;
    User: Retry → the case, exactly once."""
    real_create = hr.create_case
    calls: list[str] = []

    async def create_with_a_bug(*args: Any, **kwargs: Any) -> Any:
        calls.append("create")
        if len(calls) == 1:
            raise RuntimeError("a bug in the first create")
        return await real_create(*args, **kwargs)

    monkeypatch.setattr(hr, "create_case", create_with_a_bug)
    form = await _form(bed, "my expenses from March were not reimbursed")
    with caplog.at_level(logging.WARNING, logger="dialogs.base"):
        failed = await bed.chat.press({**actions(form)["Submit"]["data"], **inputs(form)})
    said = failed[0].get("text") or ""
    assert said.startswith("Sorry, something went wrong on my side.")
    reference = re.search(r"reference (\w+)", said)
    assert reference is not None
    logged = [r for r in caplog.records if getattr(r, "ref", None) == reference.group(1)]
    assert [r.getMessage() for r in logged] == ["topic.failed"]
    retry_form = card_of(failed[1])
    assert inputs(retry_form)["subject"] == "My expenses from March were not reimbursed"
    created = await bed.chat.press({**actions(retry_form)["Retry"]["data"], **inputs(retry_form)})
    assert card_of(created[0])["body"][0]["text"].startswith("Your HR case HRC")
    subject = "short_description=My expenses from March were not reimbursed"
    assert len(await bed.emulator.cases(subject)) == 1
