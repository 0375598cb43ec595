"""Who is talking to the bot, as a ServiceNow `sys_user` (the handler caches it per conversation).

In Teams: the member's profile (`TeamsInfo.get_member`) matched on `SNOWDESK_USER_MATCH_FIELD`
(`email`, `user_name` = UPN, or a field holding the Entra object id). In the Emulator, or when no
profile is available: `SNOWDESK_DEMO_USER`. On the embedded emulator an unknown person is
provisioned; on a real instance they get `UnknownEmployee` and the admin a log line.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.config import Settings
from flows.errors import UnknownEmployee
from flows.identity import DEFAULT_OBJECT_ID_FIELD, Profile, get_user, provision_user
from flows.models import Employee
from flows.orchestrator import Orchestrator

log = logging.getLogger(__name__)


async def resolve_employee(
    turn_context: TurnContext, orchestrator: Orchestrator, settings: Settings
) -> Employee:
    """The employee this turn acts for; raises `UnknownEmployee` when ServiceNow has none."""
    profile = await teams_profile(turn_context)
    if profile is None:
        return await _demo_user(orchestrator, settings)
    field = settings.user_match_field
    value = _match_value(profile, field)
    employee = await get_user(orchestrator, field, value) if value else None
    if employee is not None:
        return employee
    if settings.uses_embedded_servicenow:
        object_id_field = field if field not in ("email", "user_name") else DEFAULT_OBJECT_ID_FIELD
        employee = await provision_user(orchestrator, profile, object_id_field)
        log.info("identity.provisioned", extra={"sys_id": employee.sys_id, "field": field})
        return employee
    log.warning(
        "identity.unknown",
        extra={
            "match_field": field,
            "profile_value": "present" if value else "missing",
            "fix": f"no active sys_user has this {field}; check SNOWDESK_USER_MATCH_FIELD "
            "or the user's record",
        },
    )
    raise UnknownEmployee(field, _value_kind(field))


# Which claim of the employee's Entra token holds the value of each match field.
CLAIMS_FOR_FIELD = {
    "email": ("email", "upn", "preferred_username"),
    "user_name": ("upn", "preferred_username"),
}


async def employee_from_claims(
    claims: dict[str, object], orchestrator: Orchestrator, settings: Settings
) -> Employee:
    """The employee an SSO token names, matched on `SNOWDESK_USER_MATCH_FIELD` (looked up with
    their own identity in modes `user` and `hybrid`); raises `UnknownEmployee` when none."""
    field = settings.user_match_field
    names = CLAIMS_FOR_FIELD.get(field, ("oid",))
    value = next((str(claims[name]) for name in names if claims.get(name)), "")
    employee = await get_user(orchestrator, field, value) if value else None
    if employee is None:
        log.warning(
            "identity.unknown_claim",
            extra={
                "match_field": field,
                "claim": names[0],
                "value": "present" if value else "missing",
            },
        )
        raise UnknownEmployee(field, f"Entra {names[0]} claim")
    return employee


async def teams_profile(turn_context: TurnContext) -> Profile | None:
    """The Teams member's profile; None outside Teams (Emulator, Web Chat)."""
    activity = turn_context.activity
    if activity.channel_id != "msteams" or activity.from_property is None:
        return None
    sender = activity.from_property
    try:
        member = await TeamsInfo.get_member(turn_context, sender.id)
    except Exception as exc:  # the roster call can fail (permissions, outage): use the activity
        log.warning("identity.roster_failed", extra={"error_type": type(exc).__name__})
        return Profile(name=sender.name or "", object_id=sender.aad_object_id or "")
    return Profile(
        name=member.name or "",
        given_name=member.given_name or "",
        surname=member.surname or "",
        email=member.email or "",
        upn=member.user_principal_name or "",
        object_id=member.aad_object_id or sender.aad_object_id or "",
    )


async def _demo_user(orchestrator: Orchestrator, settings: Settings) -> Employee:
    field = "email" if "@" in settings.demo_user else "user_name"
    employee = await get_user(orchestrator, field, settings.demo_user)
    if employee is None:
        log.warning(
            "identity.demo_user_missing",
            extra={"fix": "set SNOWDESK_DEMO_USER to the email or user_name of an active user"},
        )
        raise UnknownEmployee(field, "demo user (SNOWDESK_DEMO_USER)")
    return employee


def _match_value(profile: Profile, field: str) -> str:
    if field == "email":
        return profile.email
    if field == "user_name":
        return profile.upn
    return profile.object_id


def _value_kind(field: str) -> str:
    return {"email": "Teams email", "user_name": "Teams UPN"}.get(field, "Entra object id")
