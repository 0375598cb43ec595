"""HR system handlers against the emulator over real HTTP, with round trips counted."""

from __future__ import annotations

import pytest

from flows import hr
from flows.errors import NotAllowed, RecordNotFound
from flows.identity import get_user
from flows.models import Employee, HRCaseDraft
from flows.orchestrator import Orchestrator
from i18n import speaking
from servicenow.query import Query
from tests.flows.conftest import Emulator


async def _draft(orch: Orchestrator, user: Employee, name: str = "Payroll Inquiry") -> HRCaseDraft:
    services = {s.name: s for s in await hr.get_hr_services(orch, user)}
    return HRCaseDraft(
        service_sys_id=services[name].sys_id,
        subject="My March payslip is missing overtime",
        description="Overtime from 3 March is not on the payslip.",
    )


async def test_hr_services_come_with_their_coe_and_are_cached_per_user(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    services = await hr.get_hr_services(orch, abel)
    assert await emulator.round_trips() == 1
    payroll = next(s for s in services if s.name == "Payroll Inquiry")
    assert payroll.coe and payroll.topic_category == "Payroll"
    assert await hr.get_hr_services(orch, abel) == services
    assert await emulator.round_trips() == 1


async def test_each_employee_sees_the_services_for_everyone_and_for_their_department(
    orch: Orchestrator, abel: Employee, beth: Employee
):
    assert abel.department_sys_id and beth.department_sys_id != abel.department_sys_id
    abels = {s.name for s in await hr.get_hr_services(orch, abel)}
    beths = {s.name for s in await hr.get_hr_services(orch, beth)}
    assert {"Payroll Inquiry", "Parental Leave", "Workspace Request"} <= abels & beths
    assert "Sales Commission Inquiry" in abels - beths, "Abel works in Sales, Beth in Finance"
    assert "Engineering Conference Sponsorship" not in abels | beths


async def test_a_service_for_engineering_is_offered_to_an_engineer_only(
    orch: Orchestrator, abel: Employee
):
    query = Query().where("department.name", "=", "Engineering").where("active", "=", "true")
    [row] = (await orch.client.list("sys_user", query, ["email"], limit=1)).rows
    engineer = await get_user(orch, "email", row["email"])
    assert engineer is not None
    names = {s.name for s in await hr.get_hr_services(orch, engineer)}
    assert "Engineering Conference Sponsorship" in names
    assert "Sales Commission Inquiry" not in names


async def test_an_employee_without_a_department_sees_only_the_services_for_everyone(
    orch: Orchestrator, abel: Employee
):
    nowhere = abel.model_copy(update={"department_sys_id": ""})
    names = {s.name for s in await hr.get_hr_services(orch, nowhere)}
    assert "Payroll Inquiry" in names and "Sales Commission Inquiry" not in names


async def test_a_case_on_a_service_for_another_department_is_refused_without_a_write(
    orch: Orchestrator, abel: Employee, beth: Employee, emulator: Emulator
):
    draft = await _draft(orch, abel, "Sales Commission Inquiry")
    await hr.get_hr_services(orch, beth)
    await emulator.clear_requests()
    with pytest.raises(NotAllowed, match="not available to you"):
        await hr.create_case(orch, beth, draft, idempotency_key="turn-hr-other-dept")
    assert await emulator.round_trips() == 0


async def test_create_case_opens_one_case_for_the_user_in_one_round_trip(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    draft = await _draft(orch, abel)
    await emulator.clear_requests()
    case = await hr.create_case(orch, abel, draft, idempotency_key="turn-hr-1")
    assert [(r["method"], r["path"]) for r in await emulator.requests()] == [
        ("POST", "/api/now/table/sn_hr_core_case")
    ]
    assert case.number.startswith("HRC") and case.service == "Payroll Inquiry"
    assert case.subject == draft.subject
    assert case.url == (
        f"{orch.instance_url}/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id={case.sys_id}"
    )
    again = await hr.create_case(orch, abel, draft, idempotency_key="turn-hr-1")
    assert again.number == case.number
    latest = await hr.get_case_details(orch, abel, None)
    assert latest.number == case.number


async def test_cases_are_private_to_their_owner(orch: Orchestrator, abel: Employee, beth: Employee):
    case = await hr.create_case(orch, abel, await _draft(orch, abel), "turn-hr-private")
    with pytest.raises(RecordNotFound):
        await hr.get_case_details(orch, beth, case.number)
    with pytest.raises(RecordNotFound):
        await hr.get_case_updates(orch, beth, case.number)
    with pytest.raises(RecordNotFound):
        await hr.add_case_comment(orch, beth, case.number, "hello", "turn-hr-steal")


async def test_list_cases_pages_with_a_total_in_one_round_trip(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    page = await hr.list_cases(orch, abel, "all", offset=0, page_size=2)
    assert await emulator.round_trips() == 1
    assert len(page.items) == 2 and page.total > 2 and page.has_next
    second = await hr.list_cases(orch, abel, "all", offset=2, page_size=2)
    assert not {c.number for c in second.items} & {c.number for c in page.items}
    open_page = await hr.list_cases(orch, abel, "open", page_size=50)
    assert open_page.items and all(c.active for c in open_page.items)


async def test_case_lists_are_cached_like_ticket_lists_and_invalidated_by_own_creates(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    page = await hr.list_cases(orch, abel, "all", offset=0, page_size=2)
    await emulator.clear_requests()
    assert await hr.list_cases(orch, abel, "all", offset=0, page_size=2) == page
    assert await emulator.round_trips() == 0

    created = await hr.create_case(orch, abel, await _draft(orch, abel), "turn-invalidate")
    fresh = await hr.list_cases(orch, abel, "all", offset=0, page_size=2)
    assert fresh.items[0].number == created.number and fresh.total == page.total + 1


async def test_case_comments_show_in_updates_once(
    orch: Orchestrator, abel: Employee, emulator: Emulator
):
    case = await hr.create_case(orch, abel, await _draft(orch, abel), "turn-hr-comment")
    commented = await hr.add_case_comment(orch, abel, case.number, "Attached the payslip.", "c1")
    await hr.add_case_comment(orch, abel, case.number, "Attached the payslip.", "c1")
    assert commented.latest_comment is not None
    await emulator.clear_requests()
    updates = await hr.get_case_updates(orch, abel, case.number)
    assert await emulator.round_trips() == 1
    assert [c.text for c in updates.comments] == ["Attached the payslip."]


async def test_a_closed_case_cannot_be_commented(orch: Orchestrator, abel: Employee):
    closed = await hr.list_cases(orch, abel, "closed")
    assert closed.items
    with pytest.raises(NotAllowed, match="closed"):
        await hr.add_case_comment(orch, abel, closed.items[0].number, "why?", "turn-hr-closed")


async def test_case_states_are_read_from_sys_choice(orch: Orchestrator):
    states = {c.label: c.value for c in await hr.get_case_states(orch)}
    assert {"Draft", "Ready", "Closed Complete"} <= set(states)


async def test_case_states_fall_back_to_english_labels_in_a_language_the_instance_lacks(
    orch: Orchestrator,
):
    with speaking("ja"):
        states = {c.label: c.value for c in await hr.get_case_states(orch)}
    assert {"Draft", "Ready", "Closed Complete"} <= set(states)


async def test_rich_text_descriptions_arrive_as_plain_text(orch: Orchestrator, abel: Employee):
    """HR case descriptions are HTML in ServiceNow; an employee reads words, not tags."""
    case = await hr.get_case_details(orch, abel, "HRC0001001")
    assert case.description == "Question about my last payslip"
