"""IT system handlers (ITSM, table `incident`): one business operation each, for the topics.

Every read is filtered to the employee by its template; every write first re-reads the ticket
through the same filter. "Does not exist" and "is not yours" are the same `RecordNotFound`.
Attachments are listed by a ticket's sys_id, so only for a ticket such a read found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, get_args

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
from flows.orchestrator import Orchestrator, ScenarioResult
from flows.records import (
    LIST_TTL_S,
    SEARCH_RESULTS,
    cached_page,
    found,
    list_scope,
    must_be_open,
    read_choices,
    read_page,
    record_lookup,
    row_to_model,
    search_terms,
    your_changes,
)
from i18n import N_, _


def ticket_url(orch: Orchestrator, sys_id: str) -> str:
    """The incident's page on the instance."""
    return f"{orch.instance_url}/incident.do?sys_id={sys_id}"


def _ticket(orch: Orchestrator, row: dict[str, Any]) -> Ticket:
    names = orch.templates.get("ITSM.UpdateTicket").choice_names("urgency")
    name = names.get(str(row.get("urgency_value", "")), "medium")
    urgency = name if name in get_args(Urgency) else "medium"
    return row_to_model(Ticket, row, url=ticket_url(orch, row["sys_id"]), urgency_name=urgency)


_must_be_open = must_be_open(N_("the ticket"))


def _list_scope(user: Employee) -> str:
    return list_scope("tickets", user)


def _id_key(user: Employee, number: str) -> str:
    return f"ticket_ids/{user.sys_id}/{number}"


async def _remember(orch: Orchestrator, user: Employee, rows: Iterable[dict[str, Any]]) -> None:
    """Keep number → sys_id of tickets the employee's own filtered reads returned.

    A later details read by number can then list the attachments alongside the ticket read
    instead of after it; the sys_id is only ever a hint that the filtered read must confirm.
    """
    known = {
        _id_key(user, row["number"]): row["sys_id"]
        for row in rows
        if row.get("number") and row.get("sys_id")
    }
    await orch.cache.set_many(known)


async def _known_sys_id(orch: Orchestrator, user: Employee, lookup: dict[str, str]) -> str | None:
    number = lookup.get("Number")
    hint = await orch.cache.get(_id_key(user, number)) if number else None
    return hint if isinstance(hint, str) else None


def _files_key(ticket_sys_id: str) -> str:
    return f"ticket_files/{ticket_sys_id}"


async def _attachments(orch: Orchestrator, ticket_sys_id: str) -> list[AttachmentInfo]:
    """The ticket's attachments, read and kept for `LIST_TTL_S` (an agent's new file shows within
    that time, as in "my tickets"); the bot's own uploads make the kept list stale at once."""
    result = await orch.run("ITSM.GetTicketAttachments", {"TicketSysId": ticket_sys_id}, None)
    files = [
        AttachmentInfo.model_validate({k: v for k, v in row.items() if v is not None})
        for row in result.rows
    ]
    await orch.cache.set(_files_key(ticket_sys_id), [f.model_dump() for f in files], LIST_TTL_S)
    return files


async def _kept_attachments(orch: Orchestrator, ticket_sys_id: str) -> list[AttachmentInfo] | None:
    kept = await orch.cache.get(_files_key(ticket_sys_id))
    if not isinstance(kept, list):
        return None
    return [AttachmentInfo.model_validate(item) for item in kept]


async def get_categories(orch: Orchestrator) -> list[Choice]:
    """The incident categories (value + label) from `sys_choice`, labelled in the employee's
    language where the instance has it, cached for the metadata TTL."""
    return await read_choices(orch, "ITSM.GetMetadata", "category", "choices/incident/category")


async def create_ticket(
    orch: Orchestrator, user: Employee, draft: TicketDraft, idempotency_key: str
) -> Ticket:
    """Open an incident for the employee; the same key never opens a second one."""
    variables = {
        "ShortDescription": draft.short_description,
        "Description": draft.description,
        "Urgency": draft.urgency,
    }
    if draft.category:
        variables["Category"] = draft.category
    result = await orch.run("ITSM.CreateTicket", variables, user, idempotency_key=idempotency_key)
    await orch.cache.invalidate(_list_scope(user))
    row = found(result.first, None)
    await _remember(orch, user, [row])
    return _ticket(orch, row)


async def created_ticket(orch: Orchestrator, user: Employee, idempotency_key: str) -> Ticket | None:
    """The ticket a create with this key opened, as it is now; None when it opened none."""
    made = (await orch.created("ITSM.CreateTicket", user, idempotency_key)).first
    return await get_ticket_details(orch, user, made["number"]) if made else None


async def get_ticket_details(orch: Orchestrator, user: Employee, number: str | None) -> Ticket:
    """One of the employee's tickets with its latest comment and its attachments.

    `number` None means the latest updated.
    """
    lookup = record_lookup(number)
    return await _with_files(orch, user, lookup, orch.run("ITSM.GetTicketDetails", lookup, user))


async def _with_files(
    orch: Orchestrator,
    user: Employee,
    lookup: dict[str, str],
    read: Awaitable[ScenarioResult],
) -> Ticket:
    """The ticket a user-filtered `read` (or guarded update) found, with its attachments.

    Attachments listed in the last `LIST_TTL_S` are not listed again. Otherwise, when an earlier
    read of the employee's gave this number's sys_id, they are listed concurrently with `read`
    (one more request, no more waiting) and kept only if `read` finds that same ticket; else
    they are listed after it. A ticket that `read` does not
    find (missing or not theirs) raises `RecordNotFound` and lists nothing.
    """
    hint = await _known_sys_id(orch, user, lookup)
    files = await _kept_attachments(orch, hint) if hint else None
    if hint is None or files is not None:
        result = await read
    else:
        result, files = await _together(read, _attachments(orch, hint))
    row = found(result.first, lookup.get("Number"))
    if files is None or row["sys_id"] != hint:
        files = await _kept_attachments(orch, row["sys_id"])
    if files is None:
        files = await _attachments(orch, row["sys_id"])
    await _remember(orch, user, [row])
    return _ticket(orch, row).model_copy(update={"attachments": files})


async def _together(
    read: Awaitable[ScenarioResult], listing: Awaitable[list[AttachmentInfo]]
) -> tuple[ScenarioResult, list[AttachmentInfo]]:
    """Both results; both calls always finish, and the ticket read's error is raised first."""
    result, files = await asyncio.gather(read, listing, return_exceptions=True)
    if isinstance(result, BaseException):
        raise result
    if isinstance(files, BaseException):
        raise files
    return result, files


async def get_ticket_status(orch: Orchestrator, user: Employee, number: str | None) -> Ticket:
    """The state of one of the employee's tickets; None = the latest updated."""
    result = await orch.run("ITSM.GetTicketStatus", record_lookup(number), user)
    row = found(result.first, number)
    await _remember(orch, user, [row])
    return _ticket(orch, row)


async def list_tickets(
    orch: Orchestrator,
    user: Employee,
    filter: ListFilter = "open",
    offset: int = 0,
    page_size: int = 5,
) -> TicketPage:
    """A page of the employee's tickets, cached per user until their next create or update."""

    async def read() -> TicketPage:
        scenario = "ITSM.GetUserTickets"
        result, page = await read_page(orch, scenario, user, filter, offset, page_size)
        await _remember(orch, user, result.rows)
        return TicketPage(items=[_ticket(orch, row) for row in result.rows], **page)

    page = f"{filter}/{offset}/{page_size}"
    return await cached_page(orch.cache, _list_scope(user), page, TicketPage, read)


async def search_tickets(orch: Orchestrator, user: Employee, text: str) -> list[Ticket]:
    """The employee's tickets whose number or summary contains `text` (no text: the latest),
    most recently updated first, filtered to them as "my tickets" is."""
    result = await orch.run(
        "ITSM.SearchUserTickets", search_terms(text), user, limit=SEARCH_RESULTS
    )
    await _remember(orch, user, result.rows)
    return [_ticket(orch, row) for row in result.rows]


async def add_comment(
    orch: Orchestrator, user: Employee, number: str, text: str, idempotency_key: str
) -> Ticket:
    """Add a customer-visible comment to one of the employee's open tickets (once per key)."""
    if not text.strip():
        raise NotAllowed(_("a comment needs some text"))
    comment = orch.attributed(user, text)
    return await _update_open_ticket(
        orch, user, "ITSM.AddComment", number, {"Comment": comment}, idempotency_key
    )


async def change_urgency(
    orch: Orchestrator, user: Employee, number: str, urgency: Urgency
) -> Ticket:
    """Change the urgency of one of the employee's open tickets (priority follows)."""
    return await _update_open_ticket(orch, user, "ITSM.UpdateTicket", number, {"Urgency": urgency})


async def _update_open_ticket(
    orch: Orchestrator,
    user: Employee,
    scenario: str,
    number: str,
    values: dict[str, str],
    idempotency_key: str | None = None,
) -> Ticket:
    """Write to one of the employee's open tickets; answer with it refreshed, files included."""
    lookup = {"Number": number.strip().upper()}  # updates find tickets by number only
    write = orch.run(
        scenario, lookup | values, user, idempotency_key=idempotency_key, guard=_must_be_open
    )
    ticket = await _with_files(orch, user, lookup, write)
    await orch.cache.invalidate(_list_scope(user))
    return ticket


async def get_ticket_updates(
    orch: Orchestrator, user: Employee, number: str | None
) -> RecordUpdates:
    """What changed last on one of the employee's tickets and its customer-visible comments."""
    result = await orch.run("ITSM.GetTicketUpdates", record_lookup(number), user)
    return your_changes(
        row_to_model(RecordUpdates, found(result.first, number)), orch.acting_user_name
    )


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
    await orch.cache.forget(_files_key(row["sys_id"]))
    return AttachmentInfo(
        sys_id=str(record.get("sys_id", "")),
        file_name=str(record.get("file_name", file_name)),
        content_type=str(record.get("content_type", content_type)),
        size_bytes=int(record.get("size_bytes") or len(data)),
    )
