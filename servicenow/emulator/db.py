"""SQLite storage on one worker thread: every emulated table is a table of TEXT columns.

ServiceNow answers every value as a string, so the emulator stores strings too; columns use
NOCASE collation because ServiceNow's database compares and sorts text case-insensitively.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from servicenow.emulator.schema import STORAGE_TABLES, TableDef

T = TypeVar("T")

INDEXES = {
    "incident": (("caller_id", "state"), ("number",), ("opened_by",), ("correlation_id",)),
    "sn_hr_core_case": (("opened_for", "state"), ("number",), ("subject_person",)),
    "sys_user": (("user_name",), ("email",)),
    "sys_journal_field": (("element_id", "element"),),
    "sys_choice": (("name", "element"),),
    "sys_attachment": (("table_sys_id",),),
}

_PRIVATE_TABLES = (
    "CREATE TABLE emu_credential (user_id TEXT PRIMARY KEY, salt TEXT, hash TEXT)",
    "CREATE TABLE emu_counter (name TEXT PRIMARY KEY, next INTEGER)",
    "CREATE TABLE emu_blob (sys_id TEXT PRIMARY KEY, data BLOB)",
)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table and index unless they exist (a file database is reused)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'emu_counter'").fetchone()
    if exists:
        _add_new_columns(conn)
        return
    for table in STORAGE_TABLES:
        conn.execute(_create_table_sql(table))
        for number, columns in enumerate(INDEXES.get(table.name, ())):
            cols = ", ".join(f'"{column}"' for column in columns)
            conn.execute(f'CREATE INDEX "ix_{table.name}_{number}" ON "{table.name}" ({cols})')
    for statement in _PRIVATE_TABLES:
        conn.execute(statement)
    conn.commit()


def _add_new_columns(conn: sqlite3.Connection) -> None:
    """A kept database gains the columns declared since it was made (inserts name every
    declared column, so a missing one would fail every insert into that table)."""
    for table in STORAGE_TABLES:
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")')}
        for name in table.fields:
            if have and name not in have:
                conn.execute(
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" TEXT NOT NULL DEFAULT \'\' '
                    "COLLATE NOCASE"
                )
    conn.commit()


def _create_table_sql(table: TableDef) -> str:
    columns = [
        f"\"{name}\" TEXT NOT NULL DEFAULT '' COLLATE NOCASE"
        for name in table.fields
        if name != "sys_id"
    ]
    return f'CREATE TABLE "{table.name}" (sys_id TEXT PRIMARY KEY, {", ".join(columns)})'


class Database:
    """One SQLite connection owned by one worker thread; `call` runs work there."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-db")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the connection on the worker thread and create the schema."""
        await self._submit(self._open)

    def _open(self) -> None:
        conn = sqlite3.connect(self._path)
        conn.row_factory = sqlite3.Row
        if self._path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        create_schema(conn)
        self._conn = conn

    async def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the database thread, committing if it succeeds."""
        return await self._submit(lambda: self._in_transaction(work))

    def _in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        assert self._conn is not None, "database not open"
        try:
            result = work(self._conn)
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()
        return result

    async def _submit(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""
        if self._conn is not None:
            await self._submit(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)
