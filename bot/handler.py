"""The activity handler: state, welcome, messages, card submissions and invokes."""

from __future__ import annotations

import functools
import logging

from botbuilder.core import (
    ConversationState,
    InvokeResponse,
    MessageFactory,
    PrivateConversationState,
    StatePropertyAccessor,
    TurnContext,
    UserState,
)
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import MessagingExtensionQuery, MessagingExtensionResponse
from botframework.connector.auth.user_token_client import UserTokenClient
from msrest.serialization import Model

from bot.deadline import INVOKE_ANSWER, InvokeAnswer, kept_informed
from bot.personal import POINTER, is_shared, run_in_personal_chat, speaker_name
from bot.sso import EmployeeIdentity
from cards.common import team_intro_card, welcome_card
from dialogs.base import CARD_ACTION_INVOKE, CARD_CONTENT_TYPE, answer_card, send_card
from dialogs.language import guess_language
from dialogs.main import MainDialog
from dialogs.search import RecordSearch
from dialogs.sign_in import SIGNED_IN, SSO_CLAIMS
from i18n import DEFAULT, _, language_of_locale, speaking
from topics import BY_ID, REFRESH_VERBS

log = logging.getLogger(__name__)

_TURNS_WITH_IDENTITY = frozenset({ActivityTypes.message, ActivityTypes.invoke, ActivityTypes.event})


async def run_dialog(dialog: Dialog, context: TurnContext, accessor: StatePropertyAccessor) -> None:
    """Continue the dialog stack kept in `accessor`, or begin `dialog` on an empty one.

    What `DialogExtensions.run_dialog` does for a bot that is not a skill, without the rest:
    it also loaded every memory scope and deep-copied the whole state into a "Bot State" trace
    on every turn, which only the Emulator's inspector shows (~9 % of a busy bot's CPU).
    """
    dialogs = DialogSet(accessor)
    dialogs.add(dialog)
    dialog_context = await dialogs.create_context(context)
    result = await dialog_context.continue_dialog()
    if result.status == DialogTurnStatus.Empty:
        await dialog_context.begin_dialog(dialog.id)


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


class CardInvokeResponse(Model):
    """An Universal Action answer that replaces the clicked card with `card` (for the person
    who clicked). A msrest model for the same reason as `MessageInvokeResponse`."""

    _attribute_map = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "object"},
    }

    def __init__(self, card: dict[str, object]) -> None:
        super().__init__()
        self.status_code = 200
        self.type = CARD_CONTENT_TYPE
        self.value = card


class SnowdeskBot(TeamsActivityHandler):
    """Hands every message and card action to the main router dialog; saves state after each turn.

    Each turn speaks the employee's language: the activity's `locale` (Teams sends it), else the
    language the message is written in, else the one last guessed for them, else English.

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
        search: RecordSearch,
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
        self.search = search
        self.bot_app_id = bot_app_id
        self.progress_after_seconds = progress_after_seconds
        self.dialog_state = private_state.create_property("DialogState")
        # The language guessed from a person's words, for their card actions (no text to read).
        self.guessed_language = user_state.create_property("Language")
        # Modes `user` and `hybrid`: each turn carries the employee's own identity (or none).
        self.identity = identity

    async def on_turn(self, turn_context: TurnContext) -> None:
        # The one place the turn's language is set: cards and texts below read it implicitly.
        if self.identity is not None and turn_context.activity.type in _TURNS_WITH_IDENTITY:
            await self.identity.begin_turn(turn_context)
        with speaking(await self._language(turn_context)):
            if turn_context.activity.type != ActivityTypes.message:
                await super().on_turn(turn_context)
            else:
                async with kept_informed(turn_context, self.progress_after_seconds):
                    await super().on_turn(turn_context)
        await self._save(turn_context)

    async def _language(self, turn_context: TurnContext) -> str:
        """The language of this turn; a guess from the words is kept for the person's next
        card action, which carries no text (a locale is not kept: it comes every time)."""
        activity = turn_context.activity
        from_locale = language_of_locale(activity.locale)
        if from_locale is not None:
            return from_locale
        guessed = guess_language(activity.text) if activity.type == ActivityTypes.message else None
        if guessed is not None:
            await self.guessed_language.set(turn_context, guessed)
            return guessed
        remembered = await self.guessed_language.get(turn_context, DEFAULT)
        return str(remembered)

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
        if await self._ran_in_personal_chat(turn_context):
            await turn_context.send_activity(_(POINTER).format(name=speaker_name(activity)))
            return
        await run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def _ran_in_personal_chat(self, turn_context: TurnContext) -> bool:
        """A shared conversation's turn about records runs in the speaker's personal chat."""
        activity = turn_context.activity
        if not (is_shared(activity) and await self._about_records(activity)):
            return False
        await run_in_personal_chat(
            turn_context, self.bot_app_id, functools.partial(self._personal_turn, turn_context)
        )
        return True

    async def _personal_turn(self, said: TurnContext, personal: TurnContext) -> None:
        # The speaker's identity for this turn (and their token client, for a sign-in card)
        # follows them into their personal chat.
        for key in (SIGNED_IN, SSO_CLAIMS, UserTokenClient.__name__):
            if key in said.turn_state and key not in personal.turn_state:
                personal.turn_state[key] = said.turn_state[key]
        await run_dialog(self.main_dialog, personal, self.dialog_state)
        await self._save(personal)

    async def _about_records(self, activity: Activity) -> bool:
        """A card action or a request of a desk topic: its answer is someone's records."""
        if isinstance(activity.value, dict):
            verb = str(activity.value.get("verb", ""))
            if verb in REFRESH_VERBS:
                return False  # a refresh answers only in place, seen only by who refreshed
            topic = BY_ID.get(".".join(verb.split(".")[:2]))
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

    async def on_teams_messaging_extension_query(
        self, turn_context: TurnContext, query: MessagingExtensionQuery
    ) -> MessagingExtensionResponse:
        """The compose box's search of the employee's own tickets and cases."""
        return await self.search.answer(turn_context, query)

    async def on_teams_signin_verify_state(self, turn_context: TurnContext) -> None:
        """The sign-in button's answer (magic code in `value.state`): the OAuthPrompt takes it."""
        await run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_teams_signin_token_exchange(self, turn_context: TurnContext) -> None:
        """Silent SSO (already exchanged once by `SsoTokenExchange`): the OAuthPrompt takes it."""
        await run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_token_response_event(self, turn_context: TurnContext) -> None:
        await run_dialog(self.main_dialog, turn_context, self.dialog_state)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # botbuilder 4.17.1's on_adaptive_card_invoke serialises its response twice under
        # CloudAdapter (HTTP 500), so Universal Actions are answered here directly.
        activity = turn_context.activity
        if activity.name != CARD_ACTION_INVOKE:
            return await super().on_invoke_activity(turn_context)
        action = (activity.value or {}).get("action") or {}
        activity.value = action.get("data") or {}
        activity.text = None
        if await self._ran_in_personal_chat(turn_context):
            pointer = _(POINTER).format(name=speaker_name(activity))
            return InvokeResponse(status=200, body=MessageInvokeResponse(value=pointer))
        await run_dialog(self.main_dialog, turn_context, self.dialog_state)
        # The card the turn made replaces the clicked one: a submitted form becomes its
        # ticket, a refreshed card shows the record as it is now.
        card = answer_card(turn_context)
        answer: InvokeAnswer | None = turn_context.turn_state.get(INVOKE_ANSWER)
        if card is not None and (answer is None or answer.answer_in_place()):
            return InvokeResponse(status=200, body=CardInvokeResponse(card.content))
        if card is not None:  # the request was acknowledged meanwhile: the card goes to the chat
            await turn_context.send_activity(MessageFactory.attachment(card))
        return InvokeResponse(status=200, body=MessageInvokeResponse(value=_("Done.")))
