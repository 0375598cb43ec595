"""HR cards: every card valid Adaptive Card 1.5, with the facts, buttons and verbs users rely on."""

from __future__ import annotations

from typing import Any

from cards.common import card_to_dict, format_when
from cards.hr import (
    case_card,
    case_details_card,
    case_form_card,
    case_list_card,
    case_updates_text,
    service_choices,
)
from flows.models import Comment, HRService, RecordUpdates
from tests.cards.samples import SERVICES, WHEN
from tests.cards.samples import case as _case
from tests.cards.samples import case_page as _page
from tests.cards.schema import assert_valid_card

OPENED = WHEN


def _verbs(card: dict[str, Any]) -> list[str]:
    return [a["data"]["verb"] for a in card.get("actions", []) if a["type"] == "Action.Execute"]


def _texts(node: object) -> list[str]:
    """Every `text` and fact value in a card, depth first."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "value") and isinstance(value, str):
                found.append(value)
            else:
                found += _texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item)
    return found


def test_format_when_uses_the_users_zone_or_names_utc() -> None:
    assert format_when(OPENED, "Europe/Berlin") == "12 Mar 2025, 14:05"
    assert format_when(OPENED, None) == "12 Mar 2025, 13:05 UTC"
    assert format_when(OPENED, "Not/AZone") == "12 Mar 2025, 13:05 UTC"
    assert format_when(None, "Europe/Berlin") == "unknown"


def test_form_offers_services_grouped_by_coe_and_keeps_the_draft() -> None:
    draft = {"service_sys_id": "s-pay", "subject": "My payslip is wrong", "description": "x"}
    card = card_to_dict(
        case_form_card(
            services=SERVICES,
            draft=draft,
            key="key1",
            problems=["Subject is too long."],
            retry=True,
        )
    )
    assert_valid_card(card)
    choice_set = next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")
    assert [c["title"] for c in choice_set["choices"]] == [
        "Benefits · Health insurance",
        "Payroll · Payslip question",
        "Workforce Administration · Parental leave",
    ]
    assert choice_set["value"] == "s-pay"
    assert "Subject is too long." in " ".join(_texts(card))
    submit, cancel = card["actions"]
    assert submit["title"] == "Retry"
    assert submit["data"] == {"verb": "hr.create_case.submit", "draft_key": "key1"}
    assert cancel["data"]["verb"] == "hr.create_case.cancel"
    assert cancel["associatedInputs"] == "none"


def test_empty_form_has_no_preselected_service() -> None:
    card = card_to_dict(case_form_card(services=SERVICES, draft={}, key="k"))
    assert_valid_card(card)
    choice_set = next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")
    assert "value" not in choice_set
    assert card["actions"][0]["title"] == "Submit"


def test_coe_table_names_read_as_words_and_no_coe_means_the_name_alone() -> None:
    services = [
        HRService(sys_id="x", name="Other", coe=""),
        HRService(sys_id="y", name="Parental Leave", coe="sn_hr_core_case_workforce_admin"),
        HRService(sys_id="z", name="Payroll Inquiry", coe="Payroll Case"),
    ]
    titles = [choice.title for choice in service_choices(services)]
    assert titles == ["Other", "Payroll · Payroll Inquiry", "Workforce admin · Parental Leave"]


def test_case_card_shows_number_service_state_opened_and_links() -> None:
    card = card_to_dict(case_card(_case(), tz="Europe/Berlin"))
    assert_valid_card(card)
    texts = _texts(card)
    assert {"HRC0001001", "Payslip question", "Ready", "12 Mar 2025, 14:05"} <= set(texts)
    assert _verbs(card) == ["hr.case_details", "hr.case_updates"]
    assert card["actions"][0]["data"]["number"] == "HRC0001001"
    assert card["actions"][2] == {
        "type": "Action.OpenUrl",
        "title": "Open in ServiceNow",
        "url": _case().url,
    }


def test_details_card_has_facts_comment_and_three_buttons() -> None:
    comment = Comment(author="Beth Anglin", created_at=OPENED, text="We are checking it.")
    card = card_to_dict(
        case_details_card(_case(latest_comment=comment), comment_key="ck1", tz=None)
    )
    assert_valid_card(card)
    (fact_set,) = [block for block in card["body"] if block["type"] == "FactSet"]
    facts = {f["title"]: f["value"] for f in fact_set["facts"]}
    assert facts["Assigned to"] == "Not assigned yet"
    assert facts["Updated"] == "12 Mar 2025, 13:05 UTC"
    assert "We are checking it." in _texts(card)
    assert [a["title"] for a in card["actions"]] == [
        "Add a comment",
        "Updates",
        "Open in ServiceNow",
    ]
    send = card["actions"][0]["card"]["actions"][0]
    assert send["data"] == {
        "verb": "hr.case_details.comment",
        "number": "HRC0001001",
        "comment_key": "ck1",
    }


def test_closed_case_offers_no_comment_and_no_link_without_url() -> None:
    card = card_to_dict(case_details_card(_case(active=False, url=""), comment_key="k", tz=None))
    assert_valid_card(card)
    assert [a["title"] for a in card["actions"]] == ["Updates"]


def test_list_rows_open_details_and_paging_moves_by_five() -> None:
    card = card_to_dict(case_list_card(_page(5, 12, offset=5), tz=None))
    assert_valid_card(card)
    assert card["body"][0]["text"] == "Your open HR cases: 6–10 of 12"
    rows = card["body"][1]["items"]
    assert len(rows) == 5
    detail = rows[0]["selectAction"]["data"]
    assert detail == {"verb": "hr.case_details", "number": "HRC0001000"}
    paging = {a["title"]: a["data"] for a in card["actions"]}
    assert paging["Previous"] == {"verb": "hr.list_cases.page", "filter": "open", "offset": 0}
    assert paging["Next"] == {"verb": "hr.list_cases.page", "filter": "open", "offset": 10}
    assert {"Show closed", "Show all"} <= set(paging)


def test_empty_list_says_so_and_offers_to_create() -> None:
    card = card_to_dict(case_list_card(_page(0, 0, filter="closed"), tz=None))
    assert_valid_card(card)
    assert card["body"][0]["text"] == "You have no closed HR cases."
    assert _verbs(card)[0] == "hr.create_case"
    assert "Next" not in [a["title"] for a in card["actions"]]


def test_updates_text_says_what_changed_and_the_latest_comments() -> None:
    updates = RecordUpdates(
        number="HRC0001001",
        state="Awaiting Acceptance",
        updated_at=OPENED,
        updated_by="Beth Anglin",
        comments=[Comment(author="Beth Anglin", created_at=OPENED, text="Fixed in April.")],
    )
    text = case_updates_text(updates, tz="Europe/Berlin")
    assert text.startswith("Your HR case HRC0001001 was last updated on 12 Mar 2025, 14:05")
    assert "It is now Awaiting Acceptance." in text
    assert "Beth Anglin wrote on 12 Mar 2025, 14:05: Fixed in April." in text
    bare = case_updates_text(RecordUpdates(number="HRC1"), tz=None)
    assert "no comments" in bare
