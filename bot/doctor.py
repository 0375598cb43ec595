"""`snowdesk doctor`: checks the ServiceNow connection and the template configurations.

One line per check, ✓ or ✗, and for each ✗ the fix an admin can act on. Checks run in order;
one that cannot run because an earlier one failed is shown as skipped. Exit code 1 on any ✗.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import httpx

from bot import sso_doctor
from bot.config import ServiceNowAuth, Settings
from bot.entitlement_doctor import entitlement_checks
from bot.logs import configure_logging
from flows.templates import PLACEHOLDER_RE, Template, TemplateSet
from servicenow.auth import BasicAuth, acting_as
from servicenow.client import ServiceNowClient
from servicenow.errors import (
    ConfigurationError,
    Forbidden,
    InvalidRequest,
    ServiceNowError,
    SignInRequired,
    Unauthorized,
)
from servicenow.query import Operator, Query

if TYPE_CHECKING:
    from bot.servicenow_setup import ServiceNowConnection

FIELDS_CHECK = "fields and choice values exist"
TASK_TABLES = frozenset({"incident", "sn_hr_core_case"})


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool | None  # None = skipped
    detail: str = ""
    fix: str = ""

    def line(self) -> str:
        """`✓ name — detail` / `✗ name — detail` + `fix:` / `· name — skipped`."""
        mark = {True: "✓", False: "✗", None: "·"}[self.ok]
        text = f"{mark} {self.name}" + (f" — {self.detail}" if self.detail else "")
        return text + (f"\n    fix: {self.fix}" if self.fix else "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`snowdesk doctor` reads the same settings as `snowdesk run`; no options of its own."""
    parser.add_argument(
        "--templates-dir", default=None, help="check these template overrides instead"
    )
    parser.add_argument(
        "--sso-token",
        default="",
        help="a test employee's token for the bot's API (SSO): check the on-behalf-of exchange "
        "and run the ServiceNow checks as that employee (default SNOWDESK_DOCTOR_SSO_TOKEN)",
    )


def main(args: argparse.Namespace) -> int:
    """Run every check and print one line each; 1 when any check failed."""
    configure_logging("ERROR")  # the report says it all; keep warnings off the terminal
    settings = Settings()
    if args.templates_dir:
        settings = settings.model_copy(update={"templates_dir": args.templates_dir})
    sso_token = args.sso_token or os.environ.get("SNOWDESK_DOCTOR_SSO_TOKEN", "")
    checks = asyncio.run(run_checks(settings, sso_token=sso_token))
    return report(checks, sys.stdout)


def report(checks: Iterable[Check], out: TextIO) -> int:
    """Print the checks; the exit code (0 all passed, 1 otherwise)."""
    failed = False
    for check in checks:
        print(check.line(), file=out)
        failed = failed or check.ok is False
    return 1 if failed else 0


async def run_checks(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    sso_token: str = "",
) -> list[Check]:
    """Every check in order; later ones are skipped when an earlier one they need failed."""
    from bot.servicenow_setup import connect  # starts the emulator when none is configured

    try:
        connection = await connect(settings, transport=transport)
    except ConfigurationError as exc:
        return [Check("settings complete", False, str(exc), _settings_fix(str(exc)))]
    checks = [
        Check("settings complete", True, connection.backend_label),
        _template_check(connection.templates),
    ]
    employee = None
    try:
        if sso_doctor.wanted(settings):
            checks += sso_doctor.settings_checks(settings)
            found, employee = await sso_doctor.employee_checks(settings, connection, sso_token)
            checks += found
        # With a test employee's token the instance is checked as that employee (user mode
        # has no other identity to check it with).
        with acting_as(employee):
            checks += await _connection_checks(settings, connection.client, connection.templates)
            if checks[-1].ok:
                checks.append(await _dry_run(connection))
            else:
                checks.append(Check("dry run of a read scenario", None, "skipped"))
        signed_in = any(c.name == "credentials accepted" and c.ok for c in checks)
        checks += await entitlement_checks(settings, connection, signed_in)
    finally:
        await connection.aclose()
    return checks


def _template_check(templates: TemplateSet) -> Check:
    detail = f"{len(templates)} loaded"
    if not templates.warnings:
        return Check("template configurations", True, detail)
    return Check(
        "template configurations",
        True,
        f"{detail}, {len(templates.warnings)} warning(s): " + " | ".join(templates.warnings),
        "apply the fix each warning names (the scenario still loads)",
    )


async def _connection_checks(
    settings: Settings, client: ServiceNowClient, templates: TemplateSet
) -> list[Check]:
    reach = await check_reachable(client)
    if not reach.ok:
        return [reach, *(_skipped("credentials accepted", "table read access", FIELDS_CHECK))]
    creds = await check_credentials(settings, client)
    if not creds.ok:
        return [reach, creds, *(_skipped("table read access", FIELDS_CHECK))]
    tables = await check_tables(client, templates)
    fields = await check_fields(client, templates, settings)
    return [reach, creds, tables, fields]


def _skipped(*names: str) -> list[Check]:
    return [Check(name, None, "skipped") for name in names]


def _settings_fix(message: str) -> str:
    if "SERVICENOW_INSTANCE" in message:
        return "set SERVICENOW_INSTANCE to `contoso` or `https://contoso.service-now.com`"
    if "template" in message.lower() or ".json" in message:
        return "correct the template file named above (or remove it to use the built-in one)"
    return "set the settings named above (see env.TEMPLATE)"


async def check_reachable(client: ServiceNowClient) -> Check:
    """DNS, TLS and HTTP: any HTTP answer (even 401) proves the instance is there."""
    name = "instance reachable"
    url = f"{client.base_url}/api/now/table/sys_user"
    try:
        response = await client.http.get(url, params={"sysparm_limit": "1"}, timeout=10)
    except httpx.ConnectError as exc:
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
            return Check(
                name,
                False,
                f"TLS failed at {client.base_url}",
                "check the instance URL and any proxy that intercepts TLS",
            )
        if (
            "Name or service not known" in str(exc)
            or "nodename" in str(exc)
            or "getaddrinfo" in str(exc)
        ):
            return Check(
                name,
                False,
                f"DNS cannot resolve {client.base_url}",
                "check the instance name in SERVICENOW_INSTANCE (spelling, domain)",
            )
        return Check(
            name,
            False,
            f"connection to {client.base_url} refused or dropped",
            "check SERVICENOW_INSTANCE, the network and that the instance is awake",
        )
    except httpx.TimeoutException:
        return Check(
            name,
            False,
            f"{client.base_url} did not answer within 10 s",
            "check the network path; a hibernating developer instance must be woken",
        )
    if response.status_code in (502, 503):
        return Check(
            name,
            False,
            f"HTTP {response.status_code} from {client.base_url}",
            "the instance is unavailable (hibernating or upgrading); retry later",
        )
    return Check(name, True, f"HTTP {response.status_code} from {client.base_url}")


async def check_credentials(settings: Settings, client: ServiceNowClient) -> Check:
    """One authenticated read; on refusal, say which credential is wrong."""
    name = "credentials accepted"
    try:
        await client.list("sys_user", Query(), ["sys_id"], limit=1)
    except SignInRequired:
        return Check(
            name,
            None,
            "user mode: Snowdesk has no ServiceNow account of its own",
            "pass --sso-token with a test employee's token to check the instance as them",
        )
    except Unauthorized as exc:
        return Check(name, False, _short(exc), await _credential_fix(settings, client, exc))
    except Forbidden as exc:
        return Check(name, False, _short(exc), "give the integration user read access (role)")
    except ServiceNowError as exc:
        return Check(name, False, _short(exc), "see the error above")
    return Check(name, True, f"authenticated with {client.auth.label or 'basic'}")


async def _credential_fix(settings: Settings, client: ServiceNowClient, exc: Exception) -> str:
    kind = settings.servicenow_auth if not settings.uses_embedded_servicenow else None
    if kind is None:
        return "set SNOWDESK_EMULATOR_ADMIN_PASSWORD to the embedded emulator's admin password"
    if kind is ServiceNowAuth.BASIC:
        return (
            "the user name or password is wrong, or the user is locked out / not "
            "allowed web service access: check SERVICENOW_USERNAME and SERVICENOW_PASSWORD"
        )
    if kind is ServiceNowAuth.OAUTH2:
        return await _oauth_fix(settings, client, str(exc))
    if "refused the" in str(exc):
        return (
            "Entra ID refused the token request: check ENTRA_TENANT_ID, ENTRA_CLIENT_ID, "
            "the certificate/thumbprint and SERVICENOW_ENTRA_SCOPE"
        )
    return (
        "ServiceNow rejected the Entra token: register an OIDC provider (System OAuth › "
        "Application Registry › Configure an OIDC provider to verify ID tokens) whose Client "
        "ID equals the token's `aud`, with User Claim/User Field matching your users"
    )


async def _oauth_fix(settings: Settings, client: ServiceNowClient, message: str) -> str:
    if "OAuth" not in message:
        return (
            "the instance issued a token but rejected it (expired or revoked): check the "
            "access token lifespan on the OAuth registry record"
        )
    if settings.servicenow_oauth_grant == "client_credentials":
        return (
            "the client id/secret is wrong, or the client_credentials grant is not enabled "
            "(glide.oauth.inbound.client.credential.grant_type.enabled and OAuth "
            "Application User on the registry record)"
        )
    probe = ServiceNowClient(
        client.base_url,
        BasicAuth(settings.servicenow_username, settings.servicenow_password),
        http=client.http,
    )
    try:
        await probe.list("sys_user", Query(), ["sys_id"], limit=1)
    except Unauthorized:
        return "the user name or password is wrong: check SERVICENOW_USERNAME/PASSWORD"
    except ServiceNowError:
        pass
    return (
        "the user name/password work but the OAuth client id/secret is wrong: check "
        "SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET (System OAuth › Application Registry)"
    )


async def check_tables(client: ServiceNowClient, templates: TemplateSet) -> Check:
    """Read access to every table the templates use."""
    name = "table read access"
    refused = []
    tables = sorted({t.table for t in templates})
    for table in tables:
        try:
            await client.list(table, Query(), ["sys_id"], limit=1)
        except (Forbidden, InvalidRequest, Unauthorized) as exc:
            refused.append(f"{table} ({_short(exc)})")
    if refused:
        return Check(
            name,
            False,
            "cannot read " + ", ".join(refused),
            "grant the integration user read access, or fix the Table in the template",
        )
    return Check(name, True, f"{len(tables)} tables: {', '.join(tables)}")


async def check_fields(
    client: ServiceNowClient, templates: TemplateSet, settings: Settings
) -> Check:
    """Every field a template names exists (sys_dictionary), every choice value it sends is valid."""
    name = FIELDS_CHECK
    problems: list[str] = []
    dictionary: dict[str, dict[str, str]] = {}
    for template in templates:
        columns = await _columns(client, template.table, dictionary)
        for field in _fields_of(template, settings):
            if field.split(".")[0] not in columns:
                problems.append(f"{template.scenario}: {template.table}.{field} does not exist")
        for field, value in _sent_choices(template):
            if columns.get(field) == "choice":
                valid = await _choice_values(client, template.table, field)
                if valid and value not in valid:
                    problems.append(
                        f"{template.scenario}: {value!r} is not a choice of {template.table}.{field}"
                    )
    if problems:
        return Check(
            name,
            False,
            # A field named in several places of one template is one problem.
            "; ".join(dict.fromkeys(problems)),
            "correct the FieldName/Value in the template (sys_dictionary / sys_choice "
            "list the real names), or SNOWDESK_USER_MATCH_FIELD",
        )
    return Check(name, True, f"{len(templates)} templates checked against sys_dictionary")


async def _columns(
    client: ServiceNowClient, table: str, cache: dict[str, dict[str, str]]
) -> dict[str, str]:
    if table not in cache:
        names = [table, "task"] if table in TASK_TABLES else [table]
        query = Query().where("name", Operator.IN, names)
        page = await client.list("sys_dictionary", query, ["element", "internal_type"], limit=2000)
        cache[table] = {
            str(row.get("element", "")): str(row.get("internal_type", "")) for row in page.rows
        }
        cache[table].setdefault("sys_id", "GUID")
    return cache[table]


def _fields_of(template: Template, settings: Settings) -> list[str]:
    fields = []
    for group in (
        template.filter_criteria,
        template.sort_criteria,
        template.output_field_mapping,
        template.user_parameters,
        template.global_parameters,
    ):
        for item in group:
            field = item.field_name
            if PLACEHOLDER_RE.match(field):
                if template.scenario != "Identity.GetUser":
                    continue
                field = settings.user_match_field
            fields.append(field)
    if template.correlation_field:
        fields.append(template.correlation_field)
    return fields


def _sent_choices(template: Template) -> list[tuple[str, str]]:
    sent = [(g.field_name, g.value) for g in template.global_parameters]
    sent += [(c.field_name, c.value) for c in template.filter_criteria if c.value is not None]
    # What a template maps the bot's values to (urgency high → "1") is sent too.
    for param in template.user_parameters:
        sent += [(param.field_name, value) for value in (param.value_map or {}).values()]
    return sent


async def _choice_values(client: ServiceNowClient, table: str, field: str) -> set[str]:
    query = Query().where("name", Operator.EQ, table).where("element", Operator.EQ, field)
    page = await client.list("sys_choice", query, ["value"], limit=500)
    return {str(row.get("value", "")) for row in page.rows}


async def _dry_run(connection: ServiceNowConnection) -> Check:
    name = "dry run of a read scenario"
    orchestrator = connection.orchestrator
    try:
        result = await orchestrator.run("ITSM.GetMetadata", {"Element": "category"}, None)
    except (ServiceNowError, ConfigurationError) as exc:
        return Check(
            name,
            False,
            f"ITSM.GetMetadata failed: {_short(exc)}",
            "see the checks above; the integration user needs read access to sys_choice",
        )
    return Check(name, True, f"ITSM.GetMetadata read {len(result.rows)} incident categories")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
