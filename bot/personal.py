"""Shared conversations (group chats, channels): a person's records go to their personal chat.

In a group chat everyone can read every reply, so a turn that shows or changes records runs in
the speaker's 1:1 conversation with the bot (created through the connector, as Teams allows a
bot to) and the group gets one short pointer. Help, greetings and cancel stay where they were
said: they carry nothing personal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)

from i18n import N_

log = logging.getLogger(__name__)

SHARED_TYPES = frozenset({"groupChat", "channel"})
POINTER = N_("{name}, I've answered you in our personal chat, so your records stay private.")
Turn = Callable[[TurnContext], Awaitable[None]]


def is_shared(activity: Activity) -> bool:
    """True in a group chat or a channel: places where others read the bot's replies."""
    conversation = activity.conversation
    if conversation is None:
        return False
    return bool(conversation.is_group) or conversation.conversation_type in SHARED_TYPES


def speaker_name(activity: Activity) -> str:
    """The first name of who spoke, for the pointer ("Abel, I've answered you …")."""
    name = (activity.from_property.name if activity.from_property else "") or ""
    return name.split()[0] if name.strip() else "Hi"


async def run_in_personal_chat(context: TurnContext, bot_app_id: str, turn: Turn) -> None:
    """Run `turn` on the speaker's message inside their 1:1 chat with the bot."""
    said = context.activity
    if said.from_property is None or said.recipient is None or not said.service_url:
        raise ValueError("a shared-conversation turn needs a sender, a recipient and a service URL")
    tenant = said.conversation.tenant_id if said.conversation else None
    parameters = ConversationParameters(
        is_group=False,
        bot=said.recipient,
        members=[ChannelAccount(id=said.from_property.id, name=said.from_property.name)],
        tenant_id=tenant,
        channel_data={"tenant": {"id": tenant}} if tenant else None,
    )

    async def in_personal(personal: TurnContext) -> None:
        personal.activity = _as_personal(said, personal.activity.conversation)
        await turn(personal)

    await context.adapter.create_conversation(
        bot_app_id,
        in_personal,
        parameters,
        said.channel_id,
        said.service_url,
        None,
    )


def _as_personal(said: Activity, conversation: ConversationAccount) -> Activity:
    """The speaker's activity as if they had sent it in their personal chat."""
    tenant = conversation.tenant_id or (said.conversation.tenant_id if said.conversation else None)
    return Activity(
        type=ActivityTypes.message,
        id=said.id,
        timestamp=said.timestamp,
        local_timestamp=said.local_timestamp,
        local_timezone=said.local_timezone,
        locale=said.locale,
        channel_id=said.channel_id,
        service_url=said.service_url,
        from_property=said.from_property,
        recipient=said.recipient,
        conversation=ConversationAccount(
            id=conversation.id,
            conversation_type="personal",
            tenant_id=conversation.tenant_id
            or (said.conversation.tenant_id if said.conversation else None),
        ),
        text=said.text,
        value=said.value,
        attachments=said.attachments,
        channel_data=said.channel_data or ({"tenant": {"id": tenant}} if tenant else {}),
    )
