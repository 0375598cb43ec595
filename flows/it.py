"""IT system handlers (ITSM, table `incident`): one business operation each, for the topics.

Every read is filtered to the employee by its template; every write first re-reads the ticket
through the same filter. "Does not exist" and "is not yours" are the same `RecordNotFound`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flows.errors import NotAllowed
from flows.models import (
    AttachmentInfo,
    Choice,
    Employee,
    ListFilter,
    RecordUpdates,
    Ticket,
    TicketDraft,
    TicketPage,
    Urgency,
)
from flows.orchestrator import Orchestrator
from flows.records import found, record_lookup, row_to_model

URGENCY_VALUES: dict[Urgency, str] = {"high": "1", "medium": "2", "low": "3"}
ACTIVE_FILTER: dict[ListFilter, str | None] = {"open": "true", "closed": "false", "all": None}


def ticket_url(orch: Orchestrator, sys_id: str) -> str:
    """The incident's page on the instance."""
    return f"{orch.instance_url}/incident.do?sys_id={sys_id}"


def _ticket(orch: Orchestrator, row: dict[str, Any]) -> Ticket:
    return row_to_model(Ticket, row, url=ticket_url(orch, row["sys_id"]))


def _must_be_open(row: dict[str, Any]) -> None:
    if not row.get("active", True):
        raise NotAllowed(f"{row.get('number', 'the ticket')} is closed")


def _list_scope(user: Employee) -> str:
    return f"tickets/{user.sys_id}"


async def get_categories(orch: Orchestrator) -> list[Choice]:
    """The incident categories (value + label) from `sys_choice`, cached for the metadata TTL."""
    cached = await orch.cache.get("choices/incident/category")
    if cached is None:
        result = await orch.run("ITSM.GetMetadata", {"Element": "category"}, None)
        cached = [{"value": r["value"], "label": r["label"]} for r in result.rows]
        await orch.cache.set("choices/incident/category", cached)
    return [Choice.model_validate(item) for item in cached]


async def create_ticket(
    orch: Orchestrator, user: Employee, draft: TicketDraft, idempotency_key: str
) -> Ticket:
    """Open an incident for the employee; the same key never opens a second one."""
    variables = {
        "ShortDescription": draft.short_description,
        "Description": draft.description,
        "Urgency": URGENCY_VALUES[draft.urgency],
    }
    if draft.category:
        variables["Category"] = draft.category
    result = await orch.run("ITSM.CreateTicket", variables, user, idempotency_key=idempotency_key)
    await orch.cache.invalidate(_list_scope(user))
    return _ticket(orch, found(result.first, None))


async def get_ticket_details(orch: Orchestrator, user: Employee, number: str | None) -> Ticket:
    """One of the employee's tickets with its latest comment; None = the latest updated."""
    result = await orch.run("ITSM.GetTicketDetails", record_lookup(number), user)
    return _ticket(orch, found(result.first, number))


async def get_ticket_status(orch: Orchestrator, user: Employee, number: str | None) -> Ticket:
    """The state of one of the employee's tickets; None = the latest updated."""
    result = await orch.run("ITSM.GetTicketStatus", record_lookup(number), user)
    return _ticket(orch, found(result.first, number))


async def list_tickets(
    orch: Orchestrator,
    user: Employee,
    filter: ListFilter = "open",
    offset: int = 0,
    page_size: int = 5,
) -> TicketPage:
    """A page of the employee's tickets, cached per user until their next create or update."""
    generation = await orch.cache.generation(_list_scope(user))
    key = f"{_list_scope(user)}/{generation}/{filter}/{offset}/{page_size}"
    cached = await orch.cache.get(key)
    if cached is not None:
        return TicketPage.model_validate(cached)
    active = ACTIVE_FILTER[filter]
    variables = {"Active": active} if active else {}
    result = await orch.run(
        "ITSM.GetUserTickets", variables, user, limit=page_size, offset=offset, count=True
    )
    page = TicketPage(
        items=[_ticket(orch, row) for row in result.rows],
        filter=filter,
        offset=offset,
        page_size=page_size,
        total=result.total or 0,
        as_of=datetime.now(UTC),
    )
    await orch.cache.set(key, page.model_dump(mode="json"))
    return page


async def add_comment(
    orch: Orchestrator, user: Employee, number: str, text: str, idempotency_key: str
) -> Ticket:
    """Add a customer-visible comment to one of the employee's open tickets (once per key)."""
    if not text.strip():
        raise NotAllowed("a comment needs some text")
    result = await orch.run(
        "ITSM.AddComment",
        {"Number": number.strip().upper(), "Comment": text},
        user,
        idempotency_key=idempotency_key,
        guard=_must_be_open,
    )
    await orch.cache.invalidate(_list_scope(user))
    return _ticket(orch, found(result.first, number))


async def change_urgency(
    orch: Orchestrator, user: Employee, number: str, urgency: Urgency
) -> Ticket:
    """Change the urgency of one of the employee's open tickets (priority follows)."""
    result = await orch.run(
        "ITSM.UpdateTicket",
        {"Number": number.strip().upper(), "Urgency": URGENCY_VALUES[urgency]},
        user,
        guard=_must_be_open,
    )
    await orch.cache.invalidate(_list_scope(user))
    return _ticket(orch, found(result.first, number))


async def get_ticket_updates(
    orch: Orchestrator, user: Employee, number: str | None
) -> RecordUpdates:
    """What changed last on one of the employee's tickets and its customer-visible comments."""
    result = await orch.run("ITSM.GetTicketUpdates", record_lookup(number), user)
    return row_to_model(RecordUpdates, found(result.first, number))


async def attach_file(
    orch: Orchestrator,
    user: Employee,
    number_or_sys_id: str,
    file_name: str,
    content_type: str,
    data: bytes,
) -> AttachmentInfo:
    """Attach a file to one of the employee's open tickets."""
    result = await orch.run("ITSM.GetTicketStatus", record_lookup(number_or_sys_id), user)
    row = found(result.first, number_or_sys_id)
    _must_be_open(row)
    record = await orch.client.upload_attachment(
        "incident", row["sys_id"], file_name, content_type, data
    )
    return AttachmentInfo(
        sys_id=str(record.get("sys_id", "")),
        file_name=str(record.get("file_name", file_name)),
        content_type=str(record.get("content_type", content_type)),
        size_bytes=int(record.get("size_bytes") or len(data)),
    )
