"""`snowdesk doctor`'s checks of ticketed access: the three fields on the ticket table, and an
app-only Graph token that carries the permission `resume` needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jwt

from bot.config import Settings
from bot.graph import (
    GraphCredentials,
    GraphError,
    GraphNotConfigured,
    GraphTokenRefused,
)
from servicenow.errors import ServiceNowError
from servicenow.query import Operator, Query

if TYPE_CHECKING:
    from bot.doctor import Check
    from bot.servicenow_setup import ServiceNowConnection

ACCESS_FIELDS = (
    "u_access_package_assignment_request_id",
    "u_access_package_assignment_stage",
    "u_stage_instance_id",
)
PERMISSION = "EntitlementManagement.ReadWrite.All"


def wanted(settings: Settings) -> bool:
    """Ticketed access is configured (or half-configured): its checks belong in the report."""
    return settings.entitlement_enabled or bool(settings.graph_client_id)


async def entitlement_checks(
    settings: Settings, connection: ServiceNowConnection, servicenow_ok: bool
) -> list[Check]:
    """The access-ticket fields (when ServiceNow answered) and the Graph token."""
    from bot.doctor import Check

    if not wanted(settings):
        return []
    fields = (
        await check_access_fields(connection)
        if servicenow_ok
        else Check("access ticket fields exist", None, "skipped")
    )
    return [fields, await check_graph_token(settings)]


async def check_access_fields(connection: ServiceNowConnection) -> Check:
    """The three fields of Microsoft's tutorial exist on the table Access.CreateRequest writes."""
    from bot.doctor import Check

    name = "access ticket fields exist"
    table = connection.templates.get("Access.CreateRequest").table
    query = Query().where("name", Operator.IN, [table, "task"])
    query = query.where("element", Operator.IN, list(ACCESS_FIELDS))
    try:
        page = await connection.client.list("sys_dictionary", query, ["element"], limit=20)
    except ServiceNowError as error:
        return Check(name, False, str(error).splitlines()[0][:200], "see the checks above")
    found = {str(row.get("element", "")) for row in page.rows}
    missing = [field for field in ACCESS_FIELDS if field not in found]
    if missing:
        return Check(
            name,
            False,
            f"{table} has no {', '.join(missing)}",
            f"add string fields {', '.join(missing)} to {table} (System Definition › Tables › "
            f"{table} › Columns), or point Access.CreateRequest at the fields you have",
        )
    return Check(name, True, f"{table}: {', '.join(ACCESS_FIELDS)}")


async def check_graph_token(settings: Settings, http_client: object = None) -> Check:
    """An app-only Graph token can be had, and it carries EntitlementManagement.ReadWrite.All."""
    from bot.doctor import Check

    name = "Graph token for entitlement management"
    credentials = GraphCredentials(settings, http_client)
    try:
        token = await credentials.token()
    except GraphNotConfigured as error:
        return Check(name, False, str(error), "see env.TEMPLATE, section ticketed access")
    except GraphTokenRefused as error:
        return Check(
            name,
            False,
            str(error),
            "check GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET (or the certificate and thumbprint) "
            "and ENTRA_TENANT_ID",
        )
    except GraphError as error:
        return Check(name, False, str(error), "check ENTRA_AUTHORITY_HOST and the network")
    finally:
        await credentials.aclose()
    # Our own token, read only for its roles (Graph verifies it; nothing here is trusted).
    try:
        roles = jwt.decode(token, options={"verify_signature": False}).get("roles") or []
    except jwt.PyJWTError:
        return Check(name, True, f"app-only token for {settings.graph_app_id} (roles unreadable)")
    if PERMISSION not in roles:
        return Check(
            name,
            False,
            f"the token has no {PERMISSION} role",
            f"grant the app registration the application permission {PERMISSION} on "
            "Microsoft Graph, with admin consent",
        )
    return Check(name, True, f"app-only token for {settings.graph_app_id} with {PERMISSION}")
