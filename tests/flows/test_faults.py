"""Retries and the no-duplicate rule under the emulator's injected faults (records counted after)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.servicenow_setup import connect
from flows import it
from flows.models import Employee, TicketDraft
from flows.orchestrator import Orchestrator, correlation_id
from servicenow.errors import ServerError, Unavailable
from servicenow.query import Query
from tests.flows.conftest import FAST, Emulator, emulator_settings, loopback

DRAFT = TicketDraft(short_description="VPN drops every hour", urgency="medium")


async def _count(orch: Orchestrator, user: Employee, key: str) -> int:
    template = orch.templates.get("ITSM.CreateTicket")
    query = Query().where("correlation_id", "=", correlation_id(template, user, key))
    page = await orch.client.list("incident", query, ["sys_id"], limit=10)
    return len(page.rows)


@pytest.mark.parametrize(
    "fault",
    [
        {"error_next": 1, "error_statuses": [502]},
        {"error_next": 1, "error_statuses": [503]},
        {"error_next": 1, "error_statuses": [500]},
        {"drop_next": 1},
        {"rate_limit_next": 1, "retry_after_seconds": 0},
    ],
)
async def test_a_create_that_fails_ambiguously_makes_exactly_one_ticket(
    fault: dict[str, Any], orch: Orchestrator, abel: Employee, emulator: Emulator
):
    key = f"fault-{sorted(fault.items())}"
    await emulator.faults(**fault)
    ticket = await it.create_ticket(orch, abel, DRAFT, idempotency_key=key)
    assert ticket.number.startswith("INC")
    assert await _count(orch, abel, key) == 1


async def test_a_replayed_create_after_a_restart_finds_the_first_ticket(
    servicenow_emulator: Any, orch: Orchestrator, abel: Employee, emulator: Emulator
):
    first = await it.create_ticket(orch, abel, DRAFT, idempotency_key="restart-key")
    # A new process (empty cache) replays the same turn and its POST answer is lost.
    async with await connect(
        emulator_settings(servicenow_emulator), transport=loopback(), policy=FAST
    ) as fresh:
        await emulator.faults(error_next=1, error_statuses=[502])
        await emulator.clear_requests()
        again = await it.create_ticket(
            fresh.orchestrator, abel, DRAFT, idempotency_key="restart-key"
        )
        methods = [r["method"] for r in await emulator.requests()]
    assert again.number == first.number
    assert methods == ["POST", "GET"]
    assert await _count(orch, abel, "restart-key") == 1


async def test_a_comment_that_fails_at_the_gateway_is_added_once(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    ticket = await it.create_ticket(orch, abel, DRAFT, idempotency_key="fault-comment")
    await emulator.faults(error_next=1, error_statuses=[502])
    await orch.client.update(
        "incident",
        ticket.sys_id,
        {"comments": "Still dropping"},
        ["sys_id"],
        journal_fields=["comments"],
    )
    updates = await it.get_ticket_updates(orch, abel, ticket.number)
    assert [c.text for c in updates.comments] == ["Still dropping"]


async def test_reads_are_retried_through_outages(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.faults(error_next=2, error_statuses=[503, 502])
    await emulator.clear_requests()
    page = await it.list_tickets(orch, abel, "all")
    assert page.items
    assert [r["status"] for r in await emulator.requests()][-1] == 200
    assert await emulator.round_trips() == 3


async def test_a_lasting_outage_surfaces_as_a_typed_error(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.faults(error_next=10, error_statuses=[503])
    with pytest.raises(Unavailable):
        await it.get_ticket_details(orch, abel, None)


async def test_a_create_without_a_correlation_id_is_never_retried(
    orch: Orchestrator, emulator: Emulator
):
    await emulator.faults(error_next=1, error_statuses=[500])
    await emulator.clear_requests()
    with pytest.raises(ServerError):
        await orch.client.create("incident", {"short_description": "no key"}, ["sys_id"])
    assert await emulator.round_trips() == 1
