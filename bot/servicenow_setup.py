"""Composition root of the ServiceNow layer: client, auth, templates, cache and orchestrator.

With no `SERVICENOW_INSTANCE` the embedded emulator is started in-process and the bot connects
to it as `admin`; otherwise the instance and auth provider come from settings.
"""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
from botbuilder.core import MemoryStorage, Storage

from bot.config import ServiceNowAuth, Settings
from flows.cache import MetadataCache
from flows.orchestrator import Orchestrator
from flows.templates import TemplateSet, load_templates
from servicenow.auth import (
    AuthProvider,
    BasicAuth,
    EntraCertificateAuth,
    EntraUserAuth,
    OAuth2Auth,
)
from servicenow.client import DEFAULT_POLICY, RetryPolicy, ServiceNowClient, build_http_client
from servicenow.errors import ConfigurationError
from servicenow.instance import instance_label, normalise_instance


@dataclass
class ServiceNowConnection:
    """What the bot holds for its lifetime; `aclose()` releases the pool (and the emulator)."""

    orchestrator: Orchestrator
    client: ServiceNowClient
    backend_label: str
    templates: TemplateSet
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

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
) -> ServiceNowConnection:
    """Connect as settings say; a broken template or setting raises `ConfigurationError`."""
    templates = load_templates(settings.templates_dir)
    cache = MetadataCache(storage or MemoryStorage(), settings.metadata_ttl_seconds)
    stack = AsyncExitStack()
    http = build_http_client(policy, transport)
    try:
        if settings.uses_embedded_servicenow:
            base_url, auth = await _embedded(settings, stack)
            label = f"embedded emulator at {base_url}"
        else:
            base_url = normalise_instance(settings.servicenow_instance)
            auth = build_auth(settings, http, base_url)
            label = f"{instance_label(base_url)} ({auth.label})"
    except BaseException:
        await http.aclose()
        await stack.aclose()
        raise
    client = ServiceNowClient(base_url, auth, http=http, policy=policy)
    orchestrator = Orchestrator(client, templates, cache)
    return ServiceNowConnection(orchestrator, client, label, templates, stack)


async def _embedded(settings: Settings, stack: AsyncExitStack) -> tuple[str, AuthProvider]:
    from servicenow.emulator import start_emulator  # only when no instance is configured

    password = settings.emulator_admin_password or secrets.token_urlsafe(18)
    emulator = await stack.enter_async_context(
        await start_emulator(port=0, db_path=":memory:", seed="demo", admin_password=password)
    )
    return str(emulator.base_url).rstrip("/"), BasicAuth("admin", password)


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
    return EntraUserAuth(
        settings.entra_tenant_id or settings.app_tenant_id,
        settings.entra_client_id or settings.app_id,
        settings.servicenow_entra_scope,
        settings.app_password,
    )


def _read_pem(path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"ENTRA_CERTIFICATE_PATH {path} cannot be read ({exc.strerror})"
        ) from None
