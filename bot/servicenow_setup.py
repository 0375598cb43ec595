"""Composition root of the ServiceNow layer: client, auth, templates, cache and orchestrator.

With no `SERVICENOW_INSTANCE` the embedded emulator is started in-process and the bot connects
to it as `admin`; otherwise the instance and auth provider come from settings.
"""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from botbuilder.core import MemoryStorage, Storage

from bot.config import IdentityMode, ServiceNowAuth, Settings
from flows.cache import MetadataCache
from flows.orchestrator import Orchestrator
from flows.templates import TemplateSet, load_templates
from servicenow.auth import (
    AuthProvider,
    BasicAuth,
    EntraCertificateAuth,
    NoServiceAccount,
    OAuth2Auth,
    OnBehalfOf,
)
from servicenow.client import DEFAULT_POLICY, RetryPolicy, ServiceNowClient, build_http_client
from servicenow.emulator.webhook import WebhookTarget
from servicenow.errors import ConfigurationError
from servicenow.instance import instance_label, normalise_instance

if TYPE_CHECKING:
    from servicenow.emulator import RunningEmulator


# The port `snowdesk emulator` uses too; the embedded one takes it when it is free.
EMBEDDED_PORT = 8090


@dataclass
class ServiceNowConnection:
    """What the bot holds for its lifetime; `aclose()` releases the pool (and the emulator)."""

    orchestrator: Orchestrator
    client: ServiceNowClient
    backend_label: str
    templates: TemplateSet
    # Printed once at start-up for testers (never logged): how to sign in to the embedded emulator.
    sign_in_hint: str = ""
    # On-behalf-of exchange of employees' SSO tokens (identity mode `user` or `hybrid`).
    employee_auth: OnBehalfOf | None = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)
    # The embedded emulator, when Snowdesk started one (its webhook can be re-aimed).
    emulator: RunningEmulator | None = None

    async def aclose(self) -> None:
        """Close the HTTP pool, then stop the embedded emulator if one was started."""
        await self.client.aclose()
        await self._stack.aclose()

    async def __aenter__(self) -> ServiceNowConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def connect(
    settings: Settings,
    storage: Storage | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    webhook: WebhookTarget | None = None,
) -> ServiceNowConnection:
    """Connect as settings say; a broken template or setting raises `ConfigurationError`.
    An embedded emulator sends its record-changed events to `webhook` (the bot's own)."""
    # Back-pressure comes from settings; the rest of the policy from the caller (tests).
    policy = replace(
        policy,
        max_concurrency=settings.servicenow_max_concurrency,
        queue_timeout=settings.servicenow_queue_timeout,
    )
    templates = load_templates(settings.templates_dir)
    cache = MetadataCache(storage or MemoryStorage(), settings.metadata_ttl_seconds)
    stack = AsyncExitStack()
    employee_auth = employee_identity(settings)  # checked first: nothing to release yet
    http = build_http_client(policy, transport, settings.servicenow_ca_bundle)
    try:
        hint = ""
        emulator = None
        if settings.uses_embedded_servicenow:
            emulator, auth, hint = await _embedded(settings, stack, webhook)
            base_url = str(emulator.base_url).rstrip("/")
            label = f"embedded emulator at {base_url}"
        else:
            base_url = normalise_instance(settings.servicenow_instance)
            auth = build_auth(settings, http, base_url)
            label = f"{instance_label(base_url)} ({auth.label})"
    except BaseException:
        await http.aclose()
        await stack.aclose()
        raise
    if employee_auth is not None and (
        settings.identity_mode is IdentityMode.USER
        or settings.servicenow_auth is ServiceNowAuth.ENTRA_USER
    ):
        # No integration account at all: a call without the employee's identity is refused.
        auth = NoServiceAccount()
        label = f"{label.split(' (')[0]} (employees' own identity, no service account)"
    client = ServiceNowClient(base_url, auth, http=http, policy=policy)
    acting = "" if employee_auth is not None else _acting_user_name(settings)
    orchestrator = Orchestrator(
        client, templates, cache, acting, attribute_comments=employee_auth is None
    )
    return ServiceNowConnection(
        orchestrator, client, label, templates, hint, employee_auth, stack, emulator=emulator
    )


def employee_identity(settings: Settings) -> OnBehalfOf | None:
    """The on-behalf-of provider of identity modes `user` and `hybrid` (None in `service`)."""
    if not settings.uses_employee_identity:
        if settings.servicenow_auth is ServiceNowAuth.ENTRA_USER:
            raise ConfigurationError(
                "SERVICENOW_AUTH=entra_user acts as each employee: set SNOWDESK_IDENTITY_MODE to "
                "user (and SNOWDESK_OAUTH_CONNECTION), or pick another SERVICENOW_AUTH"
            )
        return None
    if not settings.oauth_connection:
        raise ConfigurationError(
            f"SNOWDESK_IDENTITY_MODE={settings.identity_mode} needs SNOWDESK_OAUTH_CONNECTION "
            "(the Azure Bot's OAuth connection): without it nobody can sign in"
        )
    tenant = settings.entra_tenant_id or settings.app_tenant_id
    authority = f"{settings.entra_authority_host.rstrip('/')}/{tenant}" if tenant else None
    return OnBehalfOf(
        tenant,
        settings.entra_client_id or settings.app_id,
        settings.servicenow_entra_scope,
        settings.entra_client_secret or settings.app_password,
        authority=authority,
    )


def _acting_user_name(settings: Settings) -> str:
    """The ServiceNow user name Snowdesk writes as, when settings say (basic, OAuth password)."""
    if settings.uses_embedded_servicenow:
        return "admin"
    password_grant = settings.servicenow_oauth_grant == "password"
    if settings.servicenow_auth is ServiceNowAuth.BASIC or (
        settings.servicenow_auth is ServiceNowAuth.OAUTH2 and password_grant
    ):
        return settings.servicenow_username
    return ""


async def _embedded(
    settings: Settings, stack: AsyncExitStack, webhook: WebhookTarget | None
) -> tuple[RunningEmulator, AuthProvider, str]:
    password = settings.emulator_admin_password or secrets.token_urlsafe(18)
    db_path = settings.embedded_servicenow_db
    if db_path != ":memory:":
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    from bot.emulator_cli import emulator_oidc

    oidc = emulator_oidc(settings)
    started = await _start_on_stable_port(db_path, password, webhook, oidc)
    emulator = await stack.enter_async_context(started)
    base_url = str(emulator.base_url).rstrip("/")
    employees = ", ".join(
        f"{name} / {secret}"
        for name, secret in emulator.demo_credentials.items()
        if name in ("abel.tuter", "beth.anglin")
    )
    agent = emulator.demo_credentials.get("itil.agent", "")
    hint = (
        f"Sign in to its pages at {base_url}/incident_list.do as admin / {password}"
        f" (employees: {employees}; an agent whose comments notify the employee:"
        f" itil.agent / {agent}); records are kept in {db_path}"
    )
    return emulator, BasicAuth("admin", password), hint


async def _start_on_stable_port(
    db_path: str, password: str, webhook: WebhookTarget | None, oidc: Any = None
) -> RunningEmulator:
    """Kept records keep their port, so "Open in ServiceNow" links survive a restart; a port
    that is taken (or a throw-away database) gets a free one."""
    from servicenow.emulator import start_emulator

    if db_path != ":memory:":
        try:
            return await start_emulator(
                port=EMBEDDED_PORT,
                db_path=db_path,
                seed="demo",
                admin_password=password,
                webhook=webhook,
                oidc=oidc,
            )
        except OSError:
            pass
    return await start_emulator(
        port=0, db_path=db_path, seed="demo", admin_password=password, webhook=webhook, oidc=oidc
    )


def build_auth(settings: Settings, http: httpx.AsyncClient, base_url: str) -> AuthProvider:
    """The provider `SERVICENOW_AUTH` names, checked for the settings it needs."""
    kind = settings.servicenow_auth
    if kind is ServiceNowAuth.BASIC:
        return BasicAuth(settings.servicenow_username, settings.servicenow_password)
    if kind is ServiceNowAuth.OAUTH2:
        return OAuth2Auth(
            http,
            base_url,
            settings.servicenow_client_id,
            settings.servicenow_client_secret,
            settings.servicenow_oauth_grant,
            settings.servicenow_username,
            settings.servicenow_password,
        )
    if kind is ServiceNowAuth.ENTRA_CERTIFICATE:
        return EntraCertificateAuth(
            settings.entra_tenant_id,
            settings.entra_client_id,
            settings.servicenow_entra_scope,
            _read_pem(settings.entra_certificate_path),
            settings.entra_certificate_thumbprint,
        )
    # entra_user: every call carries the employee's own token (`employee_identity`), none ours.
    return NoServiceAccount()


def _read_pem(path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"ENTRA_CERTIFICATE_PATH {path} cannot be read ({exc.strerror})"
        ) from None
