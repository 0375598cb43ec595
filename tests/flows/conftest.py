"""Fixtures for the system handler tests: a connection to the emulator, its request log, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.servicenow_setup import ServiceNowConnection, connect
from flows.identity import get_user
from flows.models import Employee
from flows.orchestrator import Orchestrator
from servicenow.client import RetryPolicy

# No waiting between retries in tests: backoff delays are zero, Retry-After is set to 0.
FAST = RetryPolicy(base_delay=0.0, max_delay=0.0, budget=20.0)


def loopback() -> httpx.AsyncHTTPTransport:
    """A plain-HTTP transport for 127.0.0.1 (building a TLS context per client costs ~0.2 s)."""
    return httpx.AsyncHTTPTransport(verify=False)


def emulator_settings(emulator: Any, **changes: Any) -> Settings:
    """Settings that point at the test emulator as its admin."""
    values: dict[str, Any] = {
        "servicenow_instance": emulator.base_url,
        "servicenow_auth": "basic",
        "servicenow_username": "admin",
        "servicenow_password": emulator.admin_password,
        "storage_url": "memory://",
    }
    return Settings(**(values | changes))


class Emulator:
    """The admin side of the emulator: request log and fault injection."""

    def __init__(self, emulator: Any) -> None:
        self.base_url = emulator.base_url
        self._http = httpx.AsyncClient(
            base_url=emulator.base_url,
            auth=("admin", emulator.admin_password),
            transport=loopback(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = await self._http.request(method, path, json=body)
        response.raise_for_status()
        return response

    async def clear_requests(self) -> None:
        await self._call("DELETE", "/emulator/requests")

    async def requests(self) -> list[dict[str, Any]]:
        """Table API requests served since the last clear."""
        return (await self._call("GET", "/emulator/requests")).json()

    async def round_trips(self) -> int:
        return len(await self.requests())

    async def faults(self, **changes: Any) -> None:
        await self._call("POST", "/emulator/faults", changes)

    async def reset_faults(self) -> None:
        await self._call("DELETE", "/emulator/faults")


@pytest.fixture
async def emulator(servicenow_emulator: Any) -> AsyncIterator[Emulator]:
    admin = Emulator(servicenow_emulator)
    await admin.reset_faults()
    yield admin
    await admin.reset_faults()
    await admin.aclose()


@pytest.fixture
async def connection(servicenow_emulator: Any) -> AsyncIterator[ServiceNowConnection]:
    settings = emulator_settings(servicenow_emulator)
    async with await connect(settings, transport=loopback(), policy=FAST) as opened:
        yield opened


@pytest.fixture
def orch(connection: ServiceNowConnection) -> Orchestrator:
    return connection.orchestrator


async def _employee(orch: Orchestrator, email: str) -> Employee:
    employee = await get_user(orch, "email", email)
    assert employee is not None
    return employee


@pytest.fixture
async def abel(orch: Orchestrator) -> Employee:
    return await _employee(orch, "abel.tuter@example.com")


@pytest.fixture
async def beth(orch: Orchestrator) -> Employee:
    return await _employee(orch, "beth.anglin@example.com")
