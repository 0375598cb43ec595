"""An emulator per test (seeded demo company, in memory, ephemeral port) and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from servicenow.emulator import RunningEmulator, start_emulator

ADMIN_PASSWORD = "emulator-admin-pw"
DEMO_PASSWORD = "Demo!2026"


class FakeClock:
    """A clock tests move by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    async with await start_emulator(
        admin_password=ADMIN_PASSWORD, token_lifetime_seconds=60, clock=clock
    ) as running:
        yield running


@pytest.fixture
async def client_for(
    emulator: RunningEmulator,
) -> AsyncIterator[Callable[[str | None], httpx.AsyncClient]]:
    """`client_for("abel.tuter")` signs in with basic auth; `client_for(None)` is anonymous."""
    opened: list[httpx.AsyncClient] = []

    def make(user: str | None) -> httpx.AsyncClient:
        password = ADMIN_PASSWORD if user == "admin" else DEMO_PASSWORD
        auth = (user, password) if user else None
        client = httpx.AsyncClient(base_url=emulator.base_url, auth=auth, timeout=5)
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
def admin(client_for: Callable[[str | None], httpx.AsyncClient]) -> httpx.AsyncClient:
    return client_for("admin")
