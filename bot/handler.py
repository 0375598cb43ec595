"""The activity handler: state, welcome, messages, card submissions and invokes."""

from __future__ import annotations

import functools
import logging

from botbuilder.core import (
    ConversationState,
    InvokeResponse,
    PrivateConversationState,
    TurnContext,
    UserState,
)
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import DialogExtensions
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botframework.connector.auth.user_token_client import UserTokenClient
from msrest.serialization import Model

from bot.deadline import kept_informed
from bot.personal import POINTER, is_shared, run_in_personal_chat, speaker_name
from bot.sso import EmployeeIdentity
from cards.common import team_intro_card, welcome_card
from dialogs.base import send_card
from dialogs.main import MainDialog
from dialogs.sign_in import SIGNED_IN, SSO_CLAIMS
from topics import BY_ID

log = logging.getLogger(__name__)

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
_TURNS_WITH_IDENTITY = frozenset({ActivityTypes.message, ActivityTypes.invoke, ActivityTypes.event})


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
    """Hands every message and card action to the main router dialog; saves state after each turn.

    Dialog state belongs to a person in a conversation (botbuilder's private conversation
    state), never to the conversation: in a group chat everyone has their own forms. A turn
    about records in a group chat or channel runs in the speaker's personal chat instead.
    """

    def __init__(
        self,
        private_state: PrivateConversationState,
        room_state: ConversationState,
        user_state: UserState,
        main_dialog: MainDialog,
        *,
        bot_app_id: str = "",
        progress_after_seconds: float = 5.0,
        identity: EmployeeIdentity | None = None,
    ) -> None:
        self.private_state = private_state
        # What belongs to the conversation itself (has the bot introduced itself there?).
        self.room_state = room_state
        self.introduced = self.room_state.create_property("Introduced")
        self.user_state = user_state
        self.main_dialog = main_dialog
        self.bot_app_id = bot_app_id
        self.progress_after_seconds = progress_after_seconds
        self.dialog_state = private_state.create_property("DialogState")
        # Modes `user` and `hybrid`: each turn carries the employee's own identity (or none).
        self.identity = identity

    async def on_turn(self, turn_context: TurnContext) -> None:
        if self.identity is not None and turn_context.activity.type in _TURNS_WITH_IDENTITY:
            await self.identity.begin_turn(turn_context)
        if turn_context.activity.type != ActivityTypes.message:
            await super().on_turn(turn_context)
        else:
            async with kept_informed(turn_context, self.progress_after_seconds):
                await super().on_turn(turn_context)
        await self._save(turn_context)

    async def _save(self, turn_context: TurnContext) -> None:
        await self.private_state.save_changes(turn_context)
        await self.room_state.save_changes(turn_context)
        await self.user_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.text and activity.recipient:
            # In group chats and channels the text starts with "<at>Snowdesk</at>"; Web Chat
            # activities may come without a recipient, and then carry no mention of the bot.
            activity.text = TurnContext.remove_recipient_mention(activity).strip()
        log.info(
            "message.received",
            extra={
                "activity_id": activity.id,
                "conversation_id": activity.conversation.id if activity.conversation else "",
                "card_action": isinstance(activity.value, dict),
                "shared": is_shared(activity),
            },
        )
        if is_shared(activity) and await self._about_records(activity):
            await run_in_personal_chat(
                turn_context, self.bot_app_id, functools.partial(self._personal_turn, turn_context)
            )
            await turn_context.send_activity(POINTER.format(name=speaker_name(activity)))
            return
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def _personal_turn(self, said: TurnContext, personal: TurnContext) -> None:
        # The speaker's identity for this turn (and their token client, for a sign-in card)
        # follows them into their personal chat.
        for key in (SIGNED_IN, SSO_CLAIMS, UserTokenClient.__name__):
            if key in said.turn_state and key not in personal.turn_state:
                personal.turn_state[key] = said.turn_state[key]
        await DialogExtensions.run_dialog(self.main_dialog, personal, self.dialog_state)
        await self._save(personal)

    async def _about_records(self, activity: Activity) -> bool:
        """A card action or a request of a desk topic: its answer is someone's records."""
        if isinstance(activity.value, dict):
            topic = BY_ID.get(".".join(str(activity.value.get("verb", "")).split(".")[:2]))
            return topic is None or topic.desk is not None
        recognition = await self.main_dialog.recognizer.recognize_async(activity.text)
        topic = BY_ID.get(recognition.topic)
        return topic is not None and topic.desk is not None

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Personal chat: a welcome card for the person. A team or group chat: one introduction
        when the bot itself is added, and nothing for each member who joins (records are shown
        only in personal chat, so a welcome there would invite people to the wrong place)."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if is_shared(activity):
            bot_added = any(member.id == bot_id for member in members_added)
            # Once per conversation, even if Teams delivers the install event again.
            if bot_added and not await self.introduced.get(turn_context, False):
                await self.introduced.set(turn_context, True)
                await send_card(turn_context, team_intro_card())
            return
        for member in members_added:
            if member.id != bot_id:
                await send_card(turn_context, welcome_card(member.name))

    async def on_teams_signin_verify_state(self, turn_context: TurnContext) -> None:
        """The sign-in button's answer (magic code in `value.state`): the OAuthPrompt takes it."""
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_teams_signin_token_exchange(self, turn_context: TurnContext) -> None:
        """Silent SSO (already exchanged once by `SsoTokenExchange`): the OAuthPrompt takes it."""
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_token_response_event(self, turn_context: TurnContext) -> None:
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

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
