"""Inbound Bot Framework authentication that fails closed: anything not validated is a 401.

botbuilder 4.17's validator checks the right things (issuer, audience, signature against the
OpenID signing keys, the channel's endorsement, the `serviceurl` claim) but lets many forged or
broken tokens escape as something other than `PermissionError` — a PyJWT `DecodeError` for
garbage, a bare `Exception` for a wrong algorithm, `IndexError` for an unknown key id,
`requests` errors when the keys are unreachable — which CloudAdapter turns into HTTP 500. It also
fetches the signing keys with blocking `requests` calls and no timeout, on the event loop.

`FailClosedAuthentication` wraps it: cheap structural checks first (no network for `alg=none`,
HS256 or garbage), then botbuilder's validation on a worker thread with a time limit, and every
failure becomes one `PermissionError` plus one log line naming why (never the token).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset(AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS)
# Bot Framework tokens are 1-3 KB; anything far larger is not one.
MAX_TOKEN_CHARS = 6_000
VALIDATION_TIMEOUT_S = 5.0


class TokenRejected(PermissionError):
    """A token that could not be validated; `reason` is a short phrase safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The request's credentials were not accepted ({reason}).")
        self.reason = reason


# The app id anonymous local mode signs in with (only a local token service accepts it).
LOCAL_APP_ID = "snowdesk-local"


class FailClosedAuthentication(BotFrameworkAuthentication):
    """Delegates to botbuilder's authentication; every validation failure is a `TokenRejected`."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        anonymous: bool,
        timeout: float = VALIDATION_TIMEOUT_S,
    ) -> None:
        self._inner = inner
        self._anonymous = anonymous
        self._timeout = timeout
        # botbuilder reads the signing keys with blocking `requests` calls: a few threads of
        # their own keep a slow key endpoint from stalling the event loop or other work.
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="snowdesk-jwt")

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        """Validate the activity's bearer token, or raise `TokenRejected` (HTTP 401)."""
        if not auth_header:
            if not self._anonymous:
                raise _rejected(activity, "no Authorization header")
            return self._anonymous_result()
        problem = structural_problem(auth_header)
        if problem:
            raise _rejected(activity, problem)
        try:
            return await asyncio.wait_for(self._validate(activity, auth_header), self._timeout)
        except TimeoutError:
            raise _rejected(activity, "signing keys did not answer in time") from None
        except TokenRejected:
            raise
        except Exception as error:  # fail closed: whatever botbuilder raised, nobody got in
            raise _rejected(activity, _reason(error)) from None

    def _anonymous_result(self) -> AuthenticateRequestResult:
        # What botbuilder hands out in anonymous mode, built here because its own version
        # reads `activity.recipient.role`, which Web Chat activities may not have.
        identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = self._inner.get_originating_audience()
        result.caller_id = None
        result.connector_factory = self._inner.create_connector_factory(identity)
        return result

    async def _validate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        loop = asyncio.get_running_loop()

        def run() -> AuthenticateRequestResult:
            return asyncio.run(self._inner.authenticate_request(activity, auth_header))

        return await loop.run_in_executor(self._executor, run)

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        """Snowdesk serves no streaming (web socket) connections."""
        raise TokenRejected("streaming connections are not served")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """botbuilder's connector factory for outbound replies."""
        return self._inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        """botbuilder's user token client (OAuth prompts).

        In anonymous local mode the claims name no app id, and botbuilder's client then cannot
        build a sign-in state: it names a local one, so sign-in runs against a local token
        service (`OAUTH_URL`); the real service refuses an unauthenticated bot anyway."""
        client = await self._inner.create_user_token_client(claims_identity)
        if self._anonymous and not getattr(client, "_app_id", "x"):
            client._app_id = LOCAL_APP_ID
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        """botbuilder's skill client."""
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        """The audience of outbound tokens."""
        audience: str = self._inner.get_originating_audience()
        return audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        """Skill callbacks are not served; refuse them like any unvalidated token."""
        raise TokenRejected("skill callbacks are not served")

    def close(self) -> None:
        """Stop the validation threads (a hung key fetch is left to finish on its own)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def structural_problem(auth_header: str) -> str | None:
    """Why this header cannot hold a Bot Framework token, decided without any network; or None.

    Catches `alg=none`, symmetric (HS*) and other algorithms, garbage and missing key ids before
    botbuilder (and the signing-key endpoint) ever see them.
    """
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token:
        return "not a Bearer token"
    if len(token) > MAX_TOKEN_CHARS:
        return "token too long"
    parts = token.split(".")
    if len(parts) != 3:
        return "not a JWT"
    header = _segment(parts[0])
    payload = _segment(parts[1])
    if header is None or payload is None:
        return "not a JWT"
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        return f"algorithm {str(algorithm)[:16]!r} is not allowed"
    if not parts[2]:
        return "no signature"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return "no signing key id"
    if not isinstance(payload.get("iss"), str):
        return "no issuer"
    # botbuilder checks `exp` only when present; a token that never expires is refused here
    # (and a forged `exp` fails the signature check that follows).
    if not isinstance(payload.get("exp"), int | float) or isinstance(payload.get("exp"), bool):
        return "no expiry"
    return None


def _segment(text: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _reason(error: Exception) -> str:
    """A short phrase for the log: botbuilder's and PyJWT's messages carry no token."""
    name = type(error).__name__
    if isinstance(error, PermissionError):
        return str(error)[:120] or name
    if isinstance(error, IndexError | KeyError):
        return "signing key not found"
    module = type(error).__module__.split(".")[0]
    if module in ("requests", "urllib3") or isinstance(error, OSError):
        return f"signing keys unreachable ({name})"
    if module == "jwt":
        return f"{name}: {str(error)[:80]}"
    return f"{name}: {str(error)[:80]}" if str(error) else name


def _rejected(activity: Activity, reason: str) -> TokenRejected:
    log.warning(
        "auth.rejected",
        extra={
            "reason": reason,
            "channel_id": getattr(activity, "channel_id", None) or "",
            "activity_id": getattr(activity, "id", None) or "",
        },
    )
    return TokenRejected(reason)
