"""Table API client against an in-process transport: parameters, typed errors, retries."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from servicenow.auth import AuthProvider, BasicAuth
from servicenow.client import RetryPolicy, ServiceNowClient, build_http_client
from servicenow.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    Unauthorized,
    Unavailable,
)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Time that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(handler: Handler, auth: AuthProvider | None = None, **policy) -> tuple:
    clock = FakeClock()
    http = build_http_client(transport=httpx.MockTransport(handler))
    client = ServiceNowClient(
        "https://acme.service-now.com",
        auth or BasicAuth("bot", "s3cret"),
        http=http,
        policy=RetryPolicy(**policy),
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
    )
    return client, clock


def ok(result, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"result": result}, headers=headers)


def failure(status: int, message: str, headers: dict | None = None) -> httpx.Response:
    body = {"error": {"message": message, "detail": None}, "status": "failure"}
    return httpx.Response(status, json=body, headers=headers)


async def test_list_sends_fields_query_limit_and_no_count_unless_paging():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok([{"number": "INC1"}], headers={"X-Total-Count": "7"})

    client, _ = make_client(handler)
    page = await client.list("incident", "active=true", ["number", "state"], limit=5)
    counted = await client.list("incident", "active=true", ["number"], 5, offset=5, count=True)
    params = seen[0].url.params
    assert params["sysparm_fields"] == "number,state"
    assert params["sysparm_query"] == "active=true"
    assert params["sysparm_limit"] == "5"
    assert params["sysparm_no_count"] == "true"
    assert page.rows == [{"number": "INC1"}] and page.total is None
    assert "sysparm_no_count" not in seen[1].url.params
    assert seen[1].url.params["sysparm_offset"] == "5"
    assert counted.total == 7
    assert seen[0].headers["Authorization"].startswith("Basic ")


async def test_fields_are_required_and_validated():
    client, _ = make_client(lambda request: ok([]))
    with pytest.raises(InvalidRequest):
        await client.list("incident", "", [], limit=1)
    with pytest.raises(InvalidRequest):
        await client.get("incident", "abc", ["number^ORactive"])
    with pytest.raises(InvalidRequest):
        await client.get("incident", "../sys_user", ["number"])


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (500, ServerError),
    ],
)
async def test_statuses_map_to_typed_errors_with_the_envelope_message(status, error):
    client, _ = make_client(lambda request: failure(status, "Operation Failed"))
    with pytest.raises(error, match="Operation Failed"):
        await client.get("incident", "abc", ["number"])


async def test_reads_retry_transient_failures_with_backoff_then_succeed():
    answers = iter([failure(503, "down"), failure(502, "gateway"), ok({"number": "INC1"})])
    client, clock = make_client(lambda request: next(answers))
    record = await client.get("incident", "abc", ["number"])
    assert record == {"number": "INC1"}
    assert clock.sleeps == [0.25, 0.5]


async def test_retry_after_is_honoured_and_rate_limit_surfaces_when_budget_is_short():
    answers = iter([failure(429, "Rate limit exceeded", {"Retry-After": "3"}), ok({"n": "1"})])
    client, clock = make_client(lambda request: next(answers))
    await client.get("incident", "abc", ["number"])
    assert clock.sleeps == [3.0]

    client, clock = make_client(
        lambda request: failure(429, "Rate limit exceeded", {"Retry-After": "120"}), budget=10
    )
    with pytest.raises(RateLimited) as caught:
        await client.get("incident", "abc", ["number"])
    assert caught.value.retry_after == 120 and clock.sleeps == []


async def test_dropped_connections_and_timeouts_become_typed_errors_after_the_attempts():
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, clock = make_client(drop, attempts=3)
    with pytest.raises(Unavailable):
        await client.get("incident", "abc", ["number"])
    assert len(clock.sleeps) == 2

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make_client(slow, attempts=2)
    with pytest.raises(Timeout):
        await client.list("incident", "", ["number"], limit=1)


async def test_a_create_without_correlation_is_never_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return failure(504, "gateway timeout")

    client, _ = make_client(handler)
    with pytest.raises(Timeout):
        await client.create("incident", {"short_description": "x"}, ["number"])
    assert len(calls) == 1


async def test_an_ambiguous_create_is_looked_up_by_correlation_id_not_resent():
    calls: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.params.get("sysparm_query", "")))
        if request.method == "POST":
            raise httpx.ReadTimeout("lost answer", request=request)
        return ok([{"number": "INC9", "correlation_id": "sd-1"}])

    client, _ = make_client(handler)
    record = await client.create(
        "incident",
        {"short_description": "x", "correlation_id": "sd-1"},
        ["number"],
        correlation_field="correlation_id",
    )
    assert record["number"] == "INC9"
    assert calls == [("POST", ""), ("GET", "correlation_id=sd-1")]


async def test_a_create_is_resent_only_when_the_lookup_finds_nothing():
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return ok([])
        posts.append(json.loads(request.content))
        if len(posts) == 1:
            return failure(502, "bad gateway")
        return ok({"number": "INC2"}, status=201)

    client, _ = make_client(handler)
    record = await client.create(
        "incident", {"correlation_id": "sd-2"}, ["number"], correlation_field="correlation_id"
    )
    assert record == {"number": "INC2"}
    assert len(posts) == 2


async def test_a_comment_is_not_appended_twice_after_an_ambiguous_failure():
    patches = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            patches.append(request)
            raise httpx.RemoteProtocolError("connection dropped", request=request)
        if request.url.params["sysparm_fields"] == "comments":
            return ok(
                {"comments": "2026-01-01 10:00:00 - Abel Tuter (Additional comments)\nhi\n\n"}
            )
        return ok({"number": "INC3"})

    client, _ = make_client(handler)
    record = await client.update(
        "incident", "abc", {"comments": "hi"}, ["number"], journal_fields=["comments"]
    )
    assert record == {"number": "INC3"} and len(patches) == 1


class RotatingAuth(AuthProvider):
    label = "test"

    def __init__(self) -> None:
        self.token = "old"

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def refresh(self) -> bool:
        self.token = "new"
        return True


async def test_a_401_refreshes_credentials_once_and_retries():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer old":
            return failure(401, "User is not authenticated")
        return ok({"number": "INC1"})

    client, _ = make_client(handler, auth=RotatingAuth())
    assert await client.get("incident", "abc", ["number"]) == {"number": "INC1"}


async def test_session_cookies_are_never_sent_back():
    cookies = []

    def handler(request: httpx.Request) -> httpx.Response:
        cookies.append(request.headers.get("cookie"))
        return ok([], headers={"Set-Cookie": "JSESSIONID=abc; Path=/"})

    client, _ = make_client(handler)
    await client.list("incident", "", ["number"], limit=1)
    await client.list("incident", "", ["number"], limit=1)
    assert cookies == [None, None]


async def test_errors_never_carry_the_password():
    client, _ = make_client(lambda request: failure(401, "User is not authenticated"))
    with pytest.raises(Unauthorized) as caught:
        await client.get("incident", "abc", ["number"])
    assert "s3cret" not in str(caught.value)
