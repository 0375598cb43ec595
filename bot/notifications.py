"""Notifications: an employee hears in Teams when one of their tickets or cases changes.

Two sources feed one service (`Notifications`):
- `POST /api/notifications/servicenow`, a signed record-changed event from a ServiceNow
  business rule (docs/NOTIFICATIONS.md) or from the embedded emulator: HMAC-SHA256 over
  `"<timestamp>.<raw body>"` with `SNOWDESK_WEBHOOK_SECRET`, a timestamp within
  `SNOWDESK_WEBHOOK_WINDOW`, each event id claimed once (a duplicate answers 200, does nothing);
- a poller for instances without that rule: every `SNOWDESK_NOTIFY_POLL_SECONDS` it reads each
  desk's records changed since a watermark kept in the bot's storage, at most
  `SNOWDESK_NOTIFY_POLL_BATCH` per desk and cycle.

Either way the record is read back through its desk's template (flows/notifications.py), so
only what ServiceNow says counts, and the card goes to the record's owner (caller / opened
for) only, through their stored personal chat. What was last seen of each record is stored, so
a change both sources report notifies once. Muted records and people past
`SNOWDESK_NOTIFY_USER_LIMIT` notifications in 10 minutes get nothing (logged).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from botbuilder.core import Storage
from pydantic import BaseModel, Field, ValidationError

from bot.config import Settings
from bot.conversations import Notifier
from bot.storage import ClaimStore
from cards.common import card_to_dict
from cards.notifications import headline, record_changed_card
from flows.errors import is_outage
from flows.notifications import (
    SCENARIOS,
    ChangedRecord,
    Desk,
    Seen,
    get_changed_record,
    get_changed_records,
    notice_for,
    servicenow_time,
)
from flows.orchestrator import Orchestrator
from servicenow.emulator.webhook import WebhookTarget

log = logging.getLogger(__name__)

PATH = "/api/notifications/servicenow"
PREFIX = "snowdesk/notifications/"
SIGNATURE_HEADER = "X-Snowdesk-Signature"
TIMESTAMP_HEADER = "X-Snowdesk-Timestamp"
MAX_BODY_BYTES = 16 * 1024
RATE_WINDOW_S = 600.0
EVENT_CLAIM_TTL_S = 24 * 3600.0
DESKS: tuple[Desk, ...] = ("it", "hr")
_EVENT_ID = re.compile(r"^[A-Za-z0-9:._-]{1,120}$")
OrchestratorGetter = Callable[[], Orchestrator | None]


class InvalidSignature(Exception):
    """A webhook call that cannot be shown to come from ServiceNow just now (the reason is
    for the log; the caller hears only 401)."""


class WebhookEvent(BaseModel):
    """A record-changed event: which record; the rest is read back from ServiceNow."""

    event_id: str = Field(pattern=_EVENT_ID.pattern)
    table: str = Field(pattern=r"^[a-z0-9_]{1,80}$")
    sys_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    number: str = ""
    changed: list[str] = Field(default_factory=list, max_length=200)


def verify_signature(
    secret: str, timestamp: str, signature: str, body: bytes, now: float, window: float
) -> None:
    """Raise `InvalidSignature` unless `signature` is `sha256=<HMAC-SHA256 of
    "<timestamp>.<body>">` (base64 as ServiceNow's GlideCertificateEncryption writes it, or
    hex) and `timestamp` (Unix seconds) is within `window` of `now`."""
    if not secret:
        raise InvalidSignature("no SNOWDESK_WEBHOOK_SECRET is set")
    if not timestamp.isdigit():
        raise InvalidSignature("missing or malformed timestamp")
    if abs(now - int(timestamp)) > window:
        raise InvalidSignature("timestamp outside the replay window")
    scheme, _, given = signature.partition("=")
    if scheme != "sha256" or not given:
        raise InvalidSignature("missing or malformed signature")
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    try:
        candidate = (
            bytes.fromhex(given) if len(given) == 64 else base64.b64decode(given, validate=True)
        )
    except (ValueError, binascii.Error):
        raise InvalidSignature("malformed signature") from None
    if not hmac.compare_digest(mac, candidate):
        raise InvalidSignature("signature mismatch")


@dataclass
class PollReport:
    """What one poll cycle did (for logs and tests)."""

    read: dict[str, int] = field(default_factory=dict)
    notified: list[str] = field(default_factory=list)


class Notifications:
    """Decides who hears what about a changed record, and tells them."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        notifier: Notifier,
        orchestrator: OrchestratorGetter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._storage = storage
        self._notifier = notifier
        self._orchestrator = orchestrator
        self.clock = clock
        # Before the first poll the watermark is the bot's start: no flood of old changes.
        self._started = clock()
        self._locks: dict[str, asyncio.Lock] = {}
        self._sent: dict[str, deque[float]] = {}
        # Others who act on a webhook's record-changed event (ticketed access: a closed
        # access ticket resumes its Entra request without waiting for that poller).
        self.listeners: list[Callable[[WebhookEvent], Awaitable[object]]] = []

    # -- mutes (dialogs' "Stop updates") --------------------------------------------------------

    async def mute(self, sys_id: str) -> None:
        """No more notifications about this record."""
        await self._storage.write({PREFIX + "mute/" + sys_id: {"muted": True, "e_tag": "*"}})

    async def is_muted(self, sys_id: str) -> bool:
        """Whether the record's owner asked for no more updates on it."""
        key = PREFIX + "mute/" + sys_id
        item = (await self._storage.read([key])).get(key)
        return isinstance(item, dict) and bool(item.get("muted"))

    # -- the two sources -------------------------------------------------------------------------

    async def on_event(self, event: WebhookEvent) -> bool:
        """A webhook's record-changed event: read the record and tell its owner. True when a
        notification was delivered."""
        orch = self._connected()
        desk = next(
            (d for d in DESKS if orch.templates.get(SCENARIOS[d]).table == event.table), None
        )
        if desk is None:
            log.info("notifications.event.ignored", extra={"table": event.table})
            return False
        record = await get_changed_record(orch, desk, event.sys_id)
        if record is None:
            return False
        since = datetime.fromtimestamp(self.clock() - self._settings.webhook_window_seconds, UTC)
        return await self._consider(record, since, event.changed)

    async def poll_once(self) -> PollReport:
        """One bounded cycle: per desk, the records changed since its watermark (at most
        SNOWDESK_NOTIFY_POLL_BATCH), each considered once, then the watermark moves on."""
        orch = self._connected()
        report = PollReport()
        batch = self._settings.notify_poll_batch
        for desk in DESKS:
            watermark = await self._watermark(desk)
            records = await get_changed_records(orch, desk, watermark, batch)
            report.read[desk] = len(records)
            for record in records:
                try:
                    if await self._consider(record, watermark, ()):
                        report.notified.append(record.number)
                except Exception as error:  # one record's failure does not stop the cycle
                    log.warning(
                        "notifications.poll.record_failed",
                        extra={"number": record.number, "error_type": type(error).__name__},
                        exc_info=not is_outage(error),
                    )
            await self._advance(desk, watermark, records, batch)
        return report

    # -- deciding and telling ------------------------------------------------------------------

    async def _consider(
        self, record: ChangedRecord, since: datetime, changed: list[str] | tuple[str, ...]
    ) -> bool:
        async with self._lock(record.sys_id):
            seen = await self._seen(record.sys_id)
            now_seen = Seen.of(record)
            if seen == now_seen:
                return False  # already handled (the webhook, then the poller, say)
            acting = self._connected().acting_user_name
            notice = notice_for(
                record, seen, since=since, by_bot=[acting] if acting else [], changed=changed
            )
            await self._remember(record.sys_id, now_seen)
        if notice is None:
            return False
        if await self.is_muted(record.sys_id):
            log.info("notifications.muted", extra={"number": record.number})
            return False
        if not self._within_rate(record.owner_sys_id):
            log.info("notifications.rate_limited", extra={"number": record.number})
            return False
        # Only the record's owner: their stored personal chat, found by their email.
        person = record.owner_email or record.owner_sys_id
        card = card_to_dict(record_changed_card(notice))
        delivered = await self._notifier.notify(person, headline(notice), card)
        log.info(
            "notifications.sent" if delivered else "notifications.not_sent",
            extra={"number": record.number, "kind": notice.kind},
        )
        return delivered

    def _within_rate(self, owner: str) -> bool:
        """At most SNOWDESK_NOTIFY_USER_LIMIT notifications per person per 10 minutes."""
        now = self.clock()
        sent = self._sent.setdefault(owner, deque())
        while sent and sent[0] <= now - RATE_WINDOW_S:
            sent.popleft()
        if len(sent) >= self._settings.notify_user_limit:
            return False
        sent.append(now)
        return True

    def _connected(self) -> Orchestrator:
        orch = self._orchestrator()
        if orch is None:
            raise ServiceNowNotConnected
        return orch

    def _lock(self, sys_id: str) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # records seen long ago need no lock any more
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(sys_id, asyncio.Lock())

    # -- storage -------------------------------------------------------------------------------

    async def _seen(self, sys_id: str) -> Seen | None:
        key = PREFIX + "seen/" + sys_id
        item = (await self._storage.read([key])).get(key)
        if not isinstance(item, dict) or "state_value" not in item:
            return None
        return Seen(str(item["state_value"]), str(item["comment_key"]), str(item["updated_at"]))

    async def _remember(self, sys_id: str, seen: Seen) -> None:
        item = {
            "state_value": seen.state_value,
            "comment_key": seen.comment_key,
            "updated_at": seen.updated_at,
            "e_tag": "*",
        }
        await self._storage.write({PREFIX + "seen/" + sys_id: item})

    async def _watermark(self, desk: Desk) -> datetime:
        key = PREFIX + "watermark/" + desk
        item = (await self._storage.read([key])).get(key)
        if isinstance(item, dict) and isinstance(item.get("at"), str):
            return datetime.fromisoformat(item["at"])
        return datetime.fromtimestamp(int(self._started), UTC)

    async def _advance(
        self, desk: Desk, watermark: datetime, records: list[ChangedRecord], batch: int
    ) -> None:
        """The next watermark: the newest change read (read again next time, and skipped as
        seen), or one second on when a whole batch changed within the same second."""
        stamps = [r.updated_at for r in records if r.updated_at is not None]
        newest = max([watermark, *(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps)])
        if len(records) >= batch and servicenow_time(newest) == servicenow_time(watermark):
            log.warning("notifications.poll.crowded_second", extra={"desk": desk})
            newest = datetime.fromtimestamp(newest.timestamp() + 1, UTC)
        key = PREFIX + "watermark/" + desk
        await self._storage.write({key: {"at": newest.isoformat(), "e_tag": "*"}})


class ServiceNowNotConnected(Exception):
    """A change arrived before the bot had connected to ServiceNow."""


# -- the route -------------------------------------------------------------------------------


@dataclass
class _Webhook:
    service: Notifications
    claims: ClaimStore
    secret: str = field(repr=False)
    window: float = 300.0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


NOTIFICATIONS = web.AppKey("notifications", Notifications)
WEBHOOK = web.AppKey("notifications_webhook", _Webhook)


async def servicenow_webhook(request: web.Request) -> web.StreamResponse:
    """Verify the signature and freshness, claim the event id, answer 202 and notify after."""
    hook = request.app[WEBHOOK]
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_BODY_BYTES, actual_size=request.content_length
        )
    body = await request.content.read(MAX_BODY_BYTES + 1)
    try:
        verify_signature(
            hook.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            request.headers.get(SIGNATURE_HEADER, ""),
            body,
            hook.service.clock(),
            hook.window,
        )
    except InvalidSignature as refused:
        log.info("notifications.webhook.refused", extra={"reason": str(refused)})
        raise web.HTTPUnauthorized(text="The request's signature was not accepted.") from None
    try:
        event = WebhookEvent.model_validate_json(body)
    except ValidationError as invalid:
        where = ".".join(str(p) for p in invalid.errors()[0]["loc"]) if invalid.errors() else ""
        raise web.HTTPBadRequest(text=f"The event is not valid ({where or 'not JSON'}).") from None
    # A retried or replayed delivery of the same event does nothing twice; answering 200 stops
    # ServiceNow retrying it.
    if not await hook.claims.claim(PREFIX + "event/" + event.event_id, EVENT_CLAIM_TTL_S):
        return web.json_response({"status": "duplicate", "event_id": event.event_id})
    hook.in_background(_handle(hook.service, event))
    return web.json_response({"status": "accepted", "event_id": event.event_id}, status=202)


async def _handle(service: Notifications, event: WebhookEvent) -> None:
    for work in (service.on_event, *service.listeners):
        try:
            await work(event)
        except Exception as error:  # the pollers catch what is lost here
            log.warning(
                "notifications.event.failed",
                extra={"event_id": event.event_id, "error_type": type(error).__name__},
                exc_info=not (is_outage(error) or isinstance(error, ServiceNowNotConnected)),
            )


# -- wiring ----------------------------------------------------------------------------------


def webhook_secret(settings: Settings) -> str:
    """SNOWDESK_WEBHOOK_SECRET, or one made now for the embedded emulator (which is told it)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    return secrets.token_urlsafe(32) if settings.uses_embedded_servicenow else ""


def own_webhook(settings: Settings, secret: str) -> WebhookTarget | None:
    """Where the embedded emulator sends its events: this bot's own webhook."""
    if not settings.uses_embedded_servicenow:
        return None
    host = settings.bind_host if settings.bind_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return WebhookTarget(f"http://{host}:{settings.port}{PATH}", secret)


def add_notifications(
    app: web.Application,
    settings: Settings,
    storage: Storage,
    claims: ClaimStore,
    notifier: Notifier,
    orchestrator: OrchestratorGetter,
    secret: str,
) -> Notifications:
    """Register the webhook route; start the poller with the app (unless turned off)."""
    service = Notifications(settings, storage, notifier, orchestrator)
    hook = _Webhook(service, claims, secret, settings.webhook_window_seconds)
    app[NOTIFICATIONS] = service
    app[WEBHOOK] = hook
    app.router.add_post(PATH, servicenow_webhook)
    app.cleanup_ctx.append(_context(settings.notify_poll_seconds))
    return service


def _context(interval: float) -> Callable[[web.Application], AsyncIterator[None]]:
    async def notifications(app: web.Application) -> AsyncIterator[None]:
        hook = app[WEBHOOK]
        poller = asyncio.ensure_future(_poll_forever(hook.service, interval)) if interval else None
        try:
            yield
        finally:
            for task in [*hook.tasks, *([poller] if poller else [])]:
                task.cancel()
            await asyncio.gather(*hook.tasks, *([poller] if poller else []), return_exceptions=True)

    return notifications


async def _poll_forever(service: Notifications, interval: float) -> None:
    """Every `interval` seconds one poll cycle; a failed cycle is logged, not fatal."""
    while True:
        await asyncio.sleep(interval)
        try:
            report = await service.poll_once()
        except Exception as error:
            log.warning(
                "notifications.poll.failed",
                extra={"error_type": type(error).__name__},
                exc_info=not (is_outage(error) or isinstance(error, ServiceNowNotConnected)),
            )
            continue
        if report.notified:
            log.info("notifications.poll", extra={"notified": len(report.notified)})
