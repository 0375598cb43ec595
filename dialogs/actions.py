"""Card submissions: what an `Action.Submit` (or an `adaptiveCard/action` invoke) carries.

Every card action carries a `verb` (`<topic id>` to start a topic, `<topic id>.<action>` for a
step inside it) plus the ids and input values it acts on.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity
from pydantic import BaseModel, ConfigDict, ValidationError


class CardSubmit(BaseModel):
    """The data of a card action: the verb, and everything else the card sent."""

    model_config = ConfigDict(extra="allow")

    verb: str

    @property
    def topic_id(self) -> str:
        """The topic a verb belongs to: `it.create_ticket.submit` → `it.create_ticket`."""
        return ".".join(self.verb.split(".")[:2])

    @property
    def data(self) -> dict[str, Any]:
        """Everything the card sent besides the verb (ids, input values)."""
        return dict(self.model_extra or {})


def card_submit(activity: Activity) -> CardSubmit | None:
    """The card submission a message activity carries, or None for typed text."""
    value = activity.value
    if not isinstance(value, dict) or "verb" not in value:
        return None
    try:
        return CardSubmit.model_validate(value)
    except ValidationError:
        return None
