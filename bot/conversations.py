"""Who can be told something later: stored conversation references and proactive notifications.

When the bot meets a person in their personal chat (install, first message, any turn), a
middleware stores that conversation's reference in the bot's storage, keyed by every name the
rest of Snowdesk may know the person by: the Entra object id, the channel's user id and, once
known, the email (the Teams profile's, or the demo user's in the Emulator). A `Notifier` then
sends a proactive message to that chat through the adapter, or logs that it could not.

The notifications (bot/notifications.py) and ticketed access both send through `ProactiveNotifier`,
which queues sends per conversation and backs off when Teams answers 429.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from aiohttp import web
from botbuilder.core import Middleware, Storage, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference

from bot.config import Settings

log = logging.getLogger(__name__)

PREFIX = "snowdesk/conversations/"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class Notifier(Protocol):
    """Tells one employee something, in their personal chat with the bot."""

    async def notify(self, person: str, text: str, card: dict[str, Any] | None = None) -> bool:
        """`person`: an email, Entra object id or channel user id. True when it was delivered."""
        ...


def person_key(name: str) -> str:
    """The storage key of a person: emails and object ids compare case-insensitively."""
    return PREFIX + name.strip().lower().replace("/", "_")


class ConversationStore:
    """Conversation references in the bot's `Storage`, one item per name of the person."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        # What this process already wrote: a person's every turn costs no storage write.
        self._known: dict[str, str] = {}

    async def remember(self, reference: ConversationReference, names: Iterable[str]) -> None:
        """Store `reference` under every non-empty name (a changed conversation overwrites)."""
        conversation_id = reference.conversation.id if reference.conversation else ""
        keys = {person_key(name) for name in names if name and name.strip()}
        stale = [key for key in keys if self._known.get(key) != conversation_id]
        if not stale:
            return
        serialized = reference.serialize()  # once: msrest walks the whole reference
        await self._storage.write({key: {"reference": serialized, "e_tag": "*"} for key in stale})
        self._known.update(dict.fromkeys(stale, conversation_id))

    async def find(self, person: str) -> ConversationReference | None:
        """The stored reference of a person's personal chat, or None."""
        key = person_key(person)
        item = (await self._storage.read([key])).get(key)
        data = item.get("reference") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            return None
        return ConversationReference().deserialize(data)


class ConversationMiddleware(Middleware):
    """Remembers the personal chat of every person who talks to the bot."""

    def __init__(self, store: ConversationStore, demo_user: str) -> None:
        self._store = store
        self._demo_user = demo_user
        self._emails: dict[str, str] = {}

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        try:
            await self._remember(context)
        except Exception as error:  # a lost reference costs one notification, never the turn
            log.warning("conversation.remember_failed", extra={"error_type": type(error).__name__})
        await logic()

    async def _remember(self, context: TurnContext) -> None:
        activity = context.activity
        sender = activity.from_property
        conversation = activity.conversation
        if sender is None or conversation is None or sender.role == "bot":
            return
        # Notifications belong in the person's own chat, never in a group chat or channel.
        if conversation.conversation_type not in (None, "", "personal"):
            return
        names = [sender.aad_object_id or "", sender.id or ""]
        names.append(await self._email(context))
        reference = TurnContext.get_conversation_reference(activity)
        await self._store.remember(reference, names)

    async def _email(self, context: TurnContext) -> str:
        """The person's email: the Teams profile's (asked once), else the demo user's, whom
        Snowdesk acts as in the Emulator (bot/identity.py does the same)."""
        activity = context.activity
        if activity.channel_id != "msteams":
            return self._demo_user if "@" in self._demo_user else ""
        sender_id = activity.from_property.id or ""
        if sender_id not in self._emails:
            try:
                member = await TeamsInfo.get_member(context, sender_id)
                self._emails[sender_id] = member.email or member.user_principal_name or ""
            except Exception as error:  # the roster can refuse: the object id still works
                log.info("conversation.no_email", extra={"error_type": type(error).__name__})
                return ""
        return self._emails[sender_id]


# Teams answers 429 when a bot sends too fast (per conversation, per tenant): wait as its
# Retry-After says (else back off exponentially), at most this many tries, at most this long.
SEND_ATTEMPTS = 5
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0


class ProactiveNotifier:
    """Sends a proactive message through the adapter to a person's stored personal chat.

    Sends to one conversation are queued (one at a time, first come first served), and a 429
    from the channel is retried after its Retry-After, so a burst of notifications to one
    person never hammers Teams; other people's chats are not held up.
    """

    def __init__(
        self,
        adapter: Any,
        store: ConversationStore,
        app_id: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._adapter = adapter
        self._store = store
        self._app_id = app_id
        self._sleep = sleep
        self._queues: dict[str, asyncio.Lock] = {}

    async def notify(self, person: str, text: str, card: dict[str, Any] | None = None) -> bool:
        """Deliver `text` (and `card`) to the person; False (and a log line) when impossible."""
        reference = await self._store.find(person) if person else None
        if reference is None:
            log.info("notification.undeliverable", extra={"reason": "no conversation reference"})
            return False
        activity = Activity(type=ActivityTypes.message, text=text)
        if card is not None:
            activity.attachments = [Attachment(content_type=ADAPTIVE_CARD, content=card)]

        conversation_id = reference.conversation.id if reference.conversation else ""
        async with self._queue(conversation_id):
            return await self._send_with_backoff(reference, activity)

    async def _send_once(self, reference: ConversationReference, activity: Activity) -> None:
        """One try; the channel's refusal is raised here. (Raised inside the turn, it would
        reach the adapter's turn-error handler, which tells the user "something went wrong"
        and swallows it.)"""
        refused: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:
                await context.send_activity(activity)
            except Exception as error:
                refused.append(error)

        await self._adapter.continue_conversation(reference, send, self._app_id)
        if refused:
            raise refused[0]

    async def _send_with_backoff(
        self, reference: ConversationReference, activity: Activity
    ) -> bool:
        delay = FIRST_BACKOFF_S
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self._send_once(reference, activity)
                return True
            except Exception as error:  # the channel refused or is away: the caller goes on
                status, retry_after = _throttled(error)
                if status == 429 and attempt < SEND_ATTEMPTS:
                    wait = min(retry_after if retry_after is not None else delay, MAX_BACKOFF_S)
                    log.info("notification.throttled", extra={"attempt": attempt, "wait_s": wait})
                    await self._sleep(wait)
                    delay *= 2
                    continue
                log.warning(
                    "notification.undeliverable",
                    extra={
                        "reason": "channel refused",
                        "status": status,
                        "error_type": type(error).__name__,
                    },
                )
                return False
        return False

    def _queue(self, conversation_id: str) -> asyncio.Lock:
        if len(self._queues) > 10_000:  # idle chats need no queue
            self._queues = {k: v for k, v in self._queues.items() if v.locked()}
        return self._queues.setdefault(conversation_id, asyncio.Lock())


def _throttled(error: Exception) -> tuple[int | None, float | None]:
    """The HTTP status of a connector error, and its Retry-After in seconds (if any)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        retry_after = max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        retry_after = None  # an HTTP date: fall back to exponential back-off
    return (status if isinstance(status, int) else None), retry_after


NOTIFIER = web.AppKey("notifier", ProactiveNotifier)
CONVERSATIONS = web.AppKey("conversations", ConversationStore)


def add_conversations(
    app: web.Application, adapter: Any, storage: Storage, settings: Settings
) -> ProactiveNotifier:
    """Remember conversations on every turn of `adapter`; `app[NOTIFIER]` sends to them."""
    store = ConversationStore(storage)
    adapter.use(ConversationMiddleware(store, settings.demo_user))
    notifier = ProactiveNotifier(adapter, store, settings.app_id)
    app[CONVERSATIONS] = store
    app[NOTIFIER] = notifier
    return notifier
