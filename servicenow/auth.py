"""Authentication providers for the Table API client, chosen by `SERVICENOW_AUTH`.

Each provider gives the headers of the next request and, after a 401, one chance to obtain new
credentials (`refresh`). Secrets never appear in a log line or an error message.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from servicenow.errors import (
    ConfigurationError,
    RateLimited,
    ServerError,
    SignInRequired,
    Timeout,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]
REFRESH_MARGIN_S = 60.0
# Entra's answers that mean "the employee must sign in (or consent) again", not an outage.
_SIGN_IN_AGAIN = frozenset({"invalid_grant", "interaction_required", "consent_required"})


class AuthProvider(ABC):
    """Credentials for the Table API."""

    label: str = ""

    @abstractmethod
    async def headers(self) -> dict[str, str]:
        """The `Authorization` header (and friends) for the next request."""

    async def refresh(self) -> bool:
        """After a 401: get fresh credentials; True when one retry is worth it."""
        return False


class BasicAuth(AuthProvider):
    """`Authorization: Basic` with a ServiceNow user name and password."""

    label = "basic"

    def __init__(self, username: str, password: str) -> None:
        if not username or not password:
            raise ConfigurationError("basic auth needs SERVICENOW_USERNAME and SERVICENOW_PASSWORD")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._header = {"Authorization": f"Basic {token}"}

    async def headers(self) -> dict[str, str]:
        return dict(self._header)


class OAuth2Auth(AuthProvider):
    """OAuth 2.0 against the instance's `/oauth_token.do` (password or client_credentials).

    Caches the access token, refreshes it `REFRESH_MARGIN_S` before expiry (with the refresh
    token when there is one) and once more after a 401.
    """

    label = "oauth2"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        client_id: str,
        client_secret: str,
        grant: str = "password",
        username: str = "",
        password: str = "",
        clock: Clock = time.monotonic,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError(
                "oauth2 needs SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET"
            )
        if grant not in ("password", "client_credentials"):
            raise ConfigurationError(
                "SERVICENOW_OAUTH_GRANT must be `password` or `client_credentials`"
            )
        if grant == "password" and not (username and password):
            raise ConfigurationError(
                "the oauth2 password grant needs SERVICENOW_USERNAME and SERVICENOW_PASSWORD"
            )
        self._http = http
        self._url = f"{base_url}/oauth_token.do"
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._grant = grant
        self._user = {"username": username, "password": password}
        self._clock = clock
        self._lock = asyncio.Lock()
        self._access: str | None = None
        self._refresh_token: str | None = None
        self._expires_at = 0.0

    async def headers(self) -> dict[str, str]:
        async with self._lock:
            if self._access is None or self._clock() >= self._expires_at - REFRESH_MARGIN_S:
                await self._renew()
        return {"Authorization": f"Bearer {self._access}"}

    async def refresh(self) -> bool:
        async with self._lock:
            self._access = None
            await self._renew()
        return True

    async def _renew(self) -> None:
        if self._refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
            try:
                await self._request_token(form)
                return
            except Unauthorized:
                # Refused: expired or revoked; fall back to the primary grant. A transient
                # fault (5xx, 429, timeout) propagates instead and the refresh token is kept.
                self._refresh_token = None
        form = {"grant_type": self._grant}
        if self._grant == "password":
            form |= self._user
        await self._request_token(form)

    async def _request_token(self, form: dict[str, str]) -> None:
        try:
            response = await self._http.post(self._url, data=form | self._client)
        except httpx.TimeoutException:
            raise Timeout("the OAuth token endpoint did not answer in time") from None
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"the OAuth token endpoint is unreachable ({type(exc).__name__})"
            ) from None
        transient = _transient_token_error(response, form["grant_type"])
        if transient is not None:
            log.warning(
                "servicenow.oauth.unavailable",
                extra={"grant": form["grant_type"], "status": response.status_code},
            )
            raise transient
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            log.warning(
                "servicenow.oauth.refused",
                extra={"grant": form["grant_type"], "status": response.status_code},
            )
            raise Unauthorized(
                f"the instance refused the OAuth {form['grant_type']} grant "
                f"(HTTP {response.status_code}, {body.get('error_description', 'no detail')}): "
                "check the client id/secret"
                + (" and the user name/password" if form["grant_type"] == "password" else "")
            )
        self._access = str(body["access_token"])
        self._refresh_token = body.get("refresh_token") or self._refresh_token
        self._expires_at = self._clock() + float(body.get("expires_in", 1800))


def _transient_token_error(response: httpx.Response, grant: str) -> Exception | None:
    """The token endpoint is busy or down (not refusing us): a typed transient error, or None.

    5xx and 429 say nothing about the credentials, and neither does a 200 that is not JSON (an
    instance waking from hibernation or under maintenance answers with an HTML page).
    """
    status = response.status_code
    where = f"the OAuth token endpoint ({grant} grant)"
    if status == 429:
        retry_after = response.headers.get("Retry-After", "")
        seconds = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None
        return RateLimited(f"{where} is rate limited (HTTP 429)", retry_after=seconds)
    if status == 504:
        return Timeout(f"{where} timed out at the gateway (HTTP 504)")
    if status in (502, 503):
        return Unavailable(f"{where} is unavailable (HTTP {status})")
    if status >= 500:
        return ServerError(f"{where} failed (HTTP {status})")
    if status == 200 and not _json(response):
        return Unavailable(f"{where} answered without JSON")
    return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


_KNOWN_AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoft.com"})
# OAuth error codes Entra ID uses when it is busy or down, not when it refuses the request.
_ENTRA_TRANSIENT = frozenset({"temporarily_unavailable", "server_error", "service_unavailable"})


class _MsalAuth(AuthProvider):
    """Shared plumbing of the Entra providers: a lazily built msal app, used off the event loop."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        scope: str,
        client_credential: Any,
        authority: str | None = None,
        http_client: Any = None,
    ) -> None:
        if not tenant_id or not client_id or not scope:
            raise ConfigurationError(
                f"{self.label} needs ENTRA_TENANT_ID, ENTRA_CLIENT_ID and SERVICENOW_ENTRA_SCOPE"
            )
        self._client_id = client_id
        self._authority = authority or f"https://login.microsoftonline.com/{tenant_id}"
        self._scopes = [scope]
        self._credential = client_credential
        self._http_client = http_client
        self._app: Any = None
        self._lock = asyncio.Lock()

    def _build_app(self) -> Any:
        import msal  # heavy; only the Entra providers need it

        options: dict[str, Any] = {}
        if self._http_client is not None:
            options["http_client"] = self._http_client
        host = (urlparse(self._authority).hostname or "").lower()
        if host not in _KNOWN_AUTHORITY_HOSTS:
            # A sovereign cloud's or a local authority: msal would ask login.microsoftonline.com.
            options["instance_discovery"] = False
        return msal.ConfidentialClientApplication(
            self._client_id,
            authority=self._authority,
            client_credential=self._credential,
            **options,
        )

    async def _app_ready(self) -> Any:
        async with self._lock:
            if self._app is None:
                try:
                    self._app = await asyncio.to_thread(self._build_app)
                except ValueError as exc:  # msal: bad authority / credential shape
                    raise ConfigurationError(f"{self.label}: {exc}") from None
                except Exception as exc:  # msal reaches the authority over requests
                    raise Unavailable(
                        f"{self.label}: Entra ID is unreachable ({type(exc).__name__})"
                    ) from None
        return self._app

    def _bearer(self, result: dict[str, Any] | None) -> dict[str, str]:
        if not result or "access_token" not in result:
            error = (result or {}).get("error", "no_token")
            if error in _ENTRA_TRANSIENT:
                log.warning("servicenow.entra.unavailable", extra={"provider": self.label})
                raise Unavailable(f"Entra ID is unavailable for {self.label} ({error})")
            log.warning("servicenow.entra.refused", extra={"provider": self.label, "error": error})
            raise Unauthorized(
                f"Entra ID refused the {self.label} token request ({error}): check the tenant, "
                "client id, certificate and SERVICENOW_ENTRA_SCOPE"
            )
        return {"Authorization": f"Bearer {result['access_token']}"}


class EntraCertificateAuth(_MsalAuth):
    """An app token from Entra ID, proven with a certificate (private key + thumbprint)."""

    label = "entra_certificate"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        scope: str,
        private_key_pem: str,
        thumbprint: str,
        authority: str | None = None,
        http_client: Any = None,
    ) -> None:
        if not private_key_pem or not thumbprint:
            raise ConfigurationError(
                "entra_certificate needs ENTRA_CERTIFICATE_PATH (PEM with the private key) and "
                "ENTRA_CERTIFICATE_THUMBPRINT"
            )
        credential = {"private_key": private_key_pem, "thumbprint": thumbprint}
        super().__init__(tenant_id, client_id, scope, credential, authority, http_client)

    async def headers(self) -> dict[str, str]:
        app = await self._app_ready()
        # msal serves its cached token and renews it shortly before expiry.
        result = await asyncio.to_thread(app.acquire_token_for_client, scopes=self._scopes)
        return self._bearer(result)

    async def refresh(self) -> bool:
        app = await self._app_ready()
        await asyncio.to_thread(app.remove_tokens_for_client)
        return True


# -- the identity of one call -------------------------------------------------------------------
#
# The host (the bot, for one Teams turn) says whose identity the calls of that turn carry by
# setting `acting_auth`; the client uses it instead of its own provider. Calls for shared
# metadata (choice labels, HR services) run inside `as_service()`: they keep the client's own
# (integration) provider when it has one — hybrid mode — and otherwise carry the turn's identity.
# The client knows nothing of Teams, only that a call may come with someone else's credentials.
acting_auth: contextvars.ContextVar[AuthProvider | None] = contextvars.ContextVar(
    "snowdesk_acting_auth", default=None
)
service_call: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "snowdesk_service_call", default=False
)


@contextmanager
def acting_as(auth: AuthProvider | None) -> Iterator[None]:
    """Calls inside carry `auth` (None: the client's own provider)."""
    token = acting_auth.set(auth)
    try:
        yield
    finally:
        acting_auth.reset(token)


@contextmanager
def as_service() -> Iterator[None]:
    """Calls inside read shared metadata: the integration account answers them when there is one."""
    token = service_call.set(True)
    try:
        yield
    finally:
        service_call.reset(token)


class NoServiceAccount(AuthProvider):
    """`SNOWDESK_IDENTITY_MODE=user`: Snowdesk has no ServiceNow account of its own, so a call
    that does not carry an employee's identity is refused before anything is sent."""

    label = "no service account (user mode)"

    async def headers(self) -> dict[str, str]:
        raise SignInRequired("user mode: this call carries no employee identity")


class NotSignedIn(AuthProvider):
    """The turn acts for an employee who has not signed in (or whose sign-in lapsed)."""

    label = "employee (not signed in)"

    async def headers(self) -> dict[str, str]:
        raise SignInRequired("the employee is not signed in")


@dataclass
class _CachedToken:
    access_token: str
    expires_at: float  # on the provider's clock


class OnBehalfOf(_MsalAuth):
    """On-behalf-of exchange (msal) of employees' Teams SSO tokens for ServiceNow tokens.

    One cache entry per employee (keyed by their Entra object id), renewed `REFRESH_MARGIN_S`
    before it expires with the employee's current SSO token; `for_employee` gives the provider
    one turn's calls carry. The cache holds tokens only in memory.
    """

    label = "entra_user"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        scope: str,
        client_secret: str,
        authority: str | None = None,
        http_client: Any = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if not client_secret:
            raise ConfigurationError("entra_user needs the Entra app's client secret")
        super().__init__(tenant_id, client_id, scope, client_secret, authority, http_client)
        self._clock = clock
        self._cache: dict[str, _CachedToken] = {}

    async def headers(self) -> dict[str, str]:
        raise SignInRequired("entra_user: calls need an employee's identity (for_employee)")

    def for_employee(self, user_key: str, assertion: str) -> AuthProvider:
        """The provider of one employee's calls: `assertion` is their current SSO token."""
        return _EmployeeAuth(self, user_key, assertion)

    def forget(self, user_key: str) -> None:
        """Drop an employee's cached token (sign out, revoked consent)."""
        self._cache.pop(user_key, None)

    async def token(self, user_key: str, assertion: str, *, fresh: bool = False) -> str:
        """The employee's ServiceNow access token, from the cache while it has a minute left."""
        cached = self._cache.get(user_key)
        if not fresh and cached and self._clock() < cached.expires_at - REFRESH_MARGIN_S:
            return cached.access_token
        app = await self._app_ready()
        result = await asyncio.to_thread(
            app.acquire_token_on_behalf_of, user_assertion=assertion, scopes=self._scopes
        )
        error = (result or {}).get("error", "")
        if error in _SIGN_IN_AGAIN:
            self.forget(user_key)
            log.info("servicenow.entra.sign_in_again", extra={"error": error})
            raise SignInRequired(f"Entra ID asks the employee to sign in again ({error})")
        bearer = self._bearer(result)["Authorization"].removeprefix("Bearer ")
        lifetime = float((result or {}).get("expires_in", 3600))
        self._cache[user_key] = _CachedToken(bearer, self._clock() + lifetime)
        return bearer


class _EmployeeAuth(AuthProvider):
    """One employee's identity for one turn's calls."""

    label = "entra_user (employee)"

    def __init__(self, obo: OnBehalfOf, user_key: str, assertion: str) -> None:
        self._obo = obo
        self._user_key = user_key
        self._assertion = assertion

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._obo.token(self._user_key, self._assertion)}"}

    async def refresh(self) -> bool:
        await self._obo.token(self._user_key, self._assertion, fresh=True)
        return True
