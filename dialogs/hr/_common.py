"""What the HR topics share: one answer per turn, the same polite sentences, the user's zone."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard

from cards.common import message_card, submit, to_attachment
from dialogs.base import TopicDialog, TopicOptions
from flows.errors import NotAllowed, RecordNotFound, UnknownEmployee
from flows.models import Employee

NOT_FOUND = "I can't find that HR case. Please check the number: I can only show cases you opened."
NO_CASES = "You don't have any HR cases yet. Would you like to open one?"
UNKNOWN_EMPLOYEE = (
    "I couldn't find your ServiceNow profile, so an admin needs to link your account first."
)


def user_zone(context: TurnContext) -> str | None:
    """The time zone the channel reports for the user (Teams: `localTimezone`), if any."""
    return context.activity.local_timezone or None


def case_number(options: TopicOptions) -> str | None:
    """The case number a button carried or the user typed; None means "my latest case"."""
    data = options.data or {}
    number = str(data.get("number") or options.entities.get("number") or "").strip().upper()
    return number or None


async def send_card(context: TurnContext, card: AdaptiveCard) -> None:
    """Send one Adaptive Card."""
    await context.send_activity(MessageFactory.attachment(to_attachment(card)))


class HRTopic(TopicDialog):
    """A one-turn HR topic: answer, then end; business errors become one polite sentence."""

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        topic_options = TopicOptions.of(options)
        try:
            await self.answer(inner_dc, topic_options)
        except RecordNotFound as error:
            await self._not_found(inner_dc.context, error)
        except NotAllowed as error:
            await inner_dc.context.send_activity(f"Sorry, I can't do that: {error.reason}.")
        except UnknownEmployee:
            await inner_dc.context.send_activity(UNKNOWN_EMPLOYEE)
        except Exception as error:  # graceful exit: one sentence with a reference id, then end
            return await self.fail(inner_dc, error)
        return await inner_dc.end_dialog()

    @abstractmethod
    async def answer(self, dc: DialogContext, options: TopicOptions) -> None:
        """Do the topic's one piece of work and send its answer."""

    async def employee(self, dc: DialogContext) -> Employee:
        """The ServiceNow user this conversation acts as."""
        return await self.deps.current_employee(dc.context)

    @staticmethod
    async def _not_found(context: TurnContext, error: RecordNotFound) -> None:
        if error.number:
            await context.send_activity(NOT_FOUND)
            return
        await send_card(context, message_card(NO_CASES, [submit("Ask HR", "hr.create_case")]))


def plain(data: dict[str, Any] | None, key: str) -> str:
    """A string value from card data (card inputs arrive as strings, or not at all)."""
    value = (data or {}).get(key)
    return value if isinstance(value, str) else ""
