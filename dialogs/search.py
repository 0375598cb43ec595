"""The message extension: search your own tickets and cases from the compose box, insert a card.

Teams sends `composeExtension/query` as the employee types (command `searchRecords`, parameter
`searchQuery`, both declared in the manifest). The employee is resolved as every topic resolves
them, and the search goes through the system handlers, so it is filtered to them exactly as
"my tickets" and "my HR cases" are. Each result shows a thumbnail in the list and inserts the
record's card, made for the employee: its buttons act and its refresh runs for them alone.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from botbuilder.core import TurnContext
from botbuilder.schema import Attachment, ThumbnailCard
from botbuilder.schema.teams import (
    MessagingExtensionAttachment,
    MessagingExtensionQuery,
    MessagingExtensionResponse,
    MessagingExtensionResult,
)

from cards.hr import case_card
from cards.it import ticket_card
from dialogs.base import TopicDeps, card_owner, failure_answer, to_attachment, user_zone
from flows import hr, it
from flows.models import HRCase, Ticket

SEARCH_COMMAND = "searchRecords"
SEARCH_PARAMETER = "searchQuery"
THUMBNAIL_CONTENT_TYPE = "application/vnd.microsoft.card.thumbnail"
_OLDEST = datetime.min.replace(tzinfo=UTC)


def search_text(query: MessagingExtensionQuery) -> str:
    """What the employee typed into the search box (empty: show their latest records)."""
    for parameter in query.parameters or []:
        if parameter.name == SEARCH_PARAMETER and isinstance(parameter.value, str):
            return parameter.value
    return ""


class RecordSearch:
    """Answers the message extension's queries with the employee's own tickets and cases."""

    def __init__(self, deps: TopicDeps) -> None:
        self.deps = deps

    async def answer(
        self, context: TurnContext, query: MessagingExtensionQuery
    ) -> MessagingExtensionResponse:
        """A list of results, newest first; a failure is one sentence in the results pane."""
        if query.command_id != SEARCH_COMMAND:
            return _message(f"Snowdesk has no search called {(query.command_id or '')[:40]!r}.")
        try:
            tickets, cases = await self._search(context, search_text(query))
        except Exception as error:  # the pane shows one sentence, the log the reference id
            return _message(failure_answer(error, SEARCH_COMMAND, context.activity))
        records: list[Ticket | HRCase] = [*tickets, *cases]
        records.sort(key=lambda record: record.updated_at or _OLDEST, reverse=True)
        results = [self._result(context, record) for record in records]
        return MessagingExtensionResponse(
            compose_extension=MessagingExtensionResult(
                type="result", attachment_layout="list", attachments=results
            )
        )

    async def _search(self, context: TurnContext, text: str) -> tuple[list[Ticket], list[HRCase]]:
        employee = await self.deps.current_employee(context)
        orch = self.deps.orchestrator
        tickets, cases = await asyncio.gather(
            it.search_tickets(orch, employee, text),
            hr.search_cases(orch, employee, text),
            return_exceptions=True,  # both calls finish; the first failure is the answer
        )
        if isinstance(tickets, BaseException):
            raise tickets
        if isinstance(cases, BaseException):
            raise cases
        return tickets, cases

    def _result(
        self, context: TurnContext, record: Ticket | HRCase
    ) -> MessagingExtensionAttachment:
        tz = user_zone(context)
        if isinstance(record, Ticket):
            card, summary = ticket_card(record, tz=tz), record.short_description
        else:
            card, summary = case_card(record, tz=tz), record.subject
        activity = context.activity
        inserted = to_attachment(card, card_owner(activity), activity.channel_id or "")
        preview = ThumbnailCard(title=record.number, subtitle=summary, text=record.state)
        return MessagingExtensionAttachment(
            content_type=inserted.content_type,
            content=inserted.content,
            preview=Attachment(content_type=THUMBNAIL_CONTENT_TYPE, content=preview),
        )


def _message(text: str) -> MessagingExtensionResponse:
    return MessagingExtensionResponse(
        compose_extension=MessagingExtensionResult(type="message", text=text)
    )
