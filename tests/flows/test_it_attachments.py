"""Ticket details list the ticket's files, only for the employee's own tickets (emulator, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from flows import it
from flows.errors import RecordNotFound
from flows.models import Employee, TicketDraft
from flows.orchestrator import Orchestrator
from servicenow.query import Query
from tests.flows.conftest import Emulator

DRAFT = TicketDraft(short_description="Scanner shows an error code", urgency="medium")


class InFlight:
    """Counts overlapping ServiceNow list calls, to tell concurrent reads from sequential ones."""

    def __init__(self, orch: Orchestrator, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = self.peak = 0
        original = orch.client.list

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.now += 1
            self.peak = max(self.peak, self.now)
            try:
                return await original(*args, **kwargs)
            finally:
                self.now -= 1

        monkeypatch.setattr(orch.client, "list", counted)


def _tables(requests: list[dict[str, Any]]) -> list[str]:
    return [r["path"].removeprefix("/api/now/table/") for r in requests]


async def _ticket_with_file(orch: Orchestrator, user: Employee, key: str) -> str:
    ticket = await it.create_ticket(orch, user, DRAFT, idempotency_key=key)
    await it.attach_file(orch, user, ticket.number, "error.png", "image/png", b"\x89PNG" * 10)
    return ticket.number


async def test_details_list_the_files_read_alongside_the_ticket(
    orch: Orchestrator, abel: Employee, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    number = await _ticket_with_file(orch, abel, "attach-details")
    flight = InFlight(orch, monkeypatch)
    await emulator.clear_requests()
    details = await it.get_ticket_details(orch, abel, number)
    assert [(a.file_name, a.size_bytes, a.content_type) for a in details.attachments] == [
        ("error.png", 40, "image/png")
    ]
    assert sorted(_tables(await emulator.requests())) == ["incident", "sys_attachment"]
    assert flight.peak == 2, "the number was read before, so both reads run at once"


async def test_a_number_never_read_before_lists_files_after_the_ticket_read(
    orch: Orchestrator, abel: Employee, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    query = Query().where("caller_id", "=", abel.sys_id).order_by("number")
    seeded = (await orch.client.list("incident", query, ["number"], limit=1)).rows[0]["number"]
    flight = InFlight(orch, monkeypatch)
    await emulator.clear_requests()
    details = await it.get_ticket_details(orch, abel, seeded)
    assert details.number == seeded and details.attachments == []
    assert _tables(await emulator.requests()) == ["incident", "sys_attachment"]
    assert flight.peak == 1


async def test_the_latest_ticket_lists_its_files_too(orch: Orchestrator, abel: Employee):
    number = await _ticket_with_file(orch, abel, "attach-latest")
    latest = await it.get_ticket_details(orch, abel, None)
    assert latest.number == number
    assert [a.file_name for a in latest.attachments] == ["error.png"]


async def test_someone_elses_ticket_is_not_found_and_no_file_is_listed(
    orch: Orchestrator, abel: Employee, beth: Employee, emulator: Emulator
):
    number = await _ticket_with_file(orch, beth, "attach-beth")
    assert [a.file_name for a in (await it.get_ticket_details(orch, beth, number)).attachments]
    await emulator.clear_requests()
    with pytest.raises(RecordNotFound):
        await it.get_ticket_details(orch, abel, number)
    assert _tables(await emulator.requests()) == ["incident"]


async def test_a_remembered_id_that_is_no_longer_the_users_gives_nothing_away(
    orch: Orchestrator, abel: Employee, beth: Employee
):
    """As if Abel had seen the ticket before it was moved to Beth: his read must still fail."""
    number = await _ticket_with_file(orch, beth, "attach-moved")
    beths = await it.get_ticket_status(orch, beth, number)
    await orch.cache.set(f"ticket_ids/{abel.sys_id}/{number}", beths.sys_id)
    with pytest.raises(RecordNotFound):
        await it.get_ticket_details(orch, abel, number)


async def test_a_wrong_remembered_id_still_lists_the_right_files(
    orch: Orchestrator, abel: Employee
):
    number = await _ticket_with_file(orch, abel, "attach-stale")
    other = await it.create_ticket(orch, abel, DRAFT, idempotency_key="attach-stale-other")
    await orch.cache.set(f"ticket_ids/{abel.sys_id}/{number}", other.sys_id)
    details = await it.get_ticket_details(orch, abel, number)
    assert [a.file_name for a in details.attachments] == ["error.png"]


async def test_status_and_lists_do_not_read_attachments(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    number = await _ticket_with_file(orch, abel, "attach-status")
    await emulator.clear_requests()
    status = await it.get_ticket_status(orch, abel, number)
    page = await it.list_tickets(orch, abel, "open")
    assert _tables(await emulator.requests()) == ["incident", "incident"]
    assert status.attachments == [] and all(t.attachments == [] for t in page.items)


async def test_a_comment_or_urgency_change_answers_with_the_files_still_listed(
    orch: Orchestrator, abel: Employee, monkeypatch: pytest.MonkeyPatch
):
    number = await _ticket_with_file(orch, abel, "attach-update")
    flight = InFlight(orch, monkeypatch)
    commented = await it.add_comment(orch, abel, number, "Screenshot attached.", "attach-c1")
    changed = await it.change_urgency(orch, abel, number, "low")
    assert [a.file_name for a in commented.attachments] == ["error.png"]
    assert [a.file_name for a in changed.attachments] == ["error.png"]
    assert flight.peak == 2, "the files are listed while the ticket is found and changed"


async def test_a_comment_on_someone_elses_ticket_lists_no_files(
    orch: Orchestrator, abel: Employee, beth: Employee, emulator: Emulator
):
    number = await _ticket_with_file(orch, beth, "attach-beth-comment")
    await emulator.clear_requests()
    with pytest.raises(RecordNotFound):
        await it.add_comment(orch, abel, number, "mine?", "attach-steal")
    assert _tables(await emulator.requests()) == ["incident"]


async def test_files_listed_a_moment_ago_are_not_listed_again(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    number = await _ticket_with_file(orch, abel, "attach-kept")
    first = await it.get_ticket_details(orch, abel, number)
    await emulator.clear_requests()
    again = await it.get_ticket_details(orch, abel, number)
    commented = await it.add_comment(orch, abel, number, "Still broken.", "attach-kept-c")
    assert again.attachments == first.attachments == commented.attachments
    assert [a.file_name for a in again.attachments] == ["error.png"]
    assert _tables(await emulator.requests()) == [
        "incident",
        "incident",
        f"incident/{first.sys_id}",
    ]


async def test_a_file_attached_through_the_bot_shows_in_the_next_details_at_once(
    orch: Orchestrator, abel: Employee
):
    number = await _ticket_with_file(orch, abel, "attach-second")
    await it.get_ticket_details(orch, abel, number)
    await it.attach_file(orch, abel, number, "log.txt", "text/plain", b"boot failed")
    details = await it.get_ticket_details(orch, abel, number)
    assert sorted(a.file_name for a in details.attachments) == ["error.png", "log.txt"]


async def test_an_agents_new_file_shows_once_the_kept_list_is_a_minute_old(
    orch: Orchestrator, abel: Employee, monkeypatch: pytest.MonkeyPatch
):
    number = await _ticket_with_file(orch, abel, "attach-agent")
    ticket = await it.get_ticket_details(orch, abel, number)
    await orch.client.upload_attachment(
        "incident", ticket.sys_id, "fix.pdf", "application/pdf", b"%PDF"
    )
    still = await it.get_ticket_details(orch, abel, number)
    assert [a.file_name for a in still.attachments] == ["error.png"]
    later = orch.cache._clock() + 61
    monkeypatch.setattr(orch.cache, "_clock", lambda: later)
    details = await it.get_ticket_details(orch, abel, number)
    assert sorted(a.file_name for a in details.attachments) == ["error.png", "fix.pdf"]
