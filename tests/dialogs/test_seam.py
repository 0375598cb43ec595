"""The card → activity seam: Universal Actions for Teams, Action.Submit elsewhere, the owner's
refresh, and every variant still valid Adaptive Cards 1.5."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.base import OWNER, to_attachment
from tests.cards.samples import SAMPLE_CARDS
from tests.cards.schema import assert_valid_card

OWNER_ID = "29:abel"


def _actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for value in node.values():
            found += _actions(value)
    elif isinstance(node, list):
        for item in node:
            found += _actions(item)
    return found


@pytest.mark.parametrize("name", sorted(SAMPLE_CARDS))
@pytest.mark.parametrize("channel", ["msteams", "emulator", "webchat"])
def test_every_card_stays_valid_on_every_channel(name: str, channel: str) -> None:
    assert_valid_card(to_attachment(SAMPLE_CARDS[name](), OWNER_ID, channel).content)


def test_teams_gets_execute_buttons_each_falling_back_to_the_same_submit() -> None:
    card = to_attachment(SAMPLE_CARDS["it.ticket_details"](), OWNER_ID, "msteams").content
    refresh = card["refresh"]["action"]
    buttons = [a for a in _actions(card) if a["type"] == "Action.Execute" and a is not refresh]
    assert len(buttons) == 4  # comment and urgency (in their forms), add a file, updates
    for action in buttons:
        fallback = action["fallback"]
        assert fallback["type"] == "Action.Submit" and fallback["title"] == action["title"]
        assert fallback["data"] == action["data"] and action["data"]["verb"] == action["verb"]
        assert action["data"][OWNER] == OWNER_ID


def test_a_records_card_refreshes_for_its_owner_only() -> None:
    card = to_attachment(SAMPLE_CARDS["it.ticket"](), OWNER_ID, "msteams").content
    refresh = card["refresh"]
    assert refresh["userIds"] == [OWNER_ID]
    assert refresh["action"]["verb"] == "it.ticket_details.refresh"
    assert refresh["action"]["data"] == {
        "verb": "it.ticket_details.refresh",
        "number": "INC0010023",
        "view": "summary",
        OWNER: OWNER_ID,
    }
    assert "fallback" not in refresh["action"]
    # Nobody to refresh for: no refresh at all (never one that runs for everyone).
    assert "refresh" not in to_attachment(SAMPLE_CARDS["it.ticket"](), "", "msteams").content


@pytest.mark.parametrize("channel", ["emulator", "webchat", "directline"])
def test_channels_without_universal_actions_get_submits_and_no_refresh(channel: str) -> None:
    card = to_attachment(SAMPLE_CARDS["hr.case_details"](), OWNER_ID, channel).content
    assert "refresh" not in card
    actions = _actions(card)
    assert {a["type"] for a in actions} == {"Action.Submit", "Action.ShowCard", "Action.OpenUrl"}
    assert all("verb" not in a and "fallback" not in a for a in actions)
    submits = [a for a in actions if a["type"] == "Action.Submit"]
    assert all(a["data"]["verb"] and a["data"][OWNER] == OWNER_ID for a in submits)
