"""Validate cards against the official Adaptive Card 1.5 schema (Teams' `msteams` key stripped)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from microsoft_teams.cards import AdaptiveCard

from cards.common import card_to_dict
from tests.helpers import shared_path


@cache
def _validator() -> jsonschema.protocols.Validator:
    path = shared_path("schemas", "adaptive-cards", "adaptive-card-1.5.0.schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_problems(card: AdaptiveCard | dict[str, Any]) -> list[str]:
    """Every schema violation of the card, as `path: message` lines."""
    data = card_to_dict(card) if isinstance(card, AdaptiveCard) else dict(card)
    data.pop("msteams", None)
    data.pop("$schema", None)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in _validator().iter_errors(data)
    ]


def assert_valid_card(card: AdaptiveCard | dict[str, Any]) -> None:
    """Fail with every violation listed when the card does not match Adaptive Cards 1.5."""
    problems = schema_problems(card)
    assert not problems, "\n".join(problems)
