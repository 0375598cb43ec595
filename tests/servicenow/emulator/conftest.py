"""An emulator per test (seeded demo company, in memory, ephemeral port) and clients for it."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from servicenow.emulator import RunningEmulator, start_emulator, tls

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


class ThreadedEmulator:
    """An https emulator on a loop of its own thread, for synchronous clients (pysnc, pysnow):
    they block on requests, so they cannot share the test's event loop with the server."""

    def __init__(self, cert: Path, key: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            start_emulator(
                admin_password=ADMIN_PASSWORD, ssl_context=tls.server_context(cert, key)
            ),
            self._loop,
        )
        self.running = started.result(timeout=30)
        self.base_url = self.running.base_url
        self.cert = cert

    def stop(self) -> None:
        """Stop serving and end the thread."""
        asyncio.run_coroutine_threadsafe(self.running.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


@pytest.fixture(scope="session")
def emulator_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return tls.ensure_certificate(tmp_path_factory.mktemp("emulator-tls"))


@pytest.fixture
def https_emulator(
    emulator_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[ThreadedEmulator]:
    """A fresh https emulator per test; requests trusts its certificate through
    REQUESTS_CA_BUNDLE (what an admin would set), so every session a client opens does."""
    cert, key = emulator_certificate
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    server = ThreadedEmulator(cert, key)
    yield server
    server.stop()
    # Collect now, so a connection a client left open is reported by the test that leaked it.
    gc.collect()
