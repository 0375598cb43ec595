"""Shape records as the Table API does for each `sysparm_display_value` mode (reference §3, §9)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicenow.emulator.acl import Actor, can_read_work_notes
from servicenow.emulator.choices import choice_label
from servicenow.emulator.records import (
    JOURNAL_TYPES,
    Row,
    format_time,
    get_row,
    journal_entries,
)
from servicenow.emulator.schema import TABLES, FieldDef, FieldType, TableDef, class_label

PASSWORD_MASK = "********"
JOURNAL_LABELS = {"comments": "Additional comments", "work_notes": "Work notes"}


class DisplayMode(StrEnum):
    """`sysparm_display_value`."""

    FALSE = "false"
    TRUE = "true"
    ALL = "all"

    @classmethod
    def parse(cls, raw: str | None) -> DisplayMode:
        """Unknown spellings mean the default, as ServiceNow ignores what it does not know."""
        try:
            return cls((raw or "false").lower())
        except ValueError:
            return cls.FALSE


@dataclass
class Renderer:
    """Renders rows of one request; caches referenced records and user names."""

    conn: sqlite3.Connection
    api_base: str
    mode: DisplayMode
    exclude_links: bool
    viewer: Actor
    _rows: dict[tuple[str, str], Row | None] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)
    _journals: dict[str, list[Row]] = field(default_factory=dict)

    def render(self, table: TableDef, row: Row, fields: list[str] | None) -> dict[str, Any]:
        """One record; `fields` narrows and may dot-walk (`caller_id.email`)."""
        plain, walked = _layout(table.name, tuple(fields) if fields is not None else None)
        result: dict[str, Any] = {}
        for field_def in plain:
            result[field_def.name] = self._value(table, row, field_def)
        for path in walked:
            located = self._walk(table, row, path)
            if located is not None:
                owner_table, owner, field_def = located
                result[path] = self._value(owner_table, owner, field_def)
        return result

    def _walk(
        self, table: TableDef, row: Row | None, path: str
    ) -> tuple[TableDef, Row | None, FieldDef] | None:
        names = path.split(".")
        field_def = table.fields.get(names[0])
        for name in names[1:]:
            if field_def is None or field_def.type is not FieldType.REFERENCE:
                return None
            target = TABLES.get(field_def.reference)
            if target is None:
                return None
            row = self._load(target, row.get(field_def.name, "")) if row else None
            table, field_def = target, target.fields.get(name)
        if field_def is None:
            return None
        return table, row, field_def

    def _load(self, table: TableDef, sys_id: str) -> Row | None:
        key = (table.storage, sys_id)
        if key not in self._rows:
            self._rows[key] = get_row(self.conn, TABLES[table.storage], sys_id) if sys_id else None
        return self._rows[key]

    def _value(self, table: TableDef, row: Row | None, field_def: FieldDef) -> Any:
        raw = row.get(field_def.name, "") if row else ""
        if field_def.type is FieldType.REFERENCE:
            return self._reference(field_def, raw)
        if field_def.type is FieldType.PASSWORD:
            # Stored as a salted hash elsewhere; the column only says whether one is set.
            raw = PASSWORD_MASK if raw else ""
        journal = field_def.type in JOURNAL_TYPES
        if self.mode is DisplayMode.FALSE:
            # Value mode never shows journals and needs no display work (most requests).
            return "" if journal else raw
        if journal:
            raw = ""
            display = self._journal(table, row, field_def.name) if row else ""
        else:
            display = self._display(table, field_def, raw)
        if self.mode is DisplayMode.TRUE:
            return display
        return {"display_value": display, "value": raw}

    def _reference(self, field_def: FieldDef, sys_id: str) -> Any:
        if not sys_id:
            return ""
        link = f"{self.api_base}/table/{field_def.reference}/{sys_id}"
        if self.mode is DisplayMode.FALSE:
            return sys_id if self.exclude_links else {"link": link, "value": sys_id}
        target = TABLES.get(field_def.reference)
        target_row = self._load(target, sys_id) if target else None
        display = target_row.get(target.display, "") if target and target_row else ""
        if target_row is None or target is not None and target.display == "sys_id":
            display = sys_id if target_row or len(sys_id) != 32 else ""
        if self.mode is DisplayMode.TRUE:
            return display if self.exclude_links else {"display_value": display, "link": link}
        shaped: dict[str, str] = {"display_value": display}
        if not self.exclude_links:
            shaped["link"] = link
        shaped["value"] = sys_id
        return shaped

    def _display(self, table: TableDef, field_def: FieldDef, raw: str) -> str:
        if not raw:
            return raw
        if field_def.type is FieldType.CHOICE:
            return choice_label(table.storage, field_def.name, raw)
        if field_def.type is FieldType.TABLE_NAME:
            return class_label(raw)
        if field_def.type is FieldType.DATETIME:
            return to_zone(raw, self.viewer.time_zone)
        return raw

    def _journal(self, table: TableDef, row: Row, element: str) -> str:
        wanted: tuple[str, ...] = (
            ("comments", "work_notes") if element == "comments_and_work_notes" else (element,)
        )
        if not can_read_work_notes(self.viewer, table):
            wanted = tuple(name for name in wanted if name != "work_notes")
        if row["sys_id"] not in self._journals:
            self._journals[row["sys_id"]] = journal_entries(self.conn, row["sys_id"])
        entries = [e for e in self._journals[row["sys_id"]] if e["element"] in wanted]
        return "".join(self._journal_entry(entry) for entry in entries)

    def _journal_entry(self, entry: Row) -> str:
        when = to_zone(entry["sys_created_on"], self.viewer.time_zone)
        author = self._user_name(entry["sys_created_by"])
        label = JOURNAL_LABELS.get(entry["element"], entry["element"])
        return f"{when} - {author} ({label})\n{entry['value']}\n\n"

    def _user_name(self, user_name: str) -> str:
        if user_name not in self._names:
            found = self.conn.execute("SELECT name FROM sys_user WHERE user_name = ?", (user_name,))
            hit = found.fetchone()
            self._names[user_name] = hit[0] if hit and hit[0] else user_name
        return self._names[user_name]


@lru_cache(maxsize=512)
def _layout(
    table_name: str, fields: tuple[str, ...] | None
) -> tuple[tuple[FieldDef, ...], tuple[str, ...]]:
    """What `render` shows, worked out once per table and `sysparm_fields`: the plain fields in
    the server's order, then the dot-walks as asked."""
    table = TABLES[table_name]
    wanted = set(fields) if fields is not None else set(table.fields)
    plain = tuple(field_def for name, field_def in table.fields.items() if name in wanted)
    walked = tuple(dict.fromkeys(name for name in fields or () if "." in name))
    return plain, walked


@lru_cache(maxsize=4096)
def to_zone(utc_text: str, zone: str) -> str:
    """A UTC datetime string shown in a user's time zone (unknown zones stay UTC)."""
    try:
        moment = datetime.strptime(utc_text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return utc_text
    try:
        return format_time(moment.astimezone(ZoneInfo(zone or "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        return utc_text
