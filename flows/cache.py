"""Metadata cache in the bot's `Storage` (memory, SQLite or Redis), with a TTL.

Holds choice labels, HR services per user, the per-user ticket lists and the results of
idempotent creates. Per-user lists are versioned by a generation number: the user's own
creates and updates bump it, which makes every cached page of theirs stale at once.

`get_or_load` is single-flight: however many turns miss the same key at once, one load runs
and they all get its answer (1000 conversations asking for the categories make one read).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

PREFIX = "snowdesk/cache/"


class KeyValueStore(Protocol):
    """What the cache needs of a store: botbuilder's `Storage` read/write shape, nothing more."""

    async def read(self, keys: list[str]) -> dict[str, Any]: ...

    async def write(self, changes: dict[str, Any]) -> None: ...


class MetadataCache:
    """Key → JSON-able value with an expiry, in any `KeyValueStore` (the bot's state storage)."""

    def __init__(
        self,
        storage: KeyValueStore,
        ttl_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self.ttl = ttl_seconds
        self._clock = clock
        self._loading: dict[str, asyncio.Task[Any]] = {}

    async def get_or_load(
        self, key: str, load: Callable[[], Awaitable[Any]], ttl_seconds: float | None = None
    ) -> Any:
        """The cached value, else the value of one `load()` shared by every concurrent miss,
        stored for `ttl_seconds`. A failed load is not stored; its waiters all see the error."""
        cached = await self.get(key)
        if cached is not None:
            return cached
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load, ttl_seconds))
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        # Shielded: one waiter's turn being cancelled does not cancel the others' load.
        return await asyncio.shield(task)

    async def _load(
        self, key: str, load: Callable[[], Awaitable[Any]], ttl_seconds: float | None
    ) -> Any:
        value = await load()
        await self.set(key, value, ttl_seconds)
        return value

    async def get(self, key: str) -> Any | None:
        """The cached value, or None when absent or expired."""
        item = (await self._storage.read([PREFIX + key])).get(PREFIX + key)
        if not isinstance(item, dict) or item.get("expires_at", 0) <= self._clock():
            return None
        return item.get("value")

    async def set(self, key: str, value: Any, ttl_seconds: float | None = None) -> None:
        """Store `value` for `ttl_seconds` (the cache's TTL by default)."""
        ttl = self.ttl if ttl_seconds is None else ttl_seconds
        item = {"value": value, "expires_at": self._clock() + ttl, "e_tag": "*"}
        await self._storage.write({PREFIX + key: item})

    async def forget(self, key: str) -> None:
        """Make one entry stale now (the store has no delete; an expired entry reads as absent)."""
        await self.set(key, None, ttl_seconds=0)

    async def set_many(self, items: Mapping[str, Any]) -> None:
        """Store several values for the cache's TTL in one storage write."""
        if not items:
            return
        expires_at = self._clock() + self.ttl
        await self._storage.write(
            {
                PREFIX + key: {"value": v, "expires_at": expires_at, "e_tag": "*"}
                for key, v in items.items()
            }
        )

    async def generation(self, scope: str) -> int:
        """The current generation of a scope (e.g. one user's ticket lists)."""
        value = await self.get(f"gen/{scope}")
        return int(value) if value is not None else 0

    async def invalidate(self, scope: str) -> None:
        """Make every entry keyed by this scope's generation stale."""
        generation = await self.generation(scope)
        # Kept longer than any entry it guards, so an old generation never comes back.
        await self.set(f"gen/{scope}", generation + 1, ttl_seconds=max(self.ttl * 4, 86400))
