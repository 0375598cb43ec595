"""HR system handlers (HRSD, table `sn_hr_core_case`): one business operation each.

Every read is filtered to the employee (`opened_for`) by its template; every write re-reads the
case through the same filter first. "Does not exist" and "is not yours" are one `RecordNotFound`.
"""

from __future__ import annotations

from typing import Any

from flows.errors import NotAllowed
from flows.models import (
    CasePage,
    Choice,
    Employee,
    HRCase,
    HRCaseDraft,
    HRService,
    ListFilter,
    RecordUpdates,
)
from flows.orchestrator import Orchestrator
from flows.records import (
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


def case_url(orch: Orchestrator, sys_id: str) -> str:
    """The case's page in the employee service portal."""
    return f"{orch.instance_url}/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id={sys_id}"


def _case(orch: Orchestrator, row: dict[str, Any]) -> HRCase:
    return row_to_model(HRCase, row, url=case_url(orch, row["sys_id"]))


_must_be_open = must_be_open(N_("the case"))


async def get_hr_services(orch: Orchestrator, user: Employee) -> list[HRService]:
    """The HR services the employee may open a case for, cached per user for the TTL.

    Which ones is the template's business: by default those with no audience and those whose
    audience includes the employee's department (keyed in, so a move is seen at once).
    """
    key = f"hr_services/{user.sys_id}/{user.department_sys_id or '-'}"

    async def load() -> list[dict[str, Any]]:
        result = await orch.run("HRSD.GetHRServicesForUser", {}, user)
        return [HRService.model_validate(row).model_dump() for row in result.rows]

    return [HRService.model_validate(item) for item in await orch.cache.get_or_load(key, load)]


async def get_case_states(orch: Orchestrator) -> list[Choice]:
    """HR case states (value + label) read from `sys_choice`: their numbers are not public."""
    return await read_choices(orch, "HRSD.GetMetadata", "state", "choices/sn_hr_core_case/state")


async def create_case(
    orch: Orchestrator, user: Employee, draft: HRCaseDraft, idempotency_key: str
) -> HRCase:
    """Open an HR case for the employee (about themselves) on one of their services; once per key."""
    if not draft.service_sys_id:
        raise NotAllowed(_("an HR case needs an HR service"))
    if draft.service_sys_id not in {s.sys_id for s in await get_hr_services(orch, user)}:
        raise NotAllowed(_("that HR service is not available to you"))
    subject = draft.subject.strip() or draft.description.strip()[:100] or "HR request"
    variables = {
        "ServiceSysId": draft.service_sys_id,
        "Subject": subject,
        "Description": draft.description,
        "SubjectPersonSysId": user.sys_id,
    }
    result = await orch.run("HRSD.CreateCase", variables, user, idempotency_key=idempotency_key)
    await orch.cache.invalidate(_list_scope(user))
    return _case(orch, found(result.first, None))


async def created_case(orch: Orchestrator, user: Employee, idempotency_key: str) -> HRCase | None:
    """The case a create with this key opened, as it is now; None when it opened none."""
    made = (await orch.created("HRSD.CreateCase", user, idempotency_key)).first
    return await get_case_details(orch, user, made["number"]) if made else None


async def get_case_details(orch: Orchestrator, user: Employee, number: str | None) -> HRCase:
    """One of the employee's cases with its latest comment; None = the latest updated."""
    result = await orch.run("HRSD.GetCaseDetails", record_lookup(number), user)
    return _case(orch, found(result.first, number))


async def get_case_updates(orch: Orchestrator, user: Employee, number: str | None) -> RecordUpdates:
    """What changed last on one of the employee's cases; customer-visible comments only."""
    result = await orch.run("HRSD.GetCaseUpdates", record_lookup(number), user)
    return your_changes(
        row_to_model(RecordUpdates, found(result.first, number)), orch.acting_user_name
    )


async def list_cases(
    orch: Orchestrator,
    user: Employee,
    filter: ListFilter = "open",
    offset: int = 0,
    page_size: int = 5,
) -> CasePage:
    """A page of the employee's HR cases, cached per user until their next create or comment."""

    async def read() -> CasePage:
        result, page = await read_page(orch, "HRSD.GetCasesList", user, filter, offset, page_size)
        return CasePage(items=[_case(orch, row) for row in result.rows], **page)

    page = f"{filter}/{offset}/{page_size}"
    return await cached_page(orch.cache, _list_scope(user), page, CasePage, read)


async def search_cases(orch: Orchestrator, user: Employee, text: str) -> list[HRCase]:
    """The employee's HR cases whose number or subject contains `text` (no text: the latest),
    most recently updated first, filtered to them as "my HR cases" is."""
    result = await orch.run("HRSD.SearchUserCases", search_terms(text), user, limit=SEARCH_RESULTS)
    return [_case(orch, row) for row in result.rows]


def _list_scope(user: Employee) -> str:
    return list_scope("cases", user)


async def add_case_comment(
    orch: Orchestrator, user: Employee, number: str, text: str, idempotency_key: str
) -> HRCase:
    """Add a customer-visible comment to one of the employee's open cases (once per key)."""
    if not text.strip():
        raise NotAllowed(_("a comment needs some text"))
    result = await orch.run(
        "HRSD.AddComment",
        {"Number": number.strip().upper(), "Comment": orch.attributed(user, text)},
        user,
        idempotency_key=idempotency_key,
        guard=_must_be_open,
    )
    await orch.cache.invalidate(_list_scope(user))
    return _case(orch, found(result.first, number))
