"""The activity handler: state, welcome, messages, card submissions and invokes."""

from __future__ import annotations

import logging

from botbuilder.core import (
    ConversationState,
    InvokeResponse,
    TurnContext,
    UserState,
)
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import Dialog, DialogExtensions
from botbuilder.schema import ChannelAccount
from msrest.serialization import Model

from cards.common import team_intro_card, welcome_card
from dialogs.base import send_card

log = logging.getLogger(__name__)

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
# Teams' conversation types shared by several people (personal chat is "personal").
SHARED_CONVERSATIONS = frozenset({"channel", "groupChat"})


class MessageInvokeResponse(Model):
    """An Universal Action answer that shows a message. It stays a msrest model because
    CloudAdapter.process serialises invoke bodies itself, and schema's own model types `value`
    as an object where Teams expects the message string."""

    _attribute_map = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "str"},
    }

    def __init__(self, value: str) -> None:
        super().__init__()
        self.status_code = 200
        self.type = "application/vnd.microsoft.activity.message"
        self.value = value


class SnowdeskBot(TeamsActivityHandler):
    """Hands every message and card action to the main router dialog; saves state after each turn."""

    def __init__(
        self, conversation_state: ConversationState, user_state: UserState, main_dialog: Dialog
    ) -> None:
        self.conversation_state = conversation_state
        self.user_state = user_state
        self.main_dialog = main_dialog
        self.dialog_state = conversation_state.create_property("DialogState")
        self.introduced = conversation_state.create_property("Introduced")

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self.conversation_state.save_changes(turn_context)
        await self.user_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.text:
            # In group chats and channels the text starts with "<at>Snowdesk</at>".
            activity.text = TurnContext.remove_recipient_mention(activity).strip()
        log.info(
            "message.received",
            extra={
                "activity_id": activity.id,
                "conversation_id": activity.conversation.id if activity.conversation else "",
                "card_action": isinstance(activity.value, dict),
            },
        )
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Personal chat: a welcome card for the person. A team or group chat: one introduction
        when the bot itself is added, and nothing for each member who joins (records are shown
        only in personal chat, so a welcome there would invite people to the wrong place)."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        conversation_type = (
            activity.conversation.conversation_type if activity.conversation else None
        )
        if conversation_type in SHARED_CONVERSATIONS:
            bot_added = any(member.id == bot_id for member in members_added)
            # Once per conversation, even if Teams delivers the install event again.
            if bot_added and not await self.introduced.get(turn_context, False):
                await self.introduced.set(turn_context, True)
                await send_card(turn_context, team_intro_card())
            return
        for member in members_added:
            if member.id != bot_id:
                await send_card(turn_context, welcome_card(member.name))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # botbuilder 4.17.1's on_adaptive_card_invoke serialises its response twice under
        # CloudAdapter (HTTP 500), so Universal Actions are answered here directly.
        activity = turn_context.activity
        if activity.name != ADAPTIVE_CARD_ACTION:
            return await super().on_invoke_activity(turn_context)
        action = (activity.value or {}).get("action") or {}
        activity.value = action.get("data") or {}
        activity.text = None
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)
        return InvokeResponse(status=200, body=MessageInvokeResponse(value="Done."))
