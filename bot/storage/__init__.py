"""Where conversation and user state live, chosen by `STORAGE_URL`.

- `memory://` — botbuilder's `MemoryStorage` (tests; lost on restart)
- `sqlite:///data/snowdesk.db` (default; relative to the working directory),
  `sqlite:////absolute/path.db`, `sqlite:///:memory:`
- `redis://host:port/db` (optionally `?prefix=snowdesk:state:`), `rediss://` for TLS

SQLite and Redis implement botbuilder's `Storage` contract with eTag optimistic concurrency:
an item written with eTag `*` (or none) always wins, every write gives the item a new eTag,
and a write carrying a stale eTag raises `EtagConflictError` (a `KeyError`, as `MemoryStorage`).

Every back end also offers `claim(key, ttl_seconds) -> bool`: an atomic "first one wins" that
holds for `ttl_seconds` (24 h by default) — across processes for SQLite and Redis. The edge
claims each incoming activity with it; an idempotent create can claim its key the same way.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from botbuilder.core import Storage

from bot.storage._items import DEFAULT_CLAIM_TTL_S, EtagConflictError
from bot.storage.memory import ClaimingMemoryStorage

__all__ = [
    "DEFAULT_CLAIM_TTL_S",
    "ClaimStore",
    "ClaimingMemoryStorage",
    "EtagConflictError",
    "claims_for",
    "close_storage",
    "create_storage",
    "describe_storage",
]


@runtime_checkable
class ClaimStore(Protocol):
    """An atomic "first one wins": `claim` is True for exactly one caller of a key per TTL."""

    async def claim(self, key: str, ttl_seconds: float = DEFAULT_CLAIM_TTL_S) -> bool:
        """True when this caller is the first to claim `key` within `ttl_seconds`."""
        ...


def claims_for(storage: Storage) -> ClaimStore:
    """The storage itself when it can claim; otherwise process-local claims (a plain
    `MemoryStorage` handed in by a test, which is process-local anyway)."""
    return storage if isinstance(storage, ClaimStore) else ClaimingMemoryStorage()


def create_storage(url: str) -> Storage:
    """The `Storage` a `STORAGE_URL` names; raises ValueError with a plain sentence otherwise."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "memory":
        return ClaimingMemoryStorage()
    if scheme == "sqlite":
        from bot.storage.sqlite import SqliteStorage

        return SqliteStorage(_sqlite_path(url))
    if scheme in ("redis", "rediss", "unix"):
        from bot.storage.redis import RedisStorage

        return RedisStorage(url)
    raise ValueError(
        f"STORAGE_URL '{describe_storage(url)}' is not supported: "
        "use memory://, sqlite:///path/to/file.db or redis://host:port/db"
    )


async def close_storage(storage: Storage) -> None:
    """Release the connections a storage holds (SQLite, Redis); MemoryStorage holds none."""
    close = getattr(storage, "close", None)
    if close is not None:
        await close()


def describe_storage(url: str) -> str:
    """The URL without any password, fit for logs and `/healthz`."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    credentials, _, host = rest.partition("@")
    user, has_password, _ = credentials.partition(":")
    hidden = f"{user}:***" if user and has_password else "***"
    return f"{scheme}://{hidden}@{host}"


def _sqlite_path(url: str) -> str:
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix) or len(url) == len(prefix):
        raise ValueError(
            f"STORAGE_URL '{url}' is not a SQLite URL: use sqlite:///relative/path.db, "
            "sqlite:////absolute/path.db or sqlite:///:memory:"
        )
    return url[len(prefix) :]
