"""Inside Teams' deadline: `/api/messages` answers in seconds whatever ServiceNow does.

Teams redelivers an activity whose POST has not been answered within about 15 s, so a turn
still running after `ack_seconds` is answered at once and carries on in the background; its
replies reach the user through the connector exactly as they would have (they never travel in
the HTTP response of a message activity). While a turn waits, the user is told it is in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from i18n import N_, _
from servicenow.client import deadline

log = logging.getLogger(__name__)

# Within a turn no ServiceNow call waits for a free slot longer than this (it answers "busy"
# instead), so even a turn that went on in the background ends in plain time.
TURN_DEADLINE_S = 9.0
STILL_WORKING = N_(
    "I'm still waiting for ServiceNow. I'll post the answer here as soon as I have it."
)
# A turn that has not answered within this long shows the typing indicator. Sooner, it would
# only flicker before the answer, and cost every turn one more connector request (~8 % of a
# busy bot's CPU when it was sent before each ServiceNow call).
TYPING_AFTER_S = 0.7
# What an Action.Execute invoke answers when its turn goes on in the background.
INVOKE_ACCEPTED = N_("Working on it: the answer will appear in the chat.")
# Where a turn finds its invoke's `InvokeAnswer` (`TurnContext.turn_state`).
INVOKE_ANSWER = "snowdesk.invoke_answer"


@dataclass
class InvokeAnswer:
    """Who answers an invoke's HTTP request: its turn (with the card it made, in place), or
    the acknowledgement once the deadline passes first, and then the turn posts its card into
    the chat instead. One event loop: each claim is atomic."""

    _by: Literal["nobody", "turn", "acknowledgement"] = "nobody"

    def answer_in_place(self) -> bool:
        """The turn's claim; False when the request was already acknowledged."""
        if self._by == "acknowledgement":
            return False
        self._by = "turn"
        return True

    def acknowledge(self) -> bool:
        """The deadline's claim; False when the turn has already answered in place."""
        if self._by == "turn":
            return False
        self._by = "acknowledgement"
        return True


@dataclass
class BackgroundTurns:
    """Turns that outlived their HTTP request; finished (or cancelled) when the app stops."""

    running: set[asyncio.Task[web.StreamResponse | None]] = field(default_factory=set)

    async def within(
        self,
        turn: Awaitable[web.StreamResponse | None],
        ack_seconds: float,
        *,
        invoke: bool,
        activity_id: str,
        answer: InvokeAnswer | None = None,
    ) -> web.StreamResponse:
        """The turn's own response when it ends within `ack_seconds`, else an acknowledgement
        (202, or for an invoke a message response) while it goes on in the background. An
        invoke whose turn already answered in place (`answer`) is not acknowledged: all that
        is left of it is saving its state."""
        task = asyncio.ensure_future(turn)
        done, _pending = await asyncio.wait({task}, timeout=ack_seconds)
        if task not in done and answer is not None and not answer.acknowledge():
            done, _pending = await asyncio.wait({task})
        if task in done:
            return task.result() or web.Response(status=201)
        self.running.add(task)
        task.add_done_callback(self._finished)
        log.info("turn.backgrounded", extra={"activity_id": activity_id, "after_s": ack_seconds})
        if invoke:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": _(INVOKE_ACCEPTED),
            }
            return web.json_response(body)
        return web.Response(status=202)

    def _finished(self, task: asyncio.Task[web.StreamResponse | None]) -> None:
        self.running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("turn.background_failed", extra={"error_type": type(error).__name__})

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Let background turns finish for a moment, then cancel what is left."""
        if not self.running:
            return
        _done, pending = await asyncio.wait(set(self.running), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


@contextlib.asynccontextmanager
async def kept_informed(
    context: TurnContext, after_seconds: float, typing_every: float = 3.0
) -> AsyncIterator[None]:
    """While the body runs: once it has taken `TYPING_AFTER_S`, show the typing indicator;
    after `after_seconds`, say the answer is coming, then keep the indicator alive, so a slow
    ServiceNow never looks like a dead bot. A turn answered sooner sends no indicator at all."""
    watcher = asyncio.create_task(_inform(context, after_seconds, typing_every))
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _inform(context: TurnContext, after_seconds: float, typing_every: float) -> None:
    typing_after = min(TYPING_AFTER_S, after_seconds / 2)
    try:
        await asyncio.sleep(typing_after)
        await context.send_activity(Activity(type=ActivityTypes.typing))
        await asyncio.sleep(after_seconds - typing_after)
        await context.send_activity(_(STILL_WORKING))
        while True:
            await context.send_activity(Activity(type=ActivityTypes.typing))
            await asyncio.sleep(typing_every)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a failed progress note must never fail the turn itself
        log.warning("turn.progress_failed", extra={"error_type": type(error).__name__})


class TurnDeadline(Middleware):
    """Within a turn, no ServiceNow call waits for a free slot past the turn's deadline."""

    def __init__(self, seconds: float = TURN_DEADLINE_S) -> None:
        self._seconds = seconds

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        """Run the rest of the turn with the deadline set."""
        with deadline(self._seconds):
            await logic()
