"""Back-pressure: a bounded number of requests in flight, queued calls in order, `Busy` fast."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dialogs.base import failure_sentence
from servicenow.auth import BasicAuth
from servicenow.client import RetryPolicy, ServiceNowClient, build_http_client, deadline
from servicenow.errors import Busy


class HeldInstance:
    """A ServiceNow stand-in that answers only when the test lets it, recording arrival order."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.release = asyncio.Event()
        self.in_flight = 0
        self.most_in_flight = 0
        self.came = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.arrived.append(request.url.path.rsplit("/", 1)[-1])
        self.came.set()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await self.release.wait()
        self.in_flight -= 1
        return httpx.Response(200, json={"result": {"sys_id": "x"}})


def client_for(instance: HeldInstance, **policy: float) -> ServiceNowClient:
    rules = RetryPolicy(**policy)  # type: ignore[arg-type]
    http = build_http_client(rules, transport=httpx.MockTransport(instance))
    return ServiceNowClient("https://acme.service-now.com", BasicAuth("bot", "pw"), http, rules)


async def until_arrived(instance: HeldInstance, count: int) -> None:
    while len(instance.arrived) < count:
        instance.came.clear()
        await instance.came.wait()


async def test_a_full_client_answers_busy_at_once_without_sending() -> None:
    """Two slots taken, no time to wait → `Busy` now; the instance saw only the two."""
    instance = HeldInstance()
    client = client_for(instance, max_concurrency=2, queue_timeout=0)
    held = [asyncio.create_task(client.get("incident", f"a{i}", ["sys_id"])) for i in range(2)]
    await until_arrived(instance, 2)
    with pytest.raises(Busy) as busy:
        await client.get("incident", "late", ["sys_id"])
    assert instance.arrived == ["a0", "a1"]
    assert "ServiceNow is busy right now" in failure_sentence(busy.value, "ref1")
    instance.release.set()
    await asyncio.gather(*held)
    await client.aclose()


async def test_queued_calls_go_in_arrival_order_and_never_exceed_the_limit() -> None:
    """One slot: the held call, then the queue in the order it formed."""
    instance = HeldInstance()
    client = client_for(instance, max_concurrency=1, queue_timeout=60)
    calls = [asyncio.create_task(client.get("incident", f"c{i}", ["sys_id"])) for i in range(4)]
    await until_arrived(instance, 1)
    instance.release.set()
    await asyncio.gather(*calls)
    assert instance.arrived == ["c0", "c1", "c2", "c3"]
    assert instance.most_in_flight == 1
    await client.aclose()


async def test_the_turn_deadline_caps_the_wait() -> None:
    """A turn with no time left is not kept waiting for a slot, whatever `queue_timeout` says."""
    instance = HeldInstance()
    client = client_for(instance, max_concurrency=1, queue_timeout=60)
    held = asyncio.create_task(client.get("incident", "first", ["sys_id"]))
    await until_arrived(instance, 1)
    with deadline(0), pytest.raises(Busy):
        await client.get("incident", "second", ["sys_id"])
    instance.release.set()
    await held
    await client.aclose()


async def test_the_pool_holds_every_slot() -> None:
    """The connection pool is sized from the same policy, so no call waits on the pool."""
    http = build_http_client(RetryPolicy(max_concurrency=7))
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections >= 7
    assert pool._max_keepalive_connections == 7
    await http.aclose()
