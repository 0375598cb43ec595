"""Injected faults, each observed by a plain httpx client; and the request log tests rely on."""

from __future__ import annotations

import time

import httpx
import pytest

from servicenow.emulator import RunningEmulator

LIST = "/api/now/table/incident?sysparm_limit=1"


async def set_faults(admin: httpx.AsyncClient, **settings: object) -> None:
    response = await admin.post("/emulator/faults", json=settings)
    assert response.status_code == 200, response.text


async def test_rate_limit_burst_then_recovery(admin: httpx.AsyncClient):
    await set_faults(admin, rate_limit_next=2, retry_after_seconds=7)
    first, second, third = [await admin.get(LIST) for _ in range(3)]
    assert first.status_code == second.status_code == 429
    assert first.headers["Retry-After"] == "7" and "X-RateLimit-Reset" in first.headers
    assert first.json()["error"]["message"] == "Rate limit exceeded"
    assert third.status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(admin: httpx.AsyncClient, status: int):
    await set_faults(admin, error_next=1, error_statuses=[status])
    assert (await admin.get(LIST)).status_code == status
    assert (await admin.get(LIST)).status_code == 200


async def test_hanging_request_times_out(admin: httpx.AsyncClient):
    await set_faults(admin, hang_next=1, hang_seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        await admin.get(LIST, timeout=0.2)


async def test_dropped_connection(admin: httpx.AsyncClient, emulator: RunningEmulator):
    await set_faults(admin, drop_next=1)
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=admin.auth) as fresh:
        with pytest.raises(httpx.TransportError):
            await fresh.get(LIST)
        assert (await fresh.get(LIST)).status_code == 200


async def test_latency(admin: httpx.AsyncClient):
    await set_faults(admin, latency_ms=80)
    started = time.perf_counter()
    assert (await admin.get(LIST)).status_code == 200
    assert time.perf_counter() - started >= 0.08


async def test_invalid_fault_settings_are_400(admin: httpx.AsyncClient):
    response = await admin.post("/emulator/faults", json={"error_rate": 2})
    assert response.status_code == 400
    assert (await admin.post("/emulator/faults", json={"nonsense": 1})).status_code == 400


async def test_request_log_counts_round_trips(admin: httpx.AsyncClient):
    assert (await admin.delete("/emulator/requests")).status_code == 204
    await admin.get(LIST)
    await admin.get("/api/now/table/nope")
    log = (await admin.get("/emulator/requests")).json()
    assert [(entry["method"], entry["path"], entry["status"], entry["user"]) for entry in log] == [
        ("GET", "/api/now/table/incident", 200, "admin"),
        ("GET", "/api/now/table/nope", 400, "admin"),
    ]
    assert log[0]["query"] == "sysparm_limit=1"
