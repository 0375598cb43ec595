"""State in Redis, for several bot processes sharing the load, with eTag optimistic concurrency.

Each item is a hash `{etag, document}` under `<prefix><key>`. Writes run as one Lua script, so
the eTag check and the write of a whole batch are atomic even with many bot processes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botbuilder.core import Storage
from redis.asyncio import Redis

from bot.storage._items import (
    DEFAULT_CLAIM_TTL_S,
    EtagConflictError,
    decode,
    new_etag,
    prepare_writes,
    require_changes,
    require_claim,
    require_keys,
)

DEFAULT_PREFIX = "snowdesk:state:"

# KEYS: the items; ARGV per key: expected eTag ("" = write anyway), new eTag, document.
# Returns 0, or the 1-based index of the first key whose stored eTag differs.
_WRITE_SCRIPT = """
for i, key in ipairs(KEYS) do
  local expected = ARGV[(i - 1) * 3 + 1]
  if expected ~= '' then
    local current = redis.call('HGET', key, 'etag')
    if current and current ~= expected then
      return i
    end
  end
end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'etag', ARGV[(i - 1) * 3 + 2], 'document', ARGV[(i - 1) * 3 + 3])
end
return 0
"""


class RedisStorage(Storage):
    """botbuilder `Storage` over Redis (`redis://host:port/db`, optional `?prefix=...`)."""

    def __init__(self, url: str, key_prefix: str | None = None) -> None:
        clean_url, url_prefix = _split_prefix(url)
        self._prefix = key_prefix or url_prefix or DEFAULT_PREFIX
        # Claims live beside the state items but can never collide with a state key.
        self._claim_prefix = self._prefix + "claim:"
        self._client: Redis = Redis.from_url(clean_url, decode_responses=True)
        self._write_script: Any = self._client.register_script(_WRITE_SCRIPT)

    @property
    def key_prefix(self) -> str:
        """The prefix in front of every storage key in Redis."""
        return self._prefix

    async def read(self, keys: list[str]) -> dict[str, object]:
        """Items stored under `keys`; missing keys are absent from the result."""
        require_keys(keys)
        keys = list(keys)
        if not keys:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(self._prefix + key, ["etag", "document"])
            rows = await pipe.execute()
        return {
            key: decode(document, etag)
            for key, (etag, document) in zip(keys, rows, strict=True)
            if document is not None
        }

    async def write(self, changes: dict[str, object]) -> None:
        """Store all changes atomically; a stale eTag fails the whole batch."""
        require_changes(changes)
        if not changes:
            return
        writes = prepare_writes(dict(changes))
        args: list[str] = []
        for _key, expected, document in writes:
            args += [expected or "", new_etag(), document]
        conflict = await self._write_script(
            keys=[self._prefix + k for k, _, _ in writes], args=args
        )
        if conflict:
            raise EtagConflictError(writes[int(conflict) - 1][0])

    async def delete(self, keys: list[str]) -> None:
        """Remove the items; unknown keys are ignored."""
        if keys:
            await self._client.delete(*(self._prefix + key for key in keys))

    async def claim(self, key: str, ttl_seconds: float = DEFAULT_CLAIM_TTL_S) -> bool:
        """True for the first caller of `key` within `ttl_seconds`, across every bot process.

        `SET NX` with an expiry is one atomic command; Redis forgets the claim by itself.
        """
        require_claim(key, ttl_seconds)
        milliseconds = max(1, int(ttl_seconds * 1000))
        claimed = await self._client.set(self._claim_prefix + key, "1", nx=True, px=milliseconds)
        return bool(claimed)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _split_prefix(url: str) -> tuple[str, str | None]:
    """Take our own `prefix` query parameter out of the URL before redis-py parses it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for name, value in query if name == "prefix"), None)
    rest = urlencode([(name, value) for name, value in query if name != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix
