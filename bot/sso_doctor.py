"""`snowdesk doctor`'s checks of Teams SSO and the employee's own identity: the OAuth
connection settings, the package's `webApplicationInfo`, the ServiceNow scope and — given a
test employee's token (`--sso-token`) — the on-behalf-of exchange and that ServiceNow maps the
token's claim to a `sys_user`. A token is never printed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import jwt

from bot.config import Settings
from bot.manifest.build import SSO_DOMAIN, TEMPLATE, with_sso
from servicenow.auth import AuthProvider, acting_as
from servicenow.errors import ServiceNowError, SignInRequired

if TYPE_CHECKING:
    from bot.doctor import Check
    from bot.servicenow_setup import ServiceNowConnection

CONNECTION = "OAuth connection settings"
PACKAGE = "Teams package asks for SSO"
SCOPE = "ServiceNow scope for on-behalf-of"
EXCHANGE = "on-behalf-of exchange of the test token"
MAPPED = "ServiceNow maps the claim to a sys_user"
# A constant query (no user input): the user the instance took the request's token for.
WHO_AM_I = "sys_id=javascript:gs.getUserID()"


def wanted(settings: Settings) -> bool:
    """SSO is configured (or half-configured): its checks belong in the report."""
    return settings.uses_employee_identity or bool(settings.oauth_connection)


def settings_checks(settings: Settings) -> list[Check]:
    """What can be checked without any network: settings, the package, the scope."""
    from bot.doctor import Check

    missing = [
        name
        for name, value in (
            ("SNOWDESK_OAUTH_CONNECTION", settings.oauth_connection),
            ("MicrosoftAppId", settings.app_id),
            (
                "MicrosoftAppPassword or ENTRA_CLIENT_SECRET",
                settings.app_password or settings.entra_client_secret,
            ),
            (
                "ENTRA_TENANT_ID or MicrosoftAppTenantId",
                settings.entra_tenant_id or settings.app_tenant_id,
            ),
        )
        if not value
    ]
    checks = [
        Check(
            CONNECTION,
            False,
            "missing: " + ", ".join(missing),
            "set them (README, Deploy to Teams, steps 3–7)",
        )
        if missing
        else Check(
            CONNECTION,
            True,
            f"connection {settings.oauth_connection}, mode {settings.identity_mode}",
        )
    ]
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    manifest = with_sso(template, settings)
    info = manifest.get("webApplicationInfo") or {}
    expected = {"id": settings.app_id, "resource": settings.sso_resource}
    if info == expected and SSO_DOMAIN in manifest.get("validDomains", []):
        checks.append(Check(PACKAGE, True, f"webApplicationInfo resource {settings.sso_resource}"))
    else:
        checks.append(
            Check(
                PACKAGE,
                False,
                "no webApplicationInfo for the bot's app",
                "set MicrosoftAppId and SNOWDESK_OAUTH_CONNECTION, then snowdesk manifest build",
            )
        )
    scope = settings.servicenow_entra_scope
    resource, _, name = scope.rpartition("/")
    if not scope:
        checks.append(
            Check(
                SCOPE,
                False,
                "SERVICENOW_ENTRA_SCOPE is empty",
                "set it to api://<servicenow-app-id>/user_impersonation",
            )
        )
    elif not resource or not name or "://" not in resource:
        checks.append(
            Check(
                SCOPE,
                False,
                f"{scope} is not <resource>/<scope>",
                "e.g. api://<servicenow-app-id>/user_impersonation",
            )
        )
    else:
        checks.append(Check(SCOPE, True, scope))
    return checks


async def employee_checks(
    settings: Settings, connection: ServiceNowConnection, sso_token: str
) -> tuple[list[Check], AuthProvider | None]:
    """With a test employee's token: the exchange, then whom ServiceNow takes the token for."""
    from bot.doctor import Check

    obo = connection.employee_auth
    if obo is None:
        return [Check(EXCHANGE, None, "skipped: SNOWDESK_IDENTITY_MODE is service")], None
    if not sso_token:
        return [
            Check(EXCHANGE, None, "skipped: pass --sso-token with a test employee's token")
        ], None
    try:
        claims = jwt.decode(sso_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return [
            Check(
                EXCHANGE,
                False,
                "the test token is not a JWT",
                "pass the employee's access token for the bot's API",
            )
        ], None
    user_key = str(claims.get("oid") or claims.get("sub") or "")
    employee = obo.for_employee(user_key, sso_token)
    try:
        await obo.token(user_key, sso_token)
    except ServiceNowError as error:
        fix = (
            "grant consent for the ServiceNow scope (README step 4)"
            if isinstance(error, SignInRequired)
            else "check the tenant, client id, secret and SERVICENOW_ENTRA_SCOPE"
        )
        return [Check(EXCHANGE, False, str(error), fix)], None
    checks = [
        Check(
            EXCHANGE,
            True,
            f"for {claims.get('upn') or claims.get('preferred_username') or user_key}",
        )
    ]
    try:
        with acting_as(employee):
            # Whom ServiceNow itself takes the token for (its OIDC provider's claim → field).
            page = await connection.client.list(
                "sys_user",
                WHO_AM_I,
                ["user_name", "email"],
                limit=1,
            )
    except ServiceNowError as error:
        checks.append(
            Check(
                MAPPED,
                False,
                str(error),
                "register the OIDC provider on the instance (README step 6): metadata URL, client id, user claim and field",
            )
        )
        return checks, None
    if not page.rows:
        checks.append(
            Check(
                MAPPED,
                False,
                "the token names nobody ServiceNow knows",
                "the OIDC provider's user field must hold the token's user claim",
            )
        )
        return checks, None
    checks.append(Check(MAPPED, True, f"acts as {page.rows[0].get('user_name')}"))
    return checks, employee
