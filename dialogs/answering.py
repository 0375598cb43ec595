"""Answering topics: do one piece of work, answer, end; business errors become one polite sentence.

Both desks (HR cases, IT tickets) answer this way; a `Desk` holds what differs between them: the
not-found sentence and the card for someone who has no records yet. The list topics' filter and
paging options are read here too, so a tampered button is harmless on both desks.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard

from cards.common import FILTERS, message_card, submit
from dialogs.base import TopicDialog, TopicOptions, send_card
from flows.errors import RecordNotFound
from flows.models import Employee, ListFilter
from flows.orchestrator import Orchestrator
from i18n import _
from topics import Topic

Result = TypeVar("Result")
# A system handler that reads one of the user's records: (orchestrator, user, number or None).
RecordReader = Callable[[Orchestrator, Employee, str | None], Awaitable[Result]]

PAGE_SIZE = 5
MAX_OFFSET = 10_000  # far beyond anyone's records; keeps a tampered button harmless


@dataclass(frozen=True)
class Desk:
    """What one desk says when a record is not there."""

    not_found: str  # (msgids) for a number that is missing or not the user's: the same words
    nothing_yet: str  # for someone with no records at all
    create: Topic  # the topic that opens the first one

    def create_button(self) -> Any:
        """The button that offers to open a record on this desk."""
        return submit(_(self.create.title), self.create.verb)

    def nothing_yet_card(self) -> AdaptiveCard:
        """The answer to "my latest …" when there is none: say so and offer to open one."""
        return message_card(_(self.nothing_yet), [self.create_button()])


class AnsweringTopic(TopicDialog):
    """A topic that answers in one turn; a subclass may keep waiting for the user (returns False)."""

    desk: ClassVar[Desk]

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        topic_options = TopicOptions.of(options)
        return await self.guarded(inner_dc, lambda: self.answer(inner_dc, topic_options))

    async def guarded(
        self, dc: DialogContext, work: Callable[[], Awaitable[bool]]
    ) -> DialogTurnResult:
        """Run one piece of work; end the topic unless the work says it waits for the user."""
        try:
            done = await work()
        except Exception as error:  # graceful exit: one sentence (with a reference id), then end
            return await self.fail(dc, error)
        return await dc.end_dialog() if done else Dialog.end_of_turn

    @abstractmethod
    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        """Do the topic's work and send its answer; True when the topic is finished."""

    async def read(
        self, dc: DialogContext, reader: RecordReader[Result], number: str | None
    ) -> Result:
        """Show typing, then read the user's record by number (None: their latest)."""
        await self.show_typing(dc.context)
        return await reader(self.deps.orchestrator, await self.employee(dc), number)

    async def explain(self, dc: DialogContext, error: Exception) -> None:
        """A missing record gets the desk's words; everything else the words every topic uses."""
        if not isinstance(error, RecordNotFound):
            await super().explain(dc, error)
        elif error.number:
            await dc.context.send_activity(_(self.desk.not_found))
        else:
            await send_card(dc.context, self.desk.nothing_yet_card())


def list_filter(options: TopicOptions) -> ListFilter:
    """The filter a button carried or the user said; anything else means open records."""
    said = (options.data or {}).get("filter") or options.entities.get("filter")
    return next((f for f in FILTERS if f == said), "open")


def list_offset(options: TopicOptions) -> int:
    """The page offset a paging button carried (a tampered value falls back to the first page)."""
    value = (options.data or {}).get("offset", 0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return 0
    try:
        return min(max(int(value), 0), MAX_OFFSET)
    except ValueError:
        return 0
