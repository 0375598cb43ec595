"""Layout that fits Teams: every card the bot sends is valid, shows at most four buttons in a row,
uses colours that read on the light theme, and both desks offer the same buttons in one order.

The browser check (`bench/render_cards.py`) renders the same samples at 540 px; this test keeps
the rules it found without a browser.
"""

from __future__ import annotations

from typing import Any

import pytest

from cards.common import MAX_VISIBLE_ACTIONS, card_to_dict
from tests.cards.samples import SAMPLE_CARDS
from tests.cards.schema import assert_valid_card

# Text colours that Teams' light host config draws below 3:1 on white (Warning #f8d22a ~1.5:1,
# Good #92c353 ~2.1:1, Light #ffffff); Default, Accent and Attention read well.
UNREADABLE_COLOURS = {"warning", "good", "light"}


def _cards(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card and every card its Action.ShowCard buttons open (each seen on its own)."""
    shown = [a["card"] for a in _buttons(card) if a.get("type") == "Action.ShowCard"]
    return [card] + [inner for each in shown for inner in _cards(each)]


def _buttons(node: object) -> list[dict[str, Any]]:
    """The buttons one card shows at once: its actions and its ActionSets', not a shown card's."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "actions" and isinstance(value, list):
                found += value
            elif key not in ("card", "selectAction"):
                found += _buttons(value)
    elif isinstance(node, list):
        for item in node:
            found += _buttons(item)
    return found


def _colours(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["color"]).lower()] if "color" in node else []
        return found + [c for value in node.values() for c in _colours(value)]
    if isinstance(node, list):
        return [c for item in node for c in _colours(item)]
    return []


def visible(buttons: list[dict[str, Any]]) -> list[str]:
    """The titles of the buttons shown (secondary actions go to the overflow menu)."""
    return [
        a.get("title", "") for a in buttons if str(a.get("mode", "primary")).lower() != "secondary"
    ]


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_card_is_valid_and_shows_at_most_four_buttons(name: str) -> None:
    card = SAMPLE_CARDS[name]()
    assert card.version == "1.5"
    assert_valid_card(card)
    for each in _cards(card_to_dict(card)):
        assert len(visible(_buttons(each))) <= MAX_VISIBLE_ACTIONS, (name, visible(_buttons(each)))


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_card_text_colours_read_on_the_light_theme(name: str) -> None:
    assert not UNREADABLE_COLOURS & set(_colours(card_to_dict(SAMPLE_CARDS[name]()))), name


def test_welcome_shows_both_desks_and_overflows_the_rest_in_the_same_order() -> None:
    actions = card_to_dict(SAMPLE_CARDS["welcome"]())["actions"]
    assert visible(actions) == ["Ask IT", "Ask HR", "My IT tickets", "My HR cases"]
    overflow = [a["title"] for a in actions if a.get("mode") == "secondary"]
    assert overflow == ["IT ticket updates", "HR case updates"]


def test_ticket_details_keep_the_link_in_the_overflow_menu() -> None:
    actions = card_to_dict(SAMPLE_CARDS["it.ticket_details"]())["actions"]
    assert len(actions) == 5
    assert actions[-1] == {**actions[-1], "title": "Open in ServiceNow", "mode": "secondary"}


def _titles(name: str) -> list[str]:
    return [a["title"] for a in card_to_dict(SAMPLE_CARDS[name]())["actions"]]


@pytest.mark.parametrize(
    ("it_card", "hr_card"),
    [("it.ticket", "hr.case"), ("it.ticket_form", "hr.case_form")],
)
def test_both_desks_offer_the_same_buttons_in_the_same_order(it_card: str, hr_card: str) -> None:
    assert _titles(it_card) == _titles(hr_card)


def test_details_share_their_order_and_it_only_adds_what_hr_cases_lack() -> None:
    it_titles, hr_titles = _titles("it.ticket_details"), _titles("hr.case_details")
    assert [title for title in it_titles if title in hr_titles] == hr_titles
