"""Identity system handlers: find (or, on the embedded emulator, provision) the employee."""

from __future__ import annotations

from pydantic import BaseModel

from flows.models import Employee
from flows.orchestrator import Orchestrator
from servicenow.errors import ConfigurationError

DEFAULT_OBJECT_ID_FIELD = "u_entra_object_id"


class Profile(BaseModel):
    """What Teams (or Entra ID) tells us about the person talking to the bot."""

    name: str = ""
    given_name: str = ""
    surname: str = ""
    email: str = ""
    upn: str = ""
    object_id: str = ""


async def get_user(orch: Orchestrator, match_field: str, value: str) -> Employee | None:
    """The active sys_user whose `match_field` equals `value`, or None; two matches is an error."""
    variables = {"MatchField": match_field, "MatchValue": value}
    result = await orch.run("Identity.GetUser", variables, None, limit=2)
    if len(result.rows) > 1:
        raise ConfigurationError(
            f"more than one active sys_user has the same {match_field}; make it unique "
            "or set SNOWDESK_USER_MATCH_FIELD to a unique field"
        )
    return Employee.model_validate(result.rows[0]) if result.rows else None


async def provision_user(orch: Orchestrator, profile: Profile, object_id_field: str) -> Employee:
    """Create a sys_user from a Teams profile, as identity-provider provisioning would."""
    login = profile.upn or profile.email or profile.object_id
    name = profile.name or " ".join(p for p in (profile.given_name, profile.surname) if p)
    variables = {
        "Login": login,
        "Email": profile.email,
        "FirstName": profile.given_name,
        "LastName": profile.surname,
        "Name": name or login,
    }
    if profile.object_id:
        variables |= {"ObjectId": profile.object_id, "ObjectIdField": object_id_field}
    result = await orch.run("Identity.CreateUser", variables, None)
    return Employee.model_validate(result.first)
