"""Fixtures shared by every test package."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.microsoft import FakeMicrosoft, fake_microsoft

EMULATOR_ADMIN_PASSWORD = "emulator-admin-for-tests"


@pytest.fixture(scope="session")
def servicenow_emulator() -> Iterator[Any]:
    """The embedded emulator (demo seed) over real HTTP on a 127.0.0.1 ephemeral port.

    It runs on its own event loop in a background thread, so tests on any loop can reach it.
    Yields the `RunningEmulator` (`base_url`, `admin_password`, `demo_credentials`).
    """
    from servicenow.emulator import start_emulator

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="servicenow-emulator", daemon=True)
    thread.start()
    started = start_emulator(port=0, seed="demo", admin_password=EMULATOR_ADMIN_PASSWORD)
    emulator = asyncio.run_coroutine_threadsafe(started, loop).result(timeout=60)
    try:
        yield emulator
    finally:
        asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
async def microsoft(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[FakeMicrosoft]:
    """Fake Entra ID, Bot Framework token service and Graph over TLS on loopback, trusted by
    msal (requests) and httpx for the length of the test."""
    async with fake_microsoft(directory=str(tmp_path)) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_file)
        monkeypatch.setenv("SSL_CERT_FILE", fake.ca_file)
        yield fake


# The rings a developer can run alone (`pytest -m unit` takes seconds). A test's ring follows
# from where it lives; a test may also carry a marker of its own.
_INTEGRATION = (
    "tests/servicenow/emulator/",
    "tests/flows/",
    "tests/dialogs/hr/",
    "tests/dialogs/it/",
    "tests/bot/test_doctor.py",
    "tests/bot/test_sso.py",
    "tests/bot/test_sso_doctor.py",
    "tests/bot/test_servicenow_setup.py",
    "tests/bot/test_storage.py",
    "tests/servicenow/test_client.py",
    "tests/servicenow/test_auth.py",
)
_SLOW = ("tests/bot/test_serve.py",)
_RINGS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test `unit`, `integration` or `e2e` (and `slow`) by where it lives."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(_SLOW):
            item.add_marker(pytest.mark.slow)
        if any(item.get_closest_marker(ring) for ring in _RINGS):
            continue
        if path.startswith("tests/e2e/") or path.startswith(_SLOW):
            item.add_marker(pytest.mark.e2e)
        elif path.startswith(_INTEGRATION):
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)
