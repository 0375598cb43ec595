"""Single-flight cache misses: concurrent turns asking for the same thing make one read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botbuilder.core import MemoryStorage

from bot.servicenow_setup import ServiceNowConnection
from flows import hr, it
from flows.cache import MetadataCache
from flows.models import Employee
from flows.orchestrator import Orchestrator
from tests.flows.conftest import Emulator


class Loader:
    """A load that finishes only when the test says, counting how often it was started."""

    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.value = value
        self.error = error

    async def __call__(self) -> Any:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.value


async def test_a_hundred_concurrent_misses_share_one_load() -> None:
    cache = MetadataCache(MemoryStorage(), ttl_seconds=60)
    load = Loader(value=["a", "b"])
    waiting = [asyncio.create_task(cache.get_or_load("k", load)) for _ in range(100)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*waiting) == [["a", "b"]] * 100
    assert load.calls == 1
    assert await cache.get_or_load("k", Loader(value="never read")) == ["a", "b"]


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept() -> None:
    cache = MetadataCache(MemoryStorage(), ttl_seconds=60)
    load = Loader(error=RuntimeError("ServiceNow away"))
    waiting = [asyncio.create_task(cache.get_or_load("k", load)) for _ in range(3)]
    await asyncio.sleep(0)
    load.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
    assert load.calls == 1
    retry = Loader(value="fresh")
    retry.release.set()
    assert await cache.get_or_load("k", retry) == "fresh"


async def test_one_waiter_cancelled_does_not_cancel_the_others() -> None:
    cache = MetadataCache(MemoryStorage(), ttl_seconds=60)
    load = Loader(value=1)
    first = asyncio.create_task(cache.get_or_load("k", load))
    second = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    first.cancel()
    load.release.set()
    assert await second == 1
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_thousand_turns_asking_for_categories_make_one_read(
    orch: Orchestrator, emulator: Emulator
) -> None:
    await emulator.clear_requests()
    answers = await asyncio.gather(*(it.get_categories(orch) for _ in range(1000)))
    assert all(answer == answers[0] for answer in answers) and answers[0]
    assert await emulator.round_trips() == 1


async def test_concurrent_list_misses_of_one_employee_make_one_read(
    connection: ServiceNowConnection, abel: Employee, emulator: Emulator
) -> None:
    await emulator.clear_requests()
    pages = await asyncio.gather(*(hr.list_cases(connection.orchestrator, abel) for _ in range(50)))
    assert len({page.total for page in pages}) == 1
    assert await emulator.round_trips() == 1
