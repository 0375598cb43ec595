"""The category a create form arrives with: guessed from the words, only among the instance's."""

from __future__ import annotations

import pytest

from dialogs.it._categories import suggest_category
from flows.models import Choice

BASE = [Choice(value=v, label=v.title()) for v in ("inquiry", "software", "hardware", "network")]


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("my laptop won't boot", "hardware"),
        ("mein Drucker druckt nicht", "hardware"),
        ("le wifi ne marche pas", "network"),
        ("VPN drops every ten minutes", "network"),
        ("Outlook keeps asking for my password", "software"),
        ("something is weird", ""),
    ],
)
def test_words_point_to_a_category(said: str, category: str) -> None:
    assert suggest_category(said, BASE) == category


def test_a_category_the_instance_does_not_offer_is_never_suggested() -> None:
    """The instance has no "database" category: a database problem gets no guess."""
    assert suggest_category("the sql database is down", BASE) == ""
