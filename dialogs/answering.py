"""Answering topics: do one piece of work, answer, end; business errors become one polite sentence.

Both desks (HR cases, IT tickets) answer this way; a `Desk` holds what differs between them: the
not-found sentence and the card for someone who has no records yet. The list topics' filter and
paging options are read here too, so a tampered button is harmless on both desks.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard

from cards.common import FILTERS, message_card, picked_record_card, submit
from dialogs._text import fold, tokens
from dialogs.base import TopicDialog, TopicOptions, record_number, send_card
from flows.errors import RecordNotFound
from flows.models import Employee, ListFilter, ServiceRecord
from flows.orchestrator import Orchestrator
from i18n import _
from topics import REFRESH, Topic

log = logging.getLogger(__name__)

Result = TypeVar("Result")
# A system handler that reads one of the user's records: (orchestrator, user, number or None).
RecordReader = Callable[[Orchestrator, Employee, str | None], Awaitable[Result]]
# A system handler that lists them: (orchestrator, user, filter, offset, page size).
RecordLister = Callable[[Orchestrator, Employee, ListFilter, int, int], Awaitable["Listed"]]


class Listed(Protocol):
    """A page of the user's records (`TicketPage`, `CasePage`)."""

    @property
    def items(self) -> Sequence[ServiceRecord]: ...


RECENT = 20  # how many of the user's records words are matched against

PAGE_SIZE = 5
MAX_OFFSET = 10_000  # far beyond anyone's records; keeps a tampered button harmless


# Letters then eight digits or more ("INC00100231"): no record number ServiceNow gives.
_MALFORMED_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{3,4}[\s#-]?|(?:ticket|case|incident)\s*#?\s*)\d{8,}(?!\d)",
    re.IGNORECASE,
)


def malformed_number(text: str) -> str | None:
    """A record number the user typed that cannot be one (too many digits), if any."""
    match = _MALFORMED_NUMBER.search(text)
    return match.group(0) if match else None


@dataclass(frozen=True)
class Desk:
    """What one desk says when a record is not there."""

    not_found: str  # (msgids) for a number that is missing or not the user's: the same words
    nothing_yet: str  # for someone with no records at all
    create: Topic  # the topic that opens the first one
    not_a_number: str  # for "INC00100231": `{typed}` is what the user typed
    records: RecordLister  # the user's own records, most recently updated first

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
        typed = malformed_number(topic_options.text) if not topic_options.verb else None
        if typed and record_number(topic_options) is None:
            # Never another record (the user's latest) for a number that cannot exist.
            await inner_dc.context.send_activity(_(self.desk.not_a_number).format(typed=typed))
            return await inner_dc.end_dialog()
        if REFRESH in self.topic.actions and topic_options.verb == self.topic.action(REFRESH):
            return await self._refresh_quietly(inner_dc, topic_options)
        return await self.guarded(inner_dc, lambda: self.answer(inner_dc, topic_options))

    async def _refresh_quietly(self, dc: DialogContext, options: TopicOptions) -> DialogTurnResult:
        """A card's refresh. Teams runs it each time the card is seen, so a failure leaves the
        card as it was and posts nothing (no typing, no error message in the chat)."""
        try:
            await self.refresh(dc, options)
        except Exception as error:
            log.info(
                "card.refresh_failed",
                extra={"topic": self.topic_id, "error_type": type(error).__name__},
            )
        return await dc.end_dialog()

    async def refresh(self, dc: DialogContext, options: TopicOptions) -> None:
        """Send the record's card as the record is now (topics that declare `refresh`)."""
        raise NotImplementedError(f"{self.topic_id} declares no {REFRESH} action")

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
        self, dc: DialogContext, reader: RecordReader[Result], options: TopicOptions
    ) -> Result:
        """Read the user's record: the one numbered, else the one their words name ("my vpn
        ticket", saying which it took), else their latest."""
        user = await self.employee(dc)
        number = record_number(options)
        if number is None and not options.verb:
            number = await self._named_by_words(dc, user, options.text)
        return await reader(self.deps.orchestrator, user, number)

    async def _named_by_words(self, dc: DialogContext, user: Employee, text: str) -> str | None:
        words = content_words(text)
        if not words:
            return None
        page = await self.desk.records(self.deps.orchestrator, user, "all", 0, RECENT)
        ranked = rank_by_words(words, [(item.number, item.summary) for item in page.items])
        if not ranked:
            return None  # nothing they said names one: their latest, as "my ticket" means
        (number, summary, word), *others = ranked
        card = picked_record_card(
            number=number,
            summary=summary,
            word=word,
            others=[other for other, _, _ in others[:2]],
            verb=self.topic.verb,
        )
        await send_card(dc.context, card)
        return number

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


# Words that say what kind of record or question it is, not which record: never matched.
_GENERIC = frozenset(
    [
        "my",
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "it",
        "its",
        "this",
        "that",
        "of",
        "on",
        "in",
        "to",
        "for",
        "about",
        "with",
        "and",
        "or",
        "any",
        "anything",
        "what",
        "whats",
        "how",
        "hows",
        "where",
        "wheres",
        "who",
        "when",
        "why",
        "which",
        "status",
        "state",
        "update",
        "updates",
        "news",
        "new",
        "ticket",
        "tickets",
        "case",
        "cases",
        "incident",
        "incidents",
        "request",
        "requests",
        "issue",
        "problem",
        "hr",
        "it",
        "helpdesk",
        "support",
        "fixed",
        "fix",
        "solved",
        "resolved",
        "closed",
        "open",
        "still",
        "yet",
        "done",
        "progress",
        "details",
        "detail",
        "show",
        "me",
        "see",
        "tell",
        "give",
        "get",
        "please",
        "pls",
        "thanks",
        "happening",
        "happened",
        "going",
        "there",
        "been",
        "has",
        "have",
        "had",
        "did",
        "does",
        "do",
        "can",
        "could",
        "would",
        "should",
        "latest",
        "last",
        "recent",
        "one",
        "mein",
        "meine",
        "mon",
        "ma",
        "mi",
        "mis",
        "mijn",
    ]
)


def content_words(text: str) -> set[str]:
    """The words of a message that could name one record ("vpn", "printer")."""
    return {w for w in tokens(fold(text)) if len(w) >= 3 and w not in _GENERIC and not w.isdigit()}


def rank_by_words(
    words: set[str], records: Sequence[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """Records whose summary shares a word with the message, best first (ties keep the list's
    order: most recently updated first), each with the word that matched."""
    scored = []
    for position, (number, summary) in enumerate(records):
        found = sorted(w for w in words if _mentions(summary, w))
        if found:
            scored.append((-len(found), position, number, summary, found[0]))
    return [(number, summary, word) for _, _, number, summary, word in sorted(scored)]


def _mentions(summary: str, word: str) -> bool:
    summary_words = tokens(fold(summary))
    # "printer" matches "printers", "printing" matches "print": a shared stem of 4+ letters.
    return any(
        w == word or (len(word) >= 4 and len(w) >= 4 and w[:4] == word[:4]) for w in summary_words
    )
