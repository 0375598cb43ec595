"""The turn's deadline, handed to the ServiceNow client: queued calls never outwait the turn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext

from servicenow.client import deadline

# `POST /api/messages` answers within 10 s (DESIGN.md); the last second is for the reply itself.
TURN_DEADLINE_S = 9.0


class TurnDeadline(Middleware):
    """Within a turn, no ServiceNow call waits for a free slot past the turn's deadline."""

    def __init__(self, seconds: float = TURN_DEADLINE_S) -> None:
        self._seconds = seconds

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        """Run the rest of the turn with the deadline set."""
        with deadline(self._seconds):
            await logic()
