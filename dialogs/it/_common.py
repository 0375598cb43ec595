"""What the IT topics share: one answer per turn, the same polite sentences for business errors."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from cards.common import message_card, submit
from dialogs.base import TopicDialog, TopicOptions
from dialogs.hr._common import send_card
from flows.errors import NotAllowed, RecordNotFound, UnknownEmployee
from flows.models import Employee

NOT_FOUND = "I can't find that ticket. Please check the number: I can only show tickets you opened."
NO_TICKETS = "You don't have any IT tickets yet. Would you like to report a problem?"
UNKNOWN_EMPLOYEE = (
    "I couldn't find your ServiceNow profile, so an admin needs to link your account first."
)


def ticket_number(options: TopicOptions) -> str | None:
    """The ticket number a button carried or the user typed; None means "my latest ticket"."""
    data = options.data or {}
    number = str(data.get("number") or options.entities.get("number") or "").strip().upper()
    return number or None


class ItTopic(TopicDialog):
    """An IT topic that answers in one turn; business errors become one polite sentence.

    A subclass may keep the topic running (e.g. waiting for a file) by returning False.
    """

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        topic_options = TopicOptions.of(options)
        return await self.guarded(inner_dc, lambda: self.answer(inner_dc, topic_options))

    async def guarded(
        self, dc: DialogContext, work: Callable[[], Awaitable[bool]]
    ) -> DialogTurnResult:
        """Run one piece of work; end the topic unless the work says it waits for the user."""
        try:
            done = await work()
        except RecordNotFound as error:
            await self._not_found(dc, error)
        except NotAllowed as error:
            await dc.context.send_activity(f"Sorry, I can't do that: {error.reason}.")
        except UnknownEmployee:
            await dc.context.send_activity(UNKNOWN_EMPLOYEE)
        except Exception as error:  # graceful exit: one sentence with a reference id, then end
            return await self.fail(dc, error)
        else:
            if not done:
                return Dialog.end_of_turn
        return await dc.end_dialog()

    @abstractmethod
    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        """Do the topic's work and send its answer; True when the topic is finished."""

    async def employee(self, dc: DialogContext) -> Employee:
        """The ServiceNow user this conversation acts as."""
        return await self.deps.current_employee(dc.context)

    @staticmethod
    async def _not_found(dc: DialogContext, error: RecordNotFound) -> None:
        if error.number:
            await dc.context.send_activity(NOT_FOUND)
            return
        card = message_card(NO_TICKETS, [submit("Report an IT problem", "it.create_ticket")])
        await send_card(dc.context, card)
