"""The base of every topic: id = class name, shared dependencies, typing, graceful exit.

A topic is a `ComponentDialog` whose waterfall reads like its conversation. Topics never talk to
ServiceNow directly: they call system handlers in `flows/` with the orchestrator they are given.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogReason,
    DialogTurnResult,
)
from botbuilder.schema import Activity, ActivityTypes, Attachment
from microsoft_teams.cards import AdaptiveCard

from cards.common import card_to_dict
from flows.errors import (
    NotAllowed,
    SignInRequired,
    UnknownEmployee,
    failure_kind,
    is_outage,
    new_reference_id,
)
from flows.models import Employee
from flows.orchestrator import Orchestrator
from i18n import N_, _
from topics import Topic

log = logging.getLogger(__name__)

UNKNOWN_EMPLOYEE = N_(
    "I couldn't find you in ServiceNow, so I can't open or show your tickets and cases yet. "
    "Please ask your ServiceNow admin for an active user whose {field} matches your "
    "{value_kind}; then ask me again."
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
KEEP_GOING = N_("OK, let's carry on where we were: the card above is still open.")
# The key of card data that names whom the card was made for; the router refuses anyone else.
OWNER = "for"
SUBMIT, EXECUTE = "Action.Submit", "Action.Execute"
SUBMITTING = frozenset({SUBMIT, EXECUTE})
CARD_ACTION_INVOKE = "adaptiveCard/action"
TEAMS = "msteams"
# Channels that send `Action.Execute` back as an `adaptiveCard/action` invoke.
UNIVERSAL_ACTION_CHANNELS = frozenset({TEAMS})
_ANSWER_CARD = "snowdesk.answer_card"
EmployeeResolver = Callable[[TurnContext], Awaitable[Employee]]
# A sign-in that ended on top of a running topic: the topic waits on, without asking again.
SIGNED_IN_RESULT = {"snowdesk": "signed-in"}
# turn_state: the request a topic could not do because the employee's sign-in lapsed.
SIGN_IN_AGAIN = "snowdesk.sign_in_again"
SIGN_IN_LAPSED = N_("Your sign-in to ServiceNow has expired, so I need you to sign in again.")


class RecordMutes(Protocol):
    """Where "Stop updates" on a notification card is kept (bot/notifications.py)."""

    async def mute(self, sys_id: str) -> None:
        """No more notifications about this record."""
        ...


@dataclass(frozen=True)
class TopicDeps:
    """What topics need from the composition root (bot/app.py), built once ServiceNow is up."""

    orchestrator: Orchestrator
    current_employee: EmployeeResolver
    mutes: RecordMutes | None = None


@dataclass(frozen=True)
class TopicOptions:
    """How a topic was started: recognised entities and text, or the card action that started it."""

    entities: dict[str, str]
    text: str = ""
    verb: str = ""
    data: dict[str, Any] | None = None

    @classmethod
    def of(cls, options: object) -> TopicOptions:
        """Read the options a topic was begun with (a dict once state has been stored)."""
        if isinstance(options, TopicOptions):
            return options
        if isinstance(options, dict):
            return cls(
                entities=dict(options.get("entities") or {}),
                text=str(options.get("text") or ""),
                verb=str(options.get("verb") or ""),
                data=options.get("data"),
            )
        return cls(entities={})

    def as_dict(self) -> dict[str, Any]:
        """Plain data, so dialog state stays serialisable in every storage."""
        return {"entities": self.entities, "text": self.text, "verb": self.verb, "data": self.data}


class TopicDialog(ComponentDialog):
    """Base of every topic. Subclasses set their declared `topic` (see `topics`) and the card
    verbs they answer while running."""

    topic: ClassVar[Topic]
    # Verbs of cards this topic sent and handles while it is running (e.g. "it.create_ticket.submit").
    continue_verbs: ClassVar[frozenset[str]] = frozenset()
    # Verbs of the topic's own declared actions (`Topic.action`) this dialog acts on, whether
    # one starts it or arrives while it runs; MainDialog refuses a dialog that misses one.
    action_verbs: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, deps: TopicDeps) -> None:
        super().__init__(type(self).__name__)
        self.deps = deps

    @property
    def topic_id(self) -> str:
        """The declared topic's id, e.g. `it.create_ticket`."""
        return self.topic.id

    def handles(self, verb: str) -> bool:
        """True when a card action with this verb belongs to the running topic."""
        return verb in self.continue_verbs

    async def resume_dialog(
        self, dialog_context: DialogContext, reason: DialogReason, result: object = None
    ) -> DialogTurnResult:
        if result == SIGNED_IN_RESULT:
            return Dialog.end_of_turn  # the router routes the kept request itself
        return await super().resume_dialog(dialog_context, reason, result)

    async def employee(self, dc: DialogContext) -> Employee:
        """The ServiceNow user this conversation acts as."""
        return await self.deps.current_employee(dc.context)

    async def explain(self, dc: DialogContext, error: Exception) -> None:
        """Tell the user in one sentence why that did not work (unexpected errors: logged, with id)."""
        if isinstance(error, SignInRequired):
            # Expired or revoked consent: back to sign-in, with this request kept.
            activity = dc.context.activity
            value = activity.value if isinstance(activity.value, dict) else None
            dc.context.turn_state[SIGN_IN_AGAIN] = {"text": activity.text or "", "value": value}
            await dc.context.send_activity(_(SIGN_IN_LAPSED))
            return
        await dc.context.send_activity(failure_answer(error, self.topic_id, dc.context.activity))

    async def fail(self, dc: DialogContext, error: Exception) -> DialogTurnResult:
        """Graceful exit: explain the failure, end the topic; the next message starts fresh."""
        await self.explain(dc, error)
        return await dc.end_dialog()


def failure_answer(error: Exception, where: str, activity: Activity) -> str:
    """The one sentence a failure gets; an unexpected one is logged with the reference id the
    sentence gives (`where`: the topic, or whatever else was answering)."""
    match error:
        case NotAllowed():
            return _("Sorry, I can't do that: {reason}.").format(reason=error.reason)
        case UnknownEmployee():
            return _(UNKNOWN_EMPLOYEE).format(field=error.field, value_kind=_(error.value_kind))
    reference = new_reference_id()
    log.warning(
        "topic.failed",
        exc_info=not is_outage(error),
        extra={
            "topic": where,
            "ref": reference,
            "error_type": type(error).__name__,
            "activity_id": activity.id,
            "conversation_id": activity.conversation.id if activity.conversation else "",
        },
    )
    return failure_sentence(error, reference)


_FAILURES = {
    "unavailable": N_("ServiceNow isn't answering right now"),
    "busy": N_("ServiceNow is busy right now"),
    "refused": N_("ServiceNow refused my request, so an admin needs to check my access"),
    "bug": N_("something went wrong on my side"),
}


def failure_sentence(error: Exception, reference: str) -> str:
    """One plain sentence for a failure, with the reference id the logs carry."""
    what = _(_FAILURES[failure_kind(error)])
    return _("Sorry, {what}. Please try again in a moment (reference {reference}).").format(
        what=what, reference=reference
    )


def user_zone(context: TurnContext) -> str | None:
    """The time zone the channel reports for the user (Teams: `localTimezone`), if any."""
    return context.activity.local_timezone or None


async def send_plain(context: TurnContext, text: str) -> None:
    """Send text that quotes what people wrote (comments): as plain text, so their markdown
    or HTML is shown, never rendered (no disguised links)."""
    await context.send_activity(
        Activity(type=ActivityTypes.message, text=text, text_format="plain")
    )


def to_attachment(card: AdaptiveCard, owner: str = "", channel: str = TEAMS) -> Attachment:
    """Wrap a typed card as a Bot Framework attachment (the one place cards meet botbuilder).

    With an `owner`, every action's data says whom the card was made for, and the card's
    `refresh` runs for them alone. Teams gets Universal Actions (`Action.Execute`, each with an
    `Action.Submit` fallback for clients older than 1.4); channels without them (the Emulator,
    Web Chat) get the same buttons as `Action.Submit` and no `refresh`.
    """
    content = card_to_dict(card)
    actions = _actions(content)  # one walk of the card serves the three steps below
    if channel in UNIVERSAL_ACTION_CHANNELS:
        _for_teams(content, actions, owner)
    else:
        _as_submits(content, actions)
    if owner:
        _stamp_owner(actions, owner)
    return Attachment(content_type=CARD_CONTENT_TYPE, content=content)


async def send_card(context: TurnContext, card: AdaptiveCard) -> None:
    """Send one Adaptive Card, made for the person this turn answers.

    In a Universal Action's turn (an `adaptiveCard/action` invoke) the card is not sent but kept
    as the invoke's answer, which replaces the clicked card in place (`answer_card`); should a
    turn make two cards, the earlier one is sent as a message.
    """
    activity = context.activity
    attachment = to_attachment(card, card_owner(activity), activity.channel_id or "")
    if not is_card_action(activity):
        await context.send_activity(MessageFactory.attachment(attachment))
        return
    earlier: Attachment | None = context.turn_state.get(_ANSWER_CARD)
    context.turn_state[_ANSWER_CARD] = attachment
    if earlier is not None:
        await context.send_activity(MessageFactory.attachment(earlier))


def answer_card(context: TurnContext) -> Attachment | None:
    """The card a Universal Action's turn answers with (the last one it made), if any."""
    attachment: Attachment | None = context.turn_state.get(_ANSWER_CARD)
    return attachment


def is_card_action(activity: Activity) -> bool:
    """True for a Universal Action (`Action.Execute` pressed, or a card's refresh)."""
    return bool(activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION_INVOKE)


def card_owner(activity: Activity) -> str:
    """The channel's id of the person a card is made for: whoever this turn answers."""
    return (activity.from_property.id if activity.from_property else "") or ""


def _for_teams(content: dict[str, Any], actions: list[dict[str, Any]], owner: str) -> None:
    """Each `Action.Execute` falls back to the same `Action.Submit`; the refresh is the owner's
    (without an owner there is nobody whose view it could be)."""
    refresh = content.get("refresh", {}).get("action")
    for action in actions:
        if action.get("type") == EXECUTE and action is not refresh:
            action["fallback"] = _submit_of(action)
    if owner and "refresh" in content:
        content["refresh"]["userIds"] = [owner]
    else:
        content.pop("refresh", None)


def _as_submits(content: dict[str, Any], actions: list[dict[str, Any]]) -> None:
    content.pop("refresh", None)
    for action in actions:
        if action.get("type") == EXECUTE:
            action.update(_submit_of(action))
            action.pop("verb", None)


def _submit_of(execute: dict[str, Any]) -> dict[str, Any]:
    """The `Action.Submit` twin of an `Action.Execute` (its data carries the verb too)."""
    kept = ("title", "data", "associatedInputs", "mode", "tooltip", "isEnabled", "iconUrl")
    return {"type": SUBMIT, **{key: execute[key] for key in kept if key in execute}}


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action object in a card, nested cards and select actions included (one walk)."""
    found: list[dict[str, Any]] = []
    pending: list[Any] = [card]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str) and kind.startswith("Action."):
                found.append(node)
            pending.extend(v for v in node.values() if isinstance(v, dict | list))
        else:
            pending.extend(v for v in node if isinstance(v, dict | list))
    return found


def _stamp_owner(actions: list[dict[str, Any]], owner: str) -> None:
    """Put `owner` into the data of every Submit/Execute action, nested cards included."""
    for action in actions:
        if action.get("type") in SUBMITTING and isinstance(action.get("data"), dict):
            action["data"][OWNER] = owner


def plain(data: dict[str, Any] | None, key: str) -> str:
    """A string value from card data (card inputs arrive as strings, or not at all)."""
    value = (data or {}).get(key)
    return value if isinstance(value, str) else ""


def record_number(options: TopicOptions) -> str | None:
    """The case or ticket number a button carried or the user typed; None means "my latest"."""
    data = options.data or {}
    number = str(data.get("number") or options.entities.get("number") or "").strip().upper()
    return number or None
