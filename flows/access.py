"""Access system handlers: the ServiceNow side of ticketed access (Entra entitlement management).

An approved access-package request becomes a ticket (`Access.CreateRequest`) carrying the three
fields of Microsoft's tutorial (request id, stage, stage instance id); the poller reads those
tickets back (`Access.GetRequests`) and warns the assignment group (`Access.AddWorkNote`).
Which table and fields: the templates say, so an admin can move this to `sc_request`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from flows.models import Employee
from flows.orchestrator import Orchestrator
from flows.records import row_to_model


class AccessRequest(BaseModel):
    """What the ticket is about: one stage of one access-package assignment request."""

    request_id: str
    stage: str
    stage_instance_id: str
    package_name: str
    package_id: str = ""
    policy_name: str = ""
    requestor_name: str = ""
    requestor_email: str = ""
    target_name: str = ""
    target_email: str = ""
    justification: str = ""


class AccessTicket(BaseModel):
    """An access ticket as the poller sees it."""

    sys_id: str
    number: str
    short_description: str = ""
    state: str = ""
    state_value: str = ""
    active: bool = True
    assignment_group: str = ""
    caller_sys_id: str = ""
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    access_package_assignment_request_id: str = ""
    access_package_assignment_stage: str = ""
    stage_instance_id: str = ""


def ticket_text(request: AccessRequest) -> tuple[str, str]:
    """The ticket's short description and description: what the agent must provision, for whom."""
    target = request.target_name or request.target_email or request.requestor_name
    short = f"Access request: {request.package_name} for {target}"[:160]
    lines = [
        "Microsoft Entra entitlement management is waiting for this access to be provisioned.",
        f"Access package: {request.package_name} ({request.package_id or 'id not given'})",
        f"Policy: {request.policy_name or 'not given'}",
        f"Requested by: {request.requestor_name} <{request.requestor_email}>",
        f"For: {request.target_name} <{request.target_email}>",
    ]
    if request.justification:
        lines.append(f"Justification: {request.justification}")
    lines.append(
        "Resolve this ticket when the access is in place (cancel it to decline the request): "
        "Snowdesk then completes the request in Entra and tells the employee."
    )
    return short, "\n".join(lines)


async def create_access_ticket(
    orch: Orchestrator, request: AccessRequest, requestor: Employee | None
) -> AccessTicket:
    """Open the ticket once per stage instance: a ticket already carrying this stage instance
    id (a retried callout, another bot process) is returned instead of a second one."""
    existing = await find_access_ticket(orch, request.stage_instance_id)
    if existing is not None:
        return existing
    short, description = ticket_text(request)
    variables = {
        "ShortDescription": short,
        "Description": description,
        "AccessPackageAssignmentRequestId": request.request_id,
        "AccessPackageAssignmentStage": request.stage,
        "StageInstanceId": request.stage_instance_id,
    }
    result = await orch.run(
        "Access.CreateRequest",
        variables,
        requestor,
        idempotency_key=f"access/{request.stage_instance_id}",
    )
    return row_to_model(AccessTicket, result.first or {})


async def find_access_ticket(orch: Orchestrator, stage_instance_id: str) -> AccessTicket | None:
    """The ticket opened for a stage instance, or None."""
    result = await orch.run("Access.GetRequest", {"StageInstanceId": stage_instance_id}, None)
    return row_to_model(AccessTicket, result.first) if result.first else None


async def get_access_tickets(orch: Orchestrator, sys_ids: Sequence[str]) -> list[AccessTicket]:
    """The current state of these access tickets, in one Table API call."""
    if not sys_ids:
        return []
    result = await orch.run(
        "Access.GetRequests", {"SysIds": ",".join(sys_ids)}, None, limit=len(sys_ids)
    )
    return [row_to_model(AccessTicket, row) for row in result.rows]


async def add_work_note(orch: Orchestrator, sys_id: str, note: str) -> AccessTicket:
    """A work note on an access ticket, for its assignment group (not shown to the employee)."""
    result = await orch.run("Access.AddWorkNote", {"SysId": sys_id, "WorkNote": note}, None)
    return row_to_model(AccessTicket, result.first or {})
