"""State in one SQLite file (the embedded default), with eTag optimistic concurrency.

All SQLite work runs on one worker thread that owns the connection, so the event loop never
blocks on disk and `sqlite:///:memory:` (one connection) works too. WAL mode lets readers in
other processes (a second bot, `sqlite3` in a shell) work while the bot writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from botbuilder.core import Storage

from bot.storage._items import (
    DEFAULT_CLAIM_TTL_S,
    check_etag,
    decode,
    new_etag,
    prepare_writes,
    require_changes,
    require_claim,
    require_keys,
)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_state (
    key TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
_CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_claims (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
)
"""
# One statement, so it is atomic across processes sharing the file: a new key is inserted, an
# expired one is taken over, a live one is left alone (and `changes()` is 0).
_CLAIM = """
INSERT INTO bot_claims (key, expires_at) VALUES (?, ?)
ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at
WHERE bot_claims.expires_at <= ?
"""
_SWEEP_CLAIMS = "DELETE FROM bot_claims WHERE expires_at <= ?"
_UPSERT = """
INSERT INTO bot_state (key, etag, document, updated_at) VALUES (?, ?, ?, datetime('now'))
ON CONFLICT(key) DO UPDATE SET
    etag = excluded.etag, document = excluded.document, updated_at = excluded.updated_at
"""
# SQLite's default limit on `?` parameters is 999 in older builds.
_CHUNK = 500
# Expired claims are deleted every this many claims, so the table stays small.
_SWEEP_EVERY = 1000


class SqliteStorage(Storage):
    """botbuilder `Storage` over a SQLite file (or `:memory:`)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self._path = str(path)
        # Wall-clock time for claims: other processes share the file, a monotonic clock won't do.
        self._clock = clock
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="snowdesk-sqlite"
        )
        self._connection: sqlite3.Connection | None = None
        self._claims_made = 0

    @property
    def path(self) -> str:
        """The database file, or `:memory:`."""
        return self._path

    async def read(self, keys: list[str]) -> dict[str, object]:
        """Items stored under `keys`; missing keys are absent from the result."""
        require_keys(keys)
        rows = await self._run(self._select, list(keys))
        return {key: decode(document, etag) for key, etag, document in rows}

    async def write(self, changes: dict[str, object]) -> None:
        """Store all changes in one transaction; a stale eTag fails the whole batch."""
        require_changes(changes)
        if changes:
            await self._run(self._upsert, prepare_writes(dict(changes)))

    async def delete(self, keys: list[str]) -> None:
        """Remove the items; unknown keys are ignored."""
        if keys:
            await self._run(self._delete, list(keys))

    async def claim(self, key: str, ttl_seconds: float = DEFAULT_CLAIM_TTL_S) -> bool:
        """True for the first caller of `key` within `ttl_seconds`, across every process."""
        require_claim(key, ttl_seconds)
        return await self._run(self._claim, key, ttl_seconds)

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""
        if self._executor is None:
            return
        await self._run(self._close_connection)
        self._executor.shutdown(wait=True)
        self._executor = None

    async def _run(self, func: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            raise RuntimeError("the SQLite state storage is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, func, *args)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) where they matter.
            connection = sqlite3.connect(self._path, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 5000")
            if self._path != ":memory:":
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(_SCHEMA)
            connection.execute(_CLAIMS_SCHEMA)
            self._connection = connection
        return self._connection

    def _select(self, keys: list[str]) -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key, etag, document FROM bot_state WHERE key IN ({marks})"
            rows += self._db().execute(sql, chunk).fetchall()
        return rows

    def _upsert(self, writes: list[tuple[str, str | None, str]]) -> None:
        db = self._db()
        # IMMEDIATE takes the write lock first, so check-then-write is atomic across processes.
        db.execute("BEGIN IMMEDIATE")
        try:
            for key, expected, document in writes:
                row = db.execute("SELECT etag FROM bot_state WHERE key = ?", (key,)).fetchone()
                check_etag(key, expected, row[0] if row else None)
                db.execute(_UPSERT, (key, new_etag(), document))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _claim(self, key: str, ttl_seconds: float) -> bool:
        now = self._clock()
        db = self._db()
        claimed = db.execute(_CLAIM, (key, now + ttl_seconds, now)).rowcount == 1
        self._claims_made += 1
        if self._claims_made % _SWEEP_EVERY == 0:
            db.execute(_SWEEP_CLAIMS, (now,))
        return claimed

    def _delete(self, keys: list[str]) -> None:
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            self._db().execute(f"DELETE FROM bot_state WHERE key IN ({marks})", chunk)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    items = list(keys)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
