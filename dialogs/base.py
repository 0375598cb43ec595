"""The base of every topic: id = class name, shared dependencies, typing, graceful exit.

A topic is a `ComponentDialog` whose waterfall reads like its conversation. Topics never talk to
ServiceNow directly: they call system handlers in `flows/` with the orchestrator they are given.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

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
from topics import Topic

log = logging.getLogger(__name__)

UNKNOWN_EMPLOYEE = (
    "I couldn't find your ServiceNow profile, so an admin needs to link your account first."
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# The key of card data that names whom the card was made for; the router refuses anyone else.
OWNER = "for"
SUBMITTING = frozenset({"Action.Submit", "Action.Execute"})
EmployeeResolver = Callable[[TurnContext], Awaitable[Employee]]
# A sign-in that ended on top of a running topic: the topic waits on, without asking again.
SIGNED_IN_RESULT = {"snowdesk": "signed-in"}
# turn_state: the request a topic could not do because the employee's sign-in lapsed.
SIGN_IN_AGAIN = "snowdesk.sign_in_again"
SIGN_IN_LAPSED = "Your sign-in to ServiceNow has expired, so I need you to sign in again."


@dataclass(frozen=True)
class TopicDeps:
    """What topics need from the composition root (bot/app.py), built once ServiceNow is up."""

    orchestrator: Orchestrator
    current_employee: EmployeeResolver


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

    @staticmethod
    async def show_typing(context: TurnContext) -> None:
        """Tell the user we are working before a call to ServiceNow."""
        await context.send_activity(Activity(type=ActivityTypes.typing))

    async def employee(self, dc: DialogContext) -> Employee:
        """The ServiceNow user this conversation acts as."""
        return await self.deps.current_employee(dc.context)

    async def explain(self, dc: DialogContext, error: Exception) -> None:
        """Tell the user in one sentence why that did not work (unexpected errors: logged, with id)."""
        match error:
            case SignInRequired():
                # Expired or revoked consent: back to sign-in, with this request kept.
                activity = dc.context.activity
                value = activity.value if isinstance(activity.value, dict) else None
                dc.context.turn_state[SIGN_IN_AGAIN] = {"text": activity.text or "", "value": value}
                await dc.context.send_activity(SIGN_IN_LAPSED)
            case NotAllowed():
                await dc.context.send_activity(f"Sorry, I can't do that: {error.reason}.")
            case UnknownEmployee():
                await dc.context.send_activity(UNKNOWN_EMPLOYEE)
            case _:
                await self.report_failure(dc, error)

    async def fail(self, dc: DialogContext, error: Exception) -> DialogTurnResult:
        """Graceful exit: explain the failure, end the topic; the next message starts fresh."""
        await self.explain(dc, error)
        return await dc.end_dialog()

    async def report_failure(self, dc: DialogContext, error: Exception) -> None:
        """Log the failure with a reference id and tell the user in one sentence with that id."""
        reference = new_reference_id()
        activity = dc.context.activity
        log.warning(
            "topic.failed",
            exc_info=not is_outage(error),
            extra={
                "topic": self.topic_id,
                "ref": reference,
                "error_type": type(error).__name__,
                "activity_id": activity.id,
                "conversation_id": activity.conversation.id if activity.conversation else "",
            },
        )
        await dc.context.send_activity(failure_sentence(error, reference))


_FAILURES = {
    "unavailable": "ServiceNow isn't answering right now",
    "busy": "ServiceNow is busy right now",
    "refused": "ServiceNow refused my request, so an admin needs to check my access",
    "bug": "something went wrong on my side",
}


def failure_sentence(error: Exception, reference: str) -> str:
    """One plain sentence for a failure, with the reference id the logs carry."""
    what = _FAILURES[failure_kind(error)]
    return f"Sorry, {what}. Please try again in a moment (reference {reference})."


def user_zone(context: TurnContext) -> str | None:
    """The time zone the channel reports for the user (Teams: `localTimezone`), if any."""
    return context.activity.local_timezone or None


async def send_plain(context: TurnContext, text: str) -> None:
    """Send text that quotes what people wrote (comments): as plain text, so their markdown
    or HTML is shown, never rendered (no disguised links)."""
    await context.send_activity(
        Activity(type=ActivityTypes.message, text=text, text_format="plain")
    )


def to_attachment(card: AdaptiveCard, owner: str = "") -> Attachment:
    """Wrap a typed card as a Bot Framework attachment (the one place cards meet botbuilder);
    with an `owner`, every action's data says whom the card was made for."""
    content = card_to_dict(card)
    if owner:
        _stamp_owner(content, owner)
    return Attachment(content_type=CARD_CONTENT_TYPE, content=content)


async def send_card(context: TurnContext, card: AdaptiveCard) -> None:
    """Send one Adaptive Card, made for the person this turn answers."""
    attachment = to_attachment(card, card_owner(context.activity))
    await context.send_activity(MessageFactory.attachment(attachment))


def card_owner(activity: Activity) -> str:
    """The channel's id of the person a card is made for: whoever this turn answers."""
    return (activity.from_property.id if activity.from_property else "") or ""


def _stamp_owner(node: Any, owner: str) -> None:
    """Put `owner` into the data of every Submit/Execute action, nested cards included."""
    if isinstance(node, dict):
        if node.get("type") in SUBMITTING and isinstance(node.get("data"), dict):
            node["data"][OWNER] = owner
        for value in node.values():
            _stamp_owner(value, owner)
    elif isinstance(node, list):
        for item in node:
            _stamp_owner(item, owner)


def plain(data: dict[str, Any] | None, key: str) -> str:
    """A string value from card data (card inputs arrive as strings, or not at all)."""
    value = (data or {}).get(key)
    return value if isinstance(value, str) else ""


def record_number(options: TopicOptions) -> str | None:
    """The case or ticket number a button carried or the user typed; None means "my latest"."""
    data = options.data or {}
    number = str(data.get("number") or options.entities.get("number") or "").strip().upper()
    return number or None
