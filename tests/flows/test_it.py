"""IT system handlers against the emulator over real HTTP, with round trips counted."""

from __future__ import annotations

import pytest

from flows import it
from flows.errors import NotAllowed, RecordNotFound
from flows.models import Employee, TicketDraft
from flows.orchestrator import Orchestrator
from i18n import speaking
from tests.flows.conftest import Emulator

DRAFT = TicketDraft(
    short_description="Laptop will not boot",
    description="Black screen after the update.",
    urgency="high",
    category="hardware",
)


async def test_create_ticket_opens_one_incident_for_the_user_in_one_round_trip(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    ticket = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-create-1")
    requests = await emulator.requests()
    assert [(r["method"], r["path"]) for r in requests] == [("POST", "/api/now/table/incident")]
    assert ticket.number.startswith("INC") and ticket.active
    assert ticket.short_description == DRAFT.short_description
    assert ticket.urgency_value == "1" and ticket.category == "Hardware"
    assert ticket.url == f"{orch.instance_url}/incident.do?sys_id={ticket.sys_id}"
    mine = await it.get_ticket_details(orch, abel, ticket.number)
    assert mine.sys_id == ticket.sys_id


async def test_a_redelivered_create_returns_the_same_ticket_without_calling_servicenow(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    first = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-create-2")
    await emulator.clear_requests()
    again = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-create-2")
    assert again.number == first.number
    assert await emulator.round_trips() == 0


async def test_details_default_to_the_latest_updated_ticket_then_list_its_files(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    created = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-latest")
    await emulator.clear_requests()
    latest = await it.get_ticket_details(orch, abel, None)
    assert latest.number == created.number
    paths = [r["path"] for r in await emulator.requests()]
    assert paths == ["/api/now/table/incident", "/api/now/table/sys_attachment"]
    status = await it.get_ticket_status(orch, abel, created.number.lower())
    assert status.state == "New" and status.state_value == "1"


async def test_someone_elses_ticket_is_the_same_not_found_as_a_missing_one(
    orch: Orchestrator, abel: Employee, beth: Employee
):
    beths = await it.list_tickets(orch, beth, "all")
    assert beths.items, "the demo seed gives Beth tickets"
    with pytest.raises(RecordNotFound):
        await it.get_ticket_details(orch, abel, beths.items[0].number)
    with pytest.raises(RecordNotFound):
        await it.get_ticket_details(orch, abel, "INC9999999")
    with pytest.raises(RecordNotFound):
        await it.add_comment(orch, abel, beths.items[0].number, "mine now?", "k-steal")


async def test_list_pages_are_counted_cached_and_invalidated_by_own_creates(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    page = await it.list_tickets(orch, abel, "all", offset=0, page_size=2)
    assert await emulator.round_trips() == 1
    assert len(page.items) == 2 and page.total >= 2 and page.has_next
    assert all(t.url for t in page.items)
    updated = [t.updated_at for t in page.items]
    assert updated == sorted(updated, reverse=True)  # type: ignore[type-var]

    await emulator.clear_requests()
    cached = await it.list_tickets(orch, abel, "all", offset=0, page_size=2)
    assert cached == page and await emulator.round_trips() == 0

    created = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-invalidate")
    fresh = await it.list_tickets(orch, abel, "all", offset=0, page_size=2)
    assert fresh.items[0].number == created.number and fresh.total == page.total + 1


async def test_open_and_closed_filters(orch: Orchestrator, abel: Employee):
    open_page = await it.list_tickets(orch, abel, "open", page_size=50)
    closed_page = await it.list_tickets(orch, abel, "closed", page_size=50)
    everything = await it.list_tickets(orch, abel, "all", page_size=50)
    assert all(t.active for t in open_page.items)
    assert not any(t.active for t in closed_page.items)
    assert open_page.total + closed_page.total == everything.total


async def test_a_comment_is_visible_in_updates_and_never_sent_twice(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    ticket = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-comment")
    await emulator.clear_requests()
    commented = await it.add_comment(orch, abel, ticket.number, "Any news?", "turn-c1")
    sent = sorted((r["method"], r["path"].split("/")[4]) for r in await emulator.requests())
    assert sent == [("GET", "incident"), ("GET", "sys_attachment"), ("PATCH", "incident")]
    assert commented.latest_comment is not None
    assert commented.latest_comment.text == "Any news?"
    await it.add_comment(orch, abel, ticket.number, "Any news?", "turn-c1")
    updates = await it.get_ticket_updates(orch, abel, ticket.number)
    assert [c.text for c in updates.comments] == ["Any news?"]
    assert updates.number == ticket.number and updates.updated_at is not None
    # Snowdesk wrote it with its own account, for Abel: he reads "you", not "admin".
    assert updates.updated_by == "you, through Snowdesk"


async def test_a_change_by_an_agent_names_the_agent(orch: Orchestrator, abel: Employee):
    updates = await it.get_ticket_updates(orch, abel, "INC0010006")
    assert updates.updated_by == "itil.agent"


async def test_updates_never_show_work_notes(orch: Orchestrator, abel: Employee):
    page = await it.list_tickets(orch, abel, "all", page_size=50)
    for ticket in page.items:
        updates = await it.get_ticket_updates(orch, abel, ticket.number)
        details = await it.get_ticket_details(orch, abel, ticket.number)
        assert all("(Work notes)" not in c.text for c in updates.comments)
        if updates.comments:
            assert details.latest_comment == updates.comments[0]


async def test_change_urgency_recomputes_priority(orch: Orchestrator, abel: Employee):
    ticket = await it.create_ticket(
        orch, abel, DRAFT.model_copy(update={"urgency": "low"}), "turn-urgency"
    )
    assert ticket.urgency_name == "low"
    changed = await it.change_urgency(orch, abel, ticket.number, "high")
    assert changed.urgency_value == "1" and changed.urgency_name == "high"
    assert changed.priority != ticket.priority


async def test_a_closed_ticket_cannot_be_commented_or_changed(orch: Orchestrator, abel: Employee):
    closed = await it.list_tickets(orch, abel, "closed")
    assert closed.items, "the demo seed gives Abel a closed ticket"
    number = closed.items[0].number
    with pytest.raises(NotAllowed, match="closed"):
        await it.add_comment(orch, abel, number, "reopen?", "turn-closed")
    with pytest.raises(NotAllowed):
        await it.change_urgency(orch, abel, number, "high")


async def test_categories_come_from_sys_choice_and_are_cached(
    orch: Orchestrator, emulator: Emulator
):
    await emulator.clear_requests()
    categories = await it.get_categories(orch)
    assert {"inquiry", "hardware", "software"} <= {c.value for c in categories}
    assert await it.get_categories(orch) == categories
    assert await emulator.round_trips() == 1


async def test_categories_are_labelled_in_the_turns_language_once_each(
    orch: Orchestrator, emulator: Emulator
):
    """One language's labels only (the instance has several); cached per language."""
    english = {c.value: c.label for c in await it.get_categories(orch)}
    with speaking("de"):
        german = {c.value: c.label for c in await it.get_categories(orch)}
    assert english["network"] == "Network" and german["network"] == "Netzwerk"
    assert list(german) == list(english)  # the same choices in the same order
    await emulator.clear_requests()
    with speaking("de"):
        await it.get_categories(orch)
    await it.get_categories(orch)
    assert await emulator.round_trips() == 0


async def test_attach_file_to_own_open_ticket(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    ticket = await it.create_ticket(orch, abel, DRAFT, idempotency_key="turn-attach")
    await emulator.clear_requests()
    info = await it.attach_file(orch, abel, ticket.sys_id, "error.txt", "text/plain", b"boom")
    assert info.file_name == "error.txt" and info.size_bytes == 4
    assert await emulator.round_trips() == 2
    stored = await orch.client.list_attachments("incident", ticket.sys_id)
    assert [a["file_name"] for a in stored] == ["error.txt"]
    assert await orch.client.download_attachment(info.sys_id) == b"boom"
