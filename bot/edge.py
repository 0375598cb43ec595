"""`POST /api/messages`: what happens to a request before the bot runs a turn for it.

In order, each step cheaper than the next and none trusting what came before it:
1. the envelope: JSON of a bounded size and depth with the fields every activity needs
   (`bot.envelope`) — else 400/413/415 with a short JSON error;
2. the token (`bot.auth.FailClosedAuthentication`) — else 401;
3. the claim: the activity id, once per channel and conversation, in the state store, so a
   redelivered or concurrently duplicated activity is acknowledged (200) and dropped;
4. one turn at a time per conversation in this process (so state eTags do not collide), with
   the app's attachment fetcher bound to the turn;
5. the turn (CloudAdapter), whose invoke answer is never an HTTP 5xx, within Teams' deadline:
   a turn still running after `ack_seconds` is acknowledged and finishes in the background
   (`bot.deadline`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import BotFrameworkAuthentication
from msrest.serialization import Model

from bot.deadline import INVOKE_ANSWER, BackgroundTurns, InvokeAnswer
from bot.envelope import MAX_BODY_BYTES, EnvelopeError, parse_activity
from bot.storage import DEFAULT_CLAIM_TTL_S, ClaimStore
from dialogs.attachments import AttachmentFetcher, bind_turn, unbind_turn
from i18n import DEFAULT, language_of_locale, speaking

log = logging.getLogger(__name__)

# Turns running at once; the rest wait their turn in order, holding only their activity (the
# deadline still answers them in time). 1000 users at once, all admitted, took the bot from
# ~145 to ~300 MB for no gain: ServiceNow's slots (SERVICENOW_MAX_CONCURRENCY) set the pace.
TURNS_IN_FLIGHT = 128


def activity_key(activity: Activity) -> str:
    """The claim key of an incoming activity: its id within its channel and conversation."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"activity/{activity.channel_id}/{conversation}/{activity.id}"


def conversation_key(activity: Activity) -> str:
    """Turns sharing this key run one after another."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"{activity.channel_id}/{conversation}"


@dataclass
class _Entry:
    lock: asyncio.Lock
    users: int = 0


class ConversationLocks:
    """One asyncio lock per conversation, held only while a turn runs or waits for it.

    An entry is removed when its last user leaves, so the table never holds more entries than
    there are turns in flight.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait until no other turn of `key` runs, then run alone."""
        entry = self._entries.setdefault(key, _Entry(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


def error_response(status: int, message: str) -> web.Response:
    """A short JSON error a channel or a developer can read."""
    return web.json_response({"error": message}, status=status)


class MessagesEndpoint:
    """The aiohttp handler of `POST /api/messages`."""

    def __init__(
        self,
        adapter: CloudAdapter,
        auth: BotFrameworkAuthentication,
        bot: Callable[[], Bot],
        claims: ClaimStore,
        files: AttachmentFetcher,
        background: BackgroundTurns,
        ack_seconds: float,
        *,
        claim_ttl_seconds: float = DEFAULT_CLAIM_TTL_S,
    ) -> None:
        self._adapter = adapter
        self._files = files
        self._auth = auth
        self._bot = bot  # built once ServiceNow is connected
        self._claims = claims
        self._background = background
        self._ack_seconds = ack_seconds
        self._claim_ttl = claim_ttl_seconds
        self.locks = ConversationLocks()
        self._admitted = asyncio.Semaphore(TURNS_IN_FLIGHT)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one POST: 4xx for what is not a valid, authenticated activity; 2xx otherwise."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return error_response(415, "Send the activity as application/json.")
        body = await _read_capped(request)
        if body is None:
            return _refused(413, f"The activity is larger than {MAX_BODY_BYTES // 1024} KB.")
        try:
            activity = parse_activity(body)
        except EnvelopeError as error:
            return _refused(400, str(error))
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await self._auth.authenticate_request(activity, auth_header)
        except PermissionError:
            return error_response(401, "The request's credentials were not accepted.")
        try:
            first = await self._claims.claim(activity_key(activity), self._claim_ttl)
        except Exception as error:  # the state store is down: no turn can run, let it retry
            log.error("activity.claim_failed", extra={"error_type": type(error).__name__})
            return error_response(503, "The bot's state store is unavailable; try again.")
        if not first:
            log.info(
                "activity.duplicate",
                extra={"activity_id": activity.id, "conversation_id": activity.conversation.id},
            )
            return web.Response(status=200)
        answer = InvokeAnswer()
        # The acknowledgement of a long invoke is written before the turn knows more than this.
        with speaking(language_of_locale(activity.locale) or DEFAULT):
            return await self._background.within(
                self._turn(authenticated, activity, answer),
                self._ack_seconds,
                invoke=activity.type == ActivityTypes.invoke,
                activity_id=activity.id or "",
                answer=answer,
            )

    async def _turn(
        self, authenticated: Any, activity: Activity, answer: InvokeAnswer
    ) -> web.StreamResponse:
        # Files the user sends in this turn are fetched by the app's one fetcher, which allows
        # (in local mode) only the file store of the Emulator this activity came from.
        files = bind_turn(self._files, activity.service_url or "")
        bot = self._bot()

        async def on_turn(context: TurnContext) -> None:
            context.turn_state[INVOKE_ANSWER] = answer
            await bot.on_turn(context)

        try:
            async with self._admitted, self.locks.hold(conversation_key(activity)):
                invoke = await self._adapter.process_activity(authenticated, activity, on_turn)
        finally:
            unbind_turn(files)
        return _http_answer(activity, invoke)


async def _read_capped(request: web.Request) -> bytes | None:
    """The body, or None as soon as it is larger than the cap (never read whole)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    data = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            return None
    return bytes(data)


def _refused(status: int, why: str) -> web.Response:
    log.info("activity.refused", extra={"status": status, "why": why})
    return error_response(status, why)


def _http_answer(activity: Activity, invoke: InvokeResponse | None) -> web.Response:
    if activity.type != ActivityTypes.invoke or invoke is None:
        return web.Response(status=201)
    if invoke.status is not None and invoke.status >= 500:
        # CloudAdapter answers 501 when no handler set an invoke response (an invoke name the
        # bot does not know, or a turn that failed): Teams gets a proper invoke answer instead.
        log.info("invoke.unanswered", extra={"name": activity.name or "", "status": invoke.status})
        return web.json_response(_not_handled(activity.name), status=200)
    # As CloudAdapter.process does: msrest models are serialised, plain data passes through.
    body: Any = serializer_helper(invoke.body) if isinstance(invoke.body, Model) else invoke.body
    return web.json_response(body, status=invoke.status or 200)


def _not_handled(name: str | None) -> dict[str, Any]:
    return {
        "statusCode": 501,
        "type": "application/vnd.microsoft.error",
        "value": {
            "code": "NotImplemented",
            "message": f"Snowdesk does not handle the invoke '{(name or '')[:64]}'.",
        },
    }
