"""Fixtures shared by every test package."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

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
