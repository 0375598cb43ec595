"""Microsoft Graph, app-only: the token (msal, client secret or certificate) and the one call
ticketed access needs, `accessPackageAssignmentRequest: resume`.

msal is blocking, so it runs off the event loop; it caches the token and renews it shortly
before expiry. `resume` retries 429 and 5xx (honouring `Retry-After`) and dropped connections
with capped exponential back-off; any other answer is final.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlparse

import httpx

from bot.config import Settings

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RESUME_PATH = (
    "/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/{id}/resume"
)
STAGE_TYPE = "microsoft.graph.accessPackageCustomExtensionStage."
CALLBACK_TYPE = "microsoft.graph.accessPackageAssignmentRequestCallbackData"
SOURCE = "ServiceNow"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Hosts msal knows; any other authority (a sovereign cloud's, a local fake) skips msal's
# instance discovery, which would ask login.microsoftonline.com about it.
KNOWN_AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoft.com"})


class GraphError(Exception):
    """Base of Graph failures; the message names the status, never a token."""


class GraphNotConfigured(GraphError):
    """No tenant, client id or credential for Graph."""


class GraphTokenRefused(GraphError):
    """Entra refused the app-only token (wrong secret, certificate or tenant)."""


class GraphUnavailable(GraphError):
    """Graph (or Entra) did not answer usefully after every retry: worth another try later."""


class GraphRejected(GraphError):
    """Graph answered with a final refusal (4xx other than 429): retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How hard `resume` tries."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0


def callback_body(
    stage: str, stage_instance_id: str, declined: bool, detail: str
) -> dict[str, Any]:
    """The `resume` body: `accessPackageAssignmentRequestCallbackData` for this stage; a declined
    request carries `state: denied` (what entitlement management reads as "deny")."""
    data: dict[str, Any] = {
        "@odata.type": f"#{CALLBACK_TYPE}",
        "stage": stage,
        "customExtensionStageInstanceId": stage_instance_id,
        "customExtensionStageInstanceDetail": detail[:1000],
    }
    if declined:
        data["state"] = "denied"
    return {"source": SOURCE, "type": STAGE_TYPE + stage, "data": data}


class GraphCredentials:
    """App-only Graph tokens for one app registration, from msal, off the event loop."""

    def __init__(self, settings: Settings, http_client: Any = None) -> None:
        self._settings = settings
        self._http_client = http_client
        self._own_session: Any = None
        self._app: Any = None
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        """A tenant, a client id and a secret or certificate are all set."""
        s = self._settings
        has_credential = bool(s.graph_secret or s.graph_certificate_path)
        return bool(s.entra_tenant and s.graph_app_id and has_credential)

    def _credential(self) -> Any:
        s = self._settings
        if s.graph_certificate_path:
            try:
                key = Path(s.graph_certificate_path).read_text(encoding="utf-8")
            except OSError as error:
                raise GraphNotConfigured(
                    f"GRAPH_CERTIFICATE_PATH cannot be read ({error.strerror})"
                ) from None
            return {"private_key": key, "thumbprint": s.graph_certificate_thumbprint}
        return s.graph_secret

    def _build(self) -> Any:
        import msal  # heavy: only loaded once ticketed access needs a token

        s = self._settings
        authority = f"{s.entra_authority_host.rstrip('/')}/{s.entra_tenant}"
        host = (urlparse(authority).hostname or "").lower()
        options: dict[str, Any] = {}
        if host not in KNOWN_AUTHORITY_HOSTS:
            options["instance_discovery"] = False
        if self._http_client is None:
            import requests  # msal's own HTTP library; the session is closed with the app

            self._own_session = self._http_client = requests.Session()
        options["http_client"] = self._http_client
        return msal.ConfidentialClientApplication(
            s.graph_app_id, authority=authority, client_credential=self._credential(), **options
        )

    async def token(self) -> str:
        """A Graph access token; `GraphTokenRefused` / `GraphUnavailable` / `GraphNotConfigured`."""
        if not self.configured:
            raise GraphNotConfigured(
                "set ENTRA_TENANT_ID (or MicrosoftAppTenantId), GRAPH_CLIENT_ID and "
                "GRAPH_CLIENT_SECRET or GRAPH_CERTIFICATE_PATH"
            )
        async with self._lock:
            if self._app is None:
                try:
                    self._app = await asyncio.to_thread(self._build)
                except GraphError:
                    raise
                except ValueError as error:  # msal: bad authority or credential shape
                    raise GraphNotConfigured(str(error).splitlines()[0][:200]) from None
                except Exception as error:  # msal reaches Entra with requests
                    raise GraphUnavailable(
                        f"Entra ID is unreachable ({type(error).__name__})"
                    ) from None
        try:
            result = await asyncio.to_thread(
                self._app.acquire_token_for_client, scopes=[GRAPH_SCOPE]
            )
        except Exception as error:
            raise GraphUnavailable(f"Entra ID is unreachable ({type(error).__name__})") from None
        if not isinstance(result, dict) or "access_token" not in result:
            code = (result or {}).get("error", "no_token") if isinstance(result, dict) else "none"
            raise GraphTokenRefused(f"Entra ID refused the Graph token request ({code})")
        return str(result["access_token"])

    async def aclose(self) -> None:
        """Close the HTTP session msal used (when Snowdesk created it)."""
        if self._own_session is not None:
            await asyncio.to_thread(self._own_session.close)
            self._own_session = None

    async def forget(self) -> None:
        """Drop the cached token (after Graph answered 401)."""
        if self._app is not None:
            await asyncio.to_thread(self._app.remove_tokens_for_client)


ResumeOutcome = Literal["granted", "declined"]


class GraphClient:
    """The Graph calls of ticketed access, over one shared httpx pool."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        credentials: GraphCredentials | None = None,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base = settings.graph_url.rstrip("/")
        self._http = http
        self.credentials = credentials or GraphCredentials(settings)
        self.policy = policy
        self._sleep = sleep

    async def resume(
        self, request_id: str, stage: str, stage_instance_id: str, declined: bool, detail: str
    ) -> None:
        """Resume the request waiting on this stage instance; raises a `GraphError` subclass."""
        url = self._base + RESUME_PATH.format(id=quote(request_id, safe=""))
        body = callback_body(stage, stage_instance_id, declined, detail)
        refreshed = False
        attempt = 0
        while True:
            token = await self.credentials.token()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            try:
                response = await self._http.post(url, json=body, headers=headers, timeout=30)
            except httpx.TransportError as error:
                problem: GraphError = GraphUnavailable(
                    f"Graph unreachable ({type(error).__name__})"
                )
                retry_after = None
            else:
                if response.status_code < 300:
                    return
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    await self.credentials.forget()
                    continue
                if response.status_code not in RETRY_STATUSES:
                    raise GraphRejected(response.status_code, _graph_message(response))
                problem = GraphUnavailable(
                    f"HTTP {response.status_code}: {_graph_message(response)}"
                )
                retry_after = _retry_after(response)
            attempt += 1
            if attempt >= self.policy.attempts:
                raise problem
            delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
            delay *= 0.5 + random.random() / 2
            if retry_after is not None:
                delay = max(delay, min(retry_after, 60.0))
            log.info("graph.retry", extra={"attempt": attempt, "error": str(problem)[:80]})
            await self._sleep(delay)


def _graph_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("code") or error.get("message") or response.reason_phrase)[:200]
    except (ValueError, AttributeError):
        return response.reason_phrase or "no detail"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
