"""IT ticket cards: valid Adaptive Cards 1.5 that show what an employee needs, and never more."""

from __future__ import annotations

from typing import Any

from cards import it
from cards.common import card_to_dict
from flows.models import Comment, RecordUpdates, TicketPage
from tests.cards.samples import CATEGORIES, WHEN
from tests.cards.samples import ticket as _ticket


def _texts(node: object) -> list[str]:
    """Every text a card shows (text blocks, fact titles and values, labels), depth first."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("text", "title", "value", "label"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        for child in node.values():
            found += _texts(child)
    elif isinstance(node, list):
        for child in node:
            found += _texts(child)
    return found


def _verbs(card: dict[str, Any]) -> list[str]:
    return [a["data"]["verb"] for a in card.get("actions", []) if a["type"] == "Action.Execute"]


def test_form_is_prefilled_and_its_submit_carries_the_draft_key() -> None:
    draft = {"short_description": "Laptop won't boot", "description": "urgent", "urgency": "high"}
    card = card_to_dict(it.ticket_form_card(categories=CATEGORIES, draft=draft, key="key-1"))
    inputs = {item["id"]: item for item in card["body"] if "id" in item}
    assert inputs["short_description"]["value"] == "Laptop won't boot"
    assert inputs["urgency"]["value"] == "high"
    assert [c["value"] for c in inputs["category"]["choices"]] == ["hardware", "network"]
    assert card["actions"][0]["data"] == {"verb": "it.create_ticket.submit", "draft_key": "key-1"}
    assert _verbs(card)[1] == "it.create_ticket.cancel"


def test_form_shown_again_after_an_outage_offers_retry_and_names_pending_files() -> None:
    card = card_to_dict(
        it.ticket_form_card(
            categories=CATEGORIES, draft={}, key="k", retry=True, file_names=["log.txt"]
        )
    )
    texts = _texts(card)
    assert card["actions"][0]["title"] == "Retry"
    assert any("log.txt" in text for text in texts)


def test_created_ticket_card_shows_number_state_priority_urgency_category_opened_and_link() -> None:
    card = card_to_dict(it.ticket_card(_ticket(), tz="Europe/Berlin"))
    texts = _texts(card)
    for expected in ("INC0010023", "In Progress", "2 - High", "1 - High", "Hardware"):
        assert any(expected in text for text in texts), expected
    assert "12 Mar 2025, 14:05" in texts  # opened, shown in the user's zone
    assert card["actions"][-1] == {
        "type": "Action.OpenUrl",
        "title": "Open in ServiceNow",
        "url": _ticket().url,
    }


def test_details_card_shows_people_comment_attachments_and_its_actions() -> None:
    card = card_to_dict(it.ticket_details_card(_ticket(), comment_key="key-9", tz=None))
    texts = _texts(card)
    for expected in ("Service Desk", "Beth Anglin", "Please reboot.", "- screen.png"):
        assert any(expected in text for text in texts), expected
    assert "12 Mar 2025, 13:05 UTC" in texts
    titles = [action["title"] for action in card["actions"]]
    assert titles == [
        "Add a comment",
        "Change urgency",
        "Add a file",
        "Updates",
        "Open in ServiceNow",
    ]
    comment_submit = card["actions"][0]["card"]["actions"][0]["data"]
    assert comment_submit == {
        "verb": "it.update_ticket.comment",
        "number": "INC0010023",
        "comment_key": "key-9",
    }
    urgency = card["actions"][1]["card"]["body"][0]
    assert urgency["value"] == "high"


def test_closed_ticket_details_offer_no_changes() -> None:
    card = card_to_dict(
        it.ticket_details_card(_ticket(active=False, url=""), comment_key="k", tz=None)
    )
    assert [action["title"] for action in card["actions"]] == ["Updates"]


def test_list_card_rows_open_details_and_paging_keeps_the_filter() -> None:
    page = TicketPage(
        items=[_ticket("INC0010031")], filter="closed", offset=5, total=11, as_of=WHEN
    )
    card = card_to_dict(it.ticket_list_card(page, tz=None))
    assert card["body"][0]["text"] == "Your closed tickets"
    assert card["body"][1]["text"] == "6–6 of 11, as of 12 Mar 2025, 13:05 UTC"
    row = card["body"][2]
    assert row["selectAction"]["data"] == {"verb": "it.ticket_details", "number": "INC0010031"}
    datas = [action["data"] for action in card["actions"]]
    assert {"verb": "it.list_tickets.page", "filter": "closed", "offset": 0} in datas
    assert {"verb": "it.list_tickets.page", "filter": "closed", "offset": 10} in datas
    assert {"verb": "it.list_tickets.page", "filter": "open", "offset": 0} in datas


def _line(block: Any) -> str:
    return "".join(run.text for run in block.inlines or [])


def test_status_line_says_state_holder_and_last_update() -> None:
    line = it.status_line(_ticket(), "Europe/Berlin")
    assert _line(line) == (
        "INC0010023 (Laptop won't boot) is In Progress, with Beth Anglin; "
        "last updated 12 Mar 2025, 14:05."
    )
    weights = [run.weight for run in line.inlines or []]  # type: ignore[union-attr]
    assert weights == [None, "Bolder", None]  # only the state is bold
    unassigned = it.status_line(_ticket(assigned_to="", assignment_group=""), None)
    assert "with nobody yet" in _line(unassigned)


def test_what_people_wrote_is_shown_as_written_never_as_markdown() -> None:
    """A summary "[click](https://evil.example) **now**" from a user stays text: a TextRun."""
    hostile = "[click](https://evil.example) **now** <b>x</b>"
    card = card_to_dict(
        it.ticket_details_card(
            _ticket(short_description=hostile, description=hostile), comment_key="k", tz=None
        )
    )
    blocks = [b for b in card["body"] if b.get("type") == "TextBlock"]
    assert not any("evil.example" in b["text"] for b in blocks)
    runs = [r for b in card["body"] if b.get("type") == "RichTextBlock" for r in b["inlines"]]
    assert hostile in [r["text"] for r in runs]


def test_updates_text_lists_latest_comments_newest_first_and_caps_them() -> None:
    comments = [
        Comment(author=f"Agent {n}", created_at=WHEN, text=f"comment {n}") for n in range(5)
    ]
    updates = RecordUpdates(
        number="INC0010023", state="On Hold", updated_at=WHEN, updated_by="beth", comments=comments
    )
    text = it.ticket_updates_text(updates, tz=None)
    assert text.startswith("INC0010023 is On Hold; last changed 12 Mar 2025, 13:05 UTC by beth.")
    assert "comment 2" in text and "comment 3" not in text
    empty = it.ticket_updates_text(RecordUpdates(number="INC0010023"), tz=None)
    assert "no comments" in empty
