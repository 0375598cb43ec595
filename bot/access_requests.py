"""Ticketed access, the bot's side: an accepted callout becomes a ticket and a notification;
a closed ticket becomes one Graph `resume` and a notification; an overdue one a warning.

What Snowdesk waits on is kept in the bot's storage, one item per stage instance
(`snowdesk/access/<stage instance id>`) plus the list of those still pending. `on_ticket_closed`
is the one place a closure is handled: the poller calls it today, the notifications webhook's
record-changed event can call it tomorrow. Within one process, work on one stage instance is
serialised by a lock, and the stored `resumed` mark makes the resume happen once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botbuilder.core import Storage
from pydantic import BaseModel

from bot.config import Settings
from bot.conversations import Notifier
from bot.graph import GraphClient, GraphError, GraphRejected
from cards.access import (
    declined_text,
    granted_text,
    overdue_note,
    still_waiting_text,
    waiting_text,
)
from flows.access import (
    AccessRequest,
    AccessTicket,
    add_work_note,
    create_access_ticket,
    get_access_tickets,
)
from flows.errors import is_outage
from flows.identity import get_user
from flows.models import Employee
from flows.orchestrator import Orchestrator

log = logging.getLogger(__name__)

PREFIX = "snowdesk/access/"
PENDING_KEY = PREFIX + "pending"
DAY_S = 86400.0


class AccessRecord(BaseModel):
    """What Snowdesk remembers of one stage instance it was called for."""

    request: AccessRequest
    requestor_object_id: str = ""
    ticket_sys_id: str = ""
    ticket_number: str = ""
    accepted_at: float
    warned: bool = False
    resumed: bool = False
    outcome: str = ""  # granted | declined | abandoned
    resumed_at: float | None = None


@dataclass
class PollReport:
    """What one poll cycle did (for logs, tests and the close → resume measurement)."""

    checked: int = 0
    closed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class AccessRequests:
    """Accepts callouts, follows their tickets and completes them in Entra."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        orchestrator: Callable[[], Orchestrator],
        graph: GraphClient,
        notifier: Notifier,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._storage = storage
        self._orchestrator = orchestrator
        self._graph = graph
        self._notifier = notifier
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending_lock = asyncio.Lock()

    # -- a callout ----------------------------------------------------------------------------

    async def accept(self, request: AccessRequest, requestor_object_id: str = "") -> AccessRecord:
        """Open the ticket for a callout (once per stage instance) and tell the employee."""
        async with self._lock(request.stage_instance_id):
            record = await self._load(request.stage_instance_id)
            if record is not None and record.ticket_sys_id:
                log.info("entitlement.callout.duplicate", extra={"ticket": record.ticket_number})
                return record
            orch = self._orchestrator()
            requestor = await self._requestor(orch, request, requestor_object_id)
            ticket = await create_access_ticket(orch, request, requestor)
            record = AccessRecord(
                request=request,
                requestor_object_id=requestor_object_id,
                ticket_sys_id=ticket.sys_id,
                ticket_number=ticket.number,
                accepted_at=self.clock(),
            )
            await self._save(record)
            await self._add_pending(request.stage_instance_id)
        log.info(
            "entitlement.ticket.opened",
            extra={
                "ticket": ticket.number,
                "stage": request.stage,
                "request_id": request.request_id,
            },
        )
        await self._tell(record, waiting_text(request.package_name, ticket.number))
        return record

    async def _requestor(
        self, orch: Orchestrator, request: AccessRequest, object_id: str
    ) -> Employee | None:
        """The requestor's sys_user, matched as a Teams user is (SNOWDESK_USER_MATCH_FIELD)."""
        field_name = self._settings.user_match_field
        value = {"email": request.requestor_email, "user_name": request.requestor_email}.get(
            field_name, object_id
        )
        employee = await get_user(orch, field_name, value) if value else None
        if employee is None:
            # The ticket is opened anyway: the access still has to be provisioned.
            log.warning(
                "entitlement.requestor_unknown",
                extra={
                    "match_field": field_name,
                    "fix": "no active sys_user matches the requestor",
                },
            )
        return employee

    # -- closing ------------------------------------------------------------------------------

    async def on_ticket_closed(self, ticket: AccessTicket) -> bool:
        """Complete the request a closed access ticket waits on: Graph `resume` (granted, or
        denied for a cancelled ticket), exactly once, then tell the employee. True when this
        call resumed it; False when it was already done or is not Snowdesk's."""
        stage_instance_id = ticket.stage_instance_id
        if not stage_instance_id:
            return False
        async with self._lock(stage_instance_id):
            record = await self._load(stage_instance_id)
            if record is None or record.resumed:
                return False
            declined = ticket.state_value in self._settings.declined_state_list
            detail = f"{ticket.number} was {ticket.state.lower() or 'closed'} in ServiceNow"
            request = record.request
            try:
                await self._graph.resume(
                    request.request_id, request.stage, stage_instance_id, declined, detail
                )
                outcome = "declined" if declined else "granted"
            except GraphRejected as error:
                # Final (e.g. the request no longer waits: Entra's 14 days passed): stop trying.
                log.warning(
                    "entitlement.resume.rejected",
                    extra={"ticket": ticket.number, "status": error.status},
                )
                outcome = "abandoned"
            record = record.model_copy(
                update={"resumed": True, "outcome": outcome, "resumed_at": self.clock()}
            )
            await self._save(record)
            await self._remove_pending(stage_instance_id)
        log.info("entitlement.resumed", extra={"ticket": ticket.number, "outcome": outcome})
        if outcome == "granted":
            await self._tell(record, granted_text(request.package_name))
        elif outcome == "declined":
            await self._tell(record, declined_text(request.package_name))
        return outcome != "abandoned"

    async def on_record_changed(self, sys_id: str) -> bool:
        """For a record-changed event (the notifications webhook): read the ticket and, when it
        is an access ticket in a closed state, complete it as the poller would."""
        tickets = await get_access_tickets(self._orchestrator(), [sys_id])
        closed = [t for t in tickets if t.state_value in self._settings.closed_state_list]
        return bool(closed) and await self.on_ticket_closed(closed[0])

    # -- the poller ---------------------------------------------------------------------------

    async def poll_once(self) -> PollReport:
        """One cycle: read the state of at most ENTITLEMENT_POLL_BATCH pending tickets in one
        call, complete the closed ones and warn about the overdue ones."""
        report = PollReport()
        batch = await self._next_batch()
        records = [r for r in [await self._load(i) for i in batch] if r and not r.resumed]
        by_sys_id = {r.ticket_sys_id: r for r in records if r.ticket_sys_id}
        if not by_sys_id:
            return report
        tickets = await get_access_tickets(self._orchestrator(), list(by_sys_id))
        report.checked = len(tickets)
        closed_states = self._settings.closed_state_list
        for ticket in tickets:
            try:
                if ticket.state_value in closed_states:
                    if await self.on_ticket_closed(ticket):
                        report.closed.append(ticket.number)
                elif await self._warn_if_overdue(by_sys_id[ticket.sys_id], ticket):
                    report.warned.append(ticket.number)
            except GraphError as error:
                report.failed.append(ticket.number)
                log.warning(
                    "entitlement.resume.failed",
                    extra={"ticket": ticket.number, "error": str(error)[:200]},
                )
            except Exception as error:
                report.failed.append(ticket.number)
                log.warning(
                    "entitlement.poll.ticket_failed",
                    extra={"ticket": ticket.number, "error_type": type(error).__name__},
                    exc_info=not is_outage(error),
                )
        return report

    async def _warn_if_overdue(self, record: AccessRecord, ticket: AccessTicket) -> bool:
        """One warning for a ticket still open after ENTITLEMENT_WARN_DAYS."""
        days = self._settings.entitlement_warn_days
        opened = ticket.opened_at.timestamp() if ticket.opened_at else record.accepted_at
        if record.warned or self.clock() - opened < days * DAY_S:
            return False
        package = record.request.package_name
        await add_work_note(self._orchestrator(), ticket.sys_id, overdue_note(package, days))
        await self._save(record.model_copy(update={"warned": True}))
        log.info("entitlement.ticket.overdue", extra={"ticket": ticket.number})
        await self._tell(record, still_waiting_text(package, ticket.number, days))
        return True

    # -- storage ------------------------------------------------------------------------------

    def _lock(self, stage_instance_id: str) -> asyncio.Lock:
        return self._locks.setdefault(stage_instance_id, asyncio.Lock())

    async def record(self, stage_instance_id: str) -> AccessRecord | None:
        """What is known of a stage instance (for `snowdesk doctor`, tests and support)."""
        return await self._load(stage_instance_id)

    async def _load(self, stage_instance_id: str) -> AccessRecord | None:
        key = PREFIX + stage_instance_id
        item = (await self._storage.read([key])).get(key)
        if not isinstance(item, dict) or "record" not in item:
            return None
        return AccessRecord.model_validate(item["record"])

    async def _save(self, record: AccessRecord) -> None:
        key = PREFIX + record.request.stage_instance_id
        await self._storage.write({key: {"record": record.model_dump(mode="json"), "e_tag": "*"}})

    async def _pending(self) -> list[str]:
        item = (await self._storage.read([PENDING_KEY])).get(PENDING_KEY)
        ids = item.get("ids") if isinstance(item, dict) else None
        return [str(i) for i in ids] if isinstance(ids, list) else []

    async def _write_pending(self, ids: list[str]) -> None:
        await self._storage.write({PENDING_KEY: {"ids": ids, "e_tag": "*"}})

    async def _add_pending(self, stage_instance_id: str) -> None:
        async with self._pending_lock:
            ids = await self._pending()
            if stage_instance_id not in ids:
                await self._write_pending([*ids, stage_instance_id])

    async def _remove_pending(self, stage_instance_id: str) -> None:
        async with self._pending_lock:
            ids = await self._pending()
            if stage_instance_id in ids:
                await self._write_pending([i for i in ids if i != stage_instance_id])

    async def _next_batch(self) -> list[str]:
        """The first ENTITLEMENT_POLL_BATCH pending ids; they move to the back of the list, so
        a long list is read round-robin, bounded per cycle."""
        size = self._settings.entitlement_poll_batch
        async with self._pending_lock:
            ids = await self._pending()
            batch = ids[:size]
            if len(ids) > size:
                await self._write_pending(ids[size:] + batch)
        return batch

    async def _tell(self, record: AccessRecord, text: str) -> None:
        # The email is what both Teams (profile) and the Emulator (demo user) record.
        await self._notifier.notify(
            record.request.requestor_email or record.requestor_object_id, text
        )
