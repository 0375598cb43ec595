"""The OAuth token endpoint failing: a busy or broken endpoint is ServiceNow being unavailable
(retried like any transient fault, reported as such), never "an admin must check my access";
and the refresh token survives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from dialogs.base import failure_sentence
from servicenow.auth import OAuth2Auth
from servicenow.client import ServiceNowClient, build_http_client
from servicenow.emulator.server import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET
from servicenow.errors import (
    RateLimited,
    ServerError,
    ServiceNowError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from servicenow.query import Query
from tests.flows.conftest import FAST, Emulator, loopback


class FlakyTokenServer:
    """A `/oauth_token.do` whose next answers can be set: a status, an HTML page, a timeout."""

    def __init__(self) -> None:
        self.grants: list[str] = []
        self.next: list[Any] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(form["grant_type"])
        if self.next:
            fault = self.next.pop(0)
            if fault == "timeout":
                raise httpx.ReadTimeout("slow", request=request)
            if fault == "html":
                return httpx.Response(200, html="<html>Your instance is hibernating</html>")
            headers = {"Retry-After": "7"} if fault == 429 else {}
            return httpx.Response(fault, text="<html>gateway</html>", headers=headers)
        self.issued += 1
        body = {"access_token": f"token{self.issued}", "refresh_token": "refresh-1"}
        return httpx.Response(200, json=body | {"expires_in": 1800})


def oauth(server: FlakyTokenServer, now: list[float]) -> OAuth2Auth:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return OAuth2Auth(
        http,
        "https://acme.service-now.com",
        "client",
        "secret",
        username="bot",
        password="pw",
        clock=lambda: now[0],
    )


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (503, Unavailable),
        (502, Unavailable),
        (500, ServerError),
        (504, Timeout),
        (429, RateLimited),
        ("timeout", Timeout),
        ("html", Unavailable),
    ],
)
async def test_a_busy_or_broken_token_endpoint_is_a_transient_error(
    fault: Any, error: type[ServiceNowError]
) -> None:
    server, now = FlakyTokenServer(), [0.0]
    server.next = [fault]
    with pytest.raises(error) as raised:
        await oauth(server, now).headers()
    assert not isinstance(raised.value, Unauthorized)
    sentence = failure_sentence(raised.value, "ref1")
    assert "ServiceNow isn't answering" in sentence or "ServiceNow is busy" in sentence
    assert "check my access" not in sentence


async def test_a_rate_limited_token_endpoint_says_when_to_come_back() -> None:
    server, now = FlakyTokenServer(), [0.0]
    server.next = [429]
    with pytest.raises(RateLimited) as raised:
        await oauth(server, now).headers()
    assert raised.value.retry_after == 7.0


async def test_the_refresh_token_survives_a_transient_fault() -> None:
    """Token expires → refresh grant answered 503 → Unavailable; once the endpoint is back the
    refresh token is used again (no fall-back to the password grant)."""
    server, now = FlakyTokenServer(), [0.0]
    auth = oauth(server, now)
    assert await auth.headers() == {"Authorization": "Bearer token1"}
    now[0] = 1800
    server.next = [503, "timeout"]
    with pytest.raises(Unavailable):
        await auth.headers()
    with pytest.raises(Timeout):
        await auth.headers()
    assert await auth.headers() == {"Authorization": "Bearer token2"}
    assert server.grants == ["password", "refresh_token", "refresh_token", "refresh_token"]


async def test_a_refused_refresh_still_falls_back_to_the_primary_grant() -> None:
    server, now = FlakyTokenServer(), [0.0]
    auth = oauth(server, now)
    await auth.headers()
    now[0] = 1800
    server.next = [401]
    assert await auth.headers() == {"Authorization": "Bearer token2"}
    assert server.grants == ["password", "refresh_token", "password"]


# --- against the embedded emulator over HTTP ----------------------------------------------------


@pytest.fixture
async def emulator(servicenow_emulator: Any) -> AsyncIterator[Emulator]:
    admin = Emulator(servicenow_emulator)
    await admin.reset_faults()
    yield admin
    await admin.reset_faults()
    await admin.aclose()


def emulator_client(servicenow_emulator: Any) -> ServiceNowClient:
    http = build_http_client(FAST, loopback())
    auth = OAuth2Auth(
        http,
        servicenow_emulator.base_url,
        OAUTH_CLIENT_ID,
        OAUTH_CLIENT_SECRET,
        username="admin",
        password=servicenow_emulator.admin_password,
    )
    return ServiceNowClient(servicenow_emulator.base_url, auth, http, policy=FAST)


@pytest.mark.parametrize("status", [502, 503, 500])
async def test_a_token_endpoint_fault_is_retried_like_any_other(
    servicenow_emulator: Any, emulator: Emulator, status: int
) -> None:
    """The first request of a fresh client is the token request; the emulator fails it once →
    the client retries and the read succeeds."""
    client = emulator_client(servicenow_emulator)
    await emulator.faults(error_next=1, error_statuses=[status])
    page = await client.list(
        "sys_user", Query().where("user_name", "=", "abel.tuter"), ["sys_id"], limit=1
    )
    assert len(page.rows) == 1
    await client.aclose()


async def test_a_token_endpoint_that_stays_down_is_servicenow_unavailable(
    servicenow_emulator: Any, emulator: Emulator
) -> None:
    client = emulator_client(servicenow_emulator)
    await emulator.faults(error_next=50, error_statuses=[503])
    with pytest.raises(Unavailable) as raised:
        await client.list(
            "sys_user", Query().where("user_name", "=", "abel.tuter"), ["sys_id"], limit=1
        )
    assert "ServiceNow isn't answering right now" in failure_sentence(raised.value, "r")
    await client.aclose()
