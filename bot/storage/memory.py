"""botbuilder's `MemoryStorage` plus the claim primitive (tests, single-process local runs)."""

from __future__ import annotations

import time
from collections.abc import Callable

from botbuilder.core import MemoryStorage

from bot.storage._items import DEFAULT_CLAIM_TTL_S, require_claim

# Expired claims are swept once this many are held, so the table cannot grow without bound.
_SWEEP_AT = 10_000


class ClaimingMemoryStorage(MemoryStorage):
    """`MemoryStorage` whose `claim` is atomic within the process (no await between test and set)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._claims: dict[str, float] = {}
        self._clock = clock

    async def claim(self, key: str, ttl_seconds: float = DEFAULT_CLAIM_TTL_S) -> bool:
        """True for the first caller of `key` within `ttl_seconds`; False for every other."""
        require_claim(key, ttl_seconds)
        now = self._clock()
        if len(self._claims) >= _SWEEP_AT:
            self._claims = {k: until for k, until in self._claims.items() if until > now}
        until = self._claims.get(key)
        if until is not None and until > now:
            return False
        self._claims[key] = now + ttl_seconds
        return True
