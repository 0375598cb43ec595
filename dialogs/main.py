"""The main router: recognise what the user wants, start its topic, handle interruptions.

It stays on the dialog stack for the whole conversation and routes every turn:
card actions by their `verb`, typed text through the recogniser.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from botbuilder.core import TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogTurnResult,
)
from botbuilder.schema import ActivityTypes

from cards.common import disambiguation_card, help_card, someone_elses_card, switch_topic_card
from dialogs.actions import CardSubmit, card_submit
from dialogs.base import (
    KEEP_GOING,
    OWNER,
    SIGN_IN_AGAIN,
    TopicDialog,
    TopicOptions,
    card_owner,
    send_card,
)
from dialogs.forms import AWAITS_TEXT, SHOWN_AT, verbatim
from dialogs.recognizer import DISAMBIGUATION_THRESHOLD, Recognition, TextRecognizer
from dialogs.sign_in import (
    RESUME,
    EmployeeSignIn,
    SignInDialog,
    is_signed_in,
    kept_request,
)
from dialogs.sign_out import SignOutDialog
from i18n import N_, _
from topics import BY_ID, CANCEL, CONTINUE_VERB, GREETING, HELP, NONE, REFRESH_VERBS, SIGN_OUT

CANCELLED = N_("OK, I've stopped. Nothing was sent to ServiceNow.")
STARTING_OVER = N_("OK, let's start over.")
HELP_IN_TOPIC = N_("You can carry on where we were, or say “cancel” to stop.")
NOTHING_RUNNING = N_("We weren't in the middle of anything. What can I do for you?")
# A message inside a topic must be this clear before the bot offers to switch topics, so that
# free text a topic asked for (a comment, a description) is not mistaken for a new request.
SWITCH_THRESHOLD = 0.6
# Alternatives less likely than this (the recogniser's calibrated probability) are too far off
# to offer in "Did you mean …?".
ALTERNATIVE_FLOOR = 0.1
NOTHING_TO_CANCEL = N_("There's nothing to cancel. What can I do for you?")
NOT_AVAILABLE = N_("Sorry, I can't do that yet, but it's coming soon.")
OUT_OF_SCOPE = N_("Sorry, that's not something I can do.")
HERE_IS = N_("Here is what I can do:")  # after a sentence that says why the menu
UNKNOWN_ACTION = N_("That button belongs to something I can no longer continue.")
STILL_OPEN = N_("Hi! What we started is still open above: carry on there, or say “cancel”.")
FORM_EXPIRED = N_(
    "Your earlier form had been left open for a while, so I closed it: nothing was sent."
)
DEFAULT_FORM_IDLE_SECONDS = 4 * 3600
NOT_YOUR_CARD = N_(
    "That card was made for someone else, so I can't act on it for you. Say “help” to start your own."
)


class MainDialog(ComponentDialog):
    """Routes each turn to a topic; the topics are its children."""

    def __init__(
        self,
        topics: Sequence[TopicDialog],
        recognizer: TextRecognizer,
        identity: EmployeeSignIn | None = None,
        form_idle_seconds: float = DEFAULT_FORM_IDLE_SECONDS,
    ) -> None:
        super().__init__(MainDialog.__name__)
        self.recognizer = recognizer
        # Identity modes `user` and `hybrid`: desk topics need the employee signed in.
        self.identity = identity
        self.form_idle_seconds = form_idle_seconds
        self.topics: dict[str, TopicDialog] = {}
        for topic in topics:
            unhandled = topic.topic.action_verbs - topic.action_verbs
            if unhandled:  # a button with such a verb would reach no handler
                raise ValueError(f"{topic.id} handles none of {sorted(unhandled)}")
            self.add_dialog(topic)
            self.topics[topic.topic_id] = topic
        self.add_dialog(SignOutDialog(identity))
        if identity is not None:
            self.add_dialog(SignInDialog(identity))

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        return await self._route(inner_dc)

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        return await self._route(inner_dc)

    async def _route(self, dc: DialogContext, again: bool = False) -> DialogTurnResult:
        activity = dc.context.activity
        submit = card_submit(activity)
        if self._signing_in(dc):
            await self._continue_sign_in(dc)
        elif submit is not None:  # a card's button: Action.Submit, or Action.Execute's invoke
            await self._route_card_action(dc, submit)
        elif activity.type != ActivityTypes.message:
            pass  # a sign-in invoke with no sign-in waiting for it (already answered)
        else:
            await self._route_text(dc, activity.text)
        await self._after_sign_in(dc, again)
        # The router never ends: it waits for the next turn whatever the topic did.
        return Dialog.end_of_turn

    def _signing_in(self, dc: DialogContext) -> bool:
        return dc.active_dialog is not None and dc.active_dialog.id == SignInDialog.__name__

    async def _continue_sign_in(self, dc: DialogContext) -> None:
        """While the sign-in card waits: an invoke or a magic code goes to it, "cancel" ends
        it, and any other message is the new request to keep (the card is sent again)."""
        activity = dc.context.activity
        text = (activity.text or "").strip()
        if activity.type != ActivityTypes.message or (text.isdigit() and not activity.value):
            await dc.continue_dialog()
            return
        recognition = await self.recognizer.recognize_async(text) if text else None
        await dc.cancel_all_dialogs()
        if recognition is not None and recognition.topic == CANCEL.id:
            await dc.context.send_activity(_(CANCELLED))
            return
        await self._route(dc, again=True)

    async def _after_sign_in(self, dc: DialogContext, again: bool) -> None:
        """Route the request a sign-in kept; or, when a topic found the sign-in lapsed, sign in
        again with the request kept."""
        context = dc.context
        if again:
            return  # the outer routing of this turn does it
        kept = context.turn_state.pop(RESUME, None)
        if isinstance(kept, dict):
            activity = context.activity
            # The kept request is routed as the message it was; the activity is put back
            # afterwards, since the adapter answers an invoke by the activity's type.
            original = (activity.type, activity.name, activity.text, activity.value)
            activity.type, activity.name = ActivityTypes.message, None
            activity.text, activity.value = kept.get("text") or "", kept.get("value")
            try:
                await self._route(dc, again=True)
            finally:
                activity.type, activity.name, activity.text, activity.value = original
        # Checked after the kept request ran: it may be the one that found the sign-in lapsed.
        lapsed = context.turn_state.pop(SIGN_IN_AGAIN, None)
        if lapsed is not None and self.identity is not None:
            await self.identity.sign_out(context)
            await dc.cancel_all_dialogs()
            await dc.begin_dialog(SignInDialog.__name__, lapsed)

    async def _sign_in_first(self, dc: DialogContext) -> bool:
        """True (and the sign-in card is on its way) when this request needs the employee's
        identity and the turn has none; the request is kept and done after sign-in."""
        if self.identity is None or is_signed_in(dc.context):
            return False
        await dc.begin_dialog(SignInDialog.__name__, kept_request(dc.context))
        return True

    async def _route_card_action(self, dc: DialogContext, submit: CardSubmit) -> None:
        owner = submit.data.get(OWNER)
        if owner is not None and owner != card_owner(dc.context.activity):
            if submit.verb in REFRESH_VERBS:
                # Someone else sees a record's card (a shared chat): the neutral view.
                await send_card(dc.context, someone_elses_card())
            else:
                await dc.context.send_activity(_(NOT_YOUR_CARD))
            return
        active = self._active_topic(dc)
        if submit.verb == CONTINUE_VERB:
            # "Keep going" on the switch card: say so; the topic's own card above still stands.
            await dc.context.send_activity(_(KEEP_GOING) if active else _(NOTHING_RUNNING))
            if active:
                await dc.reprompt_dialog()
            return
        if active is not None and active.handles(submit.verb):
            if not await self._sign_in_first(dc):
                await dc.continue_dialog()
            return
        data = submit.data
        entities = data.get("entities")
        options = TopicOptions(
            entities=dict(entities) if isinstance(entities, dict) else {},
            text=str(data.get("text") or ""),
            verb=submit.verb,
            data=data,
        )
        await self._start(dc, submit.topic_id, options, unknown_message=UNKNOWN_ACTION)

    async def _route_text(self, dc: DialogContext, text: str | None) -> None:
        recognition = await self.recognizer.recognize_async(text)
        said = (text or "").strip()
        options = TopicOptions(entities=users_words(said, recognition.entities), text=said)
        active = self._active_topic(dc)
        if active is not None and self._left_too_long(dc):
            await dc.cancel_all_dialogs()
            await dc.context.send_activity(_(FORM_EXPIRED))
            active = None
        if active is not None:
            await self._interrupt(dc, active, recognition, options)
        elif self._unsure(recognition):
            await self._disambiguate(dc, recognition, options)
        else:
            await self._start(dc, recognition.topic, options, unknown_message=NOT_AVAILABLE)

    async def _interrupt(
        self,
        dc: DialogContext,
        active: TopicDialog,
        recognition: Recognition,
        options: TopicOptions,
    ) -> None:
        """Text while a topic runs: cancel, start over, help, switch, or the topic's own input."""
        context = dc.context
        if recognition.topic == CANCEL.id and recognition.entities.get("restart"):
            await dc.cancel_all_dialogs()
            await context.send_activity(_(STARTING_OVER))
            await dc.begin_dialog(active.id, TopicOptions(entities={}).as_dict())
        elif recognition.topic == CANCEL.id:
            await dc.cancel_all_dialogs()
            await context.send_activity(_(CANCELLED))
        elif recognition.topic == HELP.id:
            await send_help(context, f"{_(HELP_IN_TOPIC)} {_(HERE_IS)}")
            await dc.reprompt_dialog()
        elif self._awaits_text(dc):
            await dc.continue_dialog()  # the words it asked for, whatever they sound like
        elif recognition.topic == GREETING.id:
            await context.send_activity(_(STILL_OPEN))
        elif self._asks_for_another_topic(active, recognition):
            card = switch_topic_card(
                active.topic, BY_ID[recognition.topic], dict(recognition.entities), options.text
            )
            await send_card(context, card)
        elif not await self._sign_in_first(dc):
            await dc.continue_dialog()

    def _left_too_long(self, dc: DialogContext) -> bool:
        """A form shown longer ago than `form_idle_seconds` no longer holds the conversation."""
        shown_at = dc.active_dialog.state.get(SHOWN_AT) if dc.active_dialog else None
        return isinstance(shown_at, float) and time.time() - shown_at > self.form_idle_seconds

    @staticmethod
    def _awaits_text(dc: DialogContext) -> bool:
        return bool(dc.active_dialog and dc.active_dialog.state.get(AWAITS_TEXT))

    def _asks_for_another_topic(self, active: TopicDialog, recognition: Recognition) -> bool:
        return (
            recognition.topic in self.topics
            and recognition.topic != active.topic_id
            and recognition.confidence >= SWITCH_THRESHOLD
        )

    def _unsure(self, recognition: Recognition) -> bool:
        return (
            recognition.topic in self.topics and recognition.confidence < DISAMBIGUATION_THRESHOLD
        )

    async def _disambiguate(
        self, dc: DialogContext, recognition: Recognition, options: TopicOptions
    ) -> None:
        """Offer the two or three closest topics, with what the user said attached to each."""
        close = [recognition.topic] + [
            topic
            for topic, score in recognition.alternatives
            if topic in self.topics and score >= ALTERNATIVE_FLOOR
        ]
        topics = [BY_ID[topic_id] for topic_id in close[:3]]
        card = disambiguation_card(topics, dict(recognition.entities), options.text)
        await send_card(dc.context, card)

    async def _start(
        self, dc: DialogContext, topic_id: str, options: TopicOptions, unknown_message: str
    ) -> None:
        context = dc.context
        if topic_id == GREETING.id:
            await send_help(context, N_("Hi! Here is what I can do for you:"))
        elif topic_id == HELP.id:
            await send_help(context)
        elif topic_id == CANCEL.id:
            await dc.cancel_all_dialogs()
            await context.send_activity(_(NOTHING_TO_CANCEL))
        elif topic_id == NONE.id:
            await send_help(context, f"{_(OUT_OF_SCOPE)} {_(HERE_IS)}")
        elif topic_id == SIGN_OUT.id:
            await dc.cancel_all_dialogs()
            await dc.begin_dialog(SignOutDialog.__name__)
        elif topic_id in self.topics:
            await dc.cancel_all_dialogs()
            if not await self._sign_in_first(dc):
                await dc.begin_dialog(self.topics[topic_id].id, options.as_dict())
        else:
            await send_help(context, f"{_(unknown_message)} {_(HERE_IS)}")

    def _active_topic(self, dc: DialogContext) -> TopicDialog | None:
        if dc.active_dialog is None:
            return None
        dialog = dc.find_dialog_sync(dc.active_dialog.id)
        return dialog if isinstance(dialog, TopicDialog) else None


async def send_help(
    context: TurnContext, intro: str = N_("Here is what I can do for you:")
) -> None:
    """Send the help card (a button per topic); `intro` is translated there."""
    await send_card(context, help_card(intro))


# Entities that carry the user's own words rather than a value the recogniser chose.
FREE_TEXT = ("comment", "description")


def users_words(said: str, entities: Mapping[str, str]) -> dict[str, str]:
    """The recognised entities, each free-text one as the user typed it: the recogniser reads a
    capped, space-folded copy, so a long description or comment would otherwise lose words."""
    return {
        name: verbatim(said, value) if name in FREE_TEXT else value
        for name, value in entities.items()
    }
