"""Who can be told something later: stored conversation references and proactive notifications.

When the bot meets a person in their personal chat (install, first message, any turn), a
middleware stores that conversation's reference in the bot's storage, keyed by every name the
rest of Snowdesk may know the person by: the Entra object id, the channel's user id and, once
known, the email (the Teams profile's, or the demo user's in the Emulator). A `Notifier` then
sends a proactive message to that chat through the adapter, or logs that it could not.

Small on purpose: the notifications work reuses `ConversationStore` and `Notifier` as they are.
"""

from __future__ import annotations

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
        changes = {
            key: {"reference": reference.serialize(), "e_tag": "*"}
            for key in keys
            if self._known.get(key) != conversation_id
        }
        if not changes:
            return
        await self._storage.write(changes)
        self._known.update(dict.fromkeys(changes, conversation_id))

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


class ProactiveNotifier:
    """Sends a proactive message through the adapter to a person's stored personal chat."""

    def __init__(self, adapter: Any, store: ConversationStore, app_id: str) -> None:
        self._adapter = adapter
        self._store = store
        self._app_id = app_id

    async def notify(self, person: str, text: str, card: dict[str, Any] | None = None) -> bool:
        """Deliver `text` (and `card`) to the person; False (and a log line) when impossible."""
        reference = await self._store.find(person) if person else None
        if reference is None:
            log.info("notification.undeliverable", extra={"reason": "no conversation reference"})
            return False
        activity = Activity(type=ActivityTypes.message, text=text)
        if card is not None:
            activity.attachments = [Attachment(content_type=ADAPTIVE_CARD, content=card)]

        async def send(context: TurnContext) -> None:
            await context.send_activity(activity)

        try:
            await self._adapter.continue_conversation(reference, send, self._app_id)
        except Exception as error:  # the channel refused or is away: the caller goes on
            log.warning(
                "notification.undeliverable",
                extra={"reason": "channel refused", "error_type": type(error).__name__},
            )
            return False
        return True


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
