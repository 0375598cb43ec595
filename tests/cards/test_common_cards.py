"""The cards every user meets first: welcome and help."""

from __future__ import annotations

from cards.common import card_to_dict, help_card, message_card, submit, welcome_card
from tests.cards.schema import assert_valid_card, schema_problems
from topics import MENU


def test_welcome_card_greets_by_first_name_and_offers_every_topic() -> None:
    card = card_to_dict(welcome_card("Abel Tuter"))
    assert card["body"][0]["text"].startswith("Hi Abel!")
    verbs = [action["data"]["verb"] for action in card["actions"]]
    assert verbs == [topic.verb for topic in MENU]


def test_every_common_card_is_valid_adaptive_card_1_5() -> None:
    for card in (
        welcome_card(None),
        welcome_card("Beth Anglin"),
        help_card(),
        message_card("Done.", [submit("Details", "it.ticket_details", number="INC0010001")]),
    ):
        assert card.version == "1.5"
        assert_valid_card(card)


def test_schema_check_catches_a_broken_card() -> None:
    """The validator is not vacuous: an element of unknown type is reported."""
    broken = card_to_dict(help_card())
    broken["body"].append({"type": "Input.Teleport"})
    assert schema_problems(broken)
