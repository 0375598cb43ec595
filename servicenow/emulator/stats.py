"""`GET /api/now/stats/{table}`: the Aggregate API (count, group by, sum/avg/min/max).

As the Aggregate API documents, the caller needs read access to every record it aggregates:
one hidden record in the result makes the whole request a 403, so counts never leak what the
ACLs hide. Values come back as strings, like everything ServiceNow sends.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from aiohttp import web

from servicenow.emulator import records
from servicenow.emulator.equery import QueryError
from servicenow.emulator.render import DisplayMode
from servicenow.emulator.responses import flag, sn_error, sn_json
from servicenow.emulator.schema import TABLES, FieldDef, FieldType, TableDef
from servicenow.emulator.state import STATE
from servicenow.emulator.tableapi import (
    View,
    actor_of,
    can_read,
    query_refused,
    requested_query,
)

AGGREGATES = ("avg", "min", "max", "sum")
Row = dict[str, str]
Labels = dict[tuple[str, str], str]


def add_routes(app: web.Application) -> None:
    """Register the Aggregate API (unversioned and v1)."""
    for prefix in ("/api/now", "/api/now/v1"):
        app.router.add_get(f"{prefix}/stats/{{table}}", aggregate)


def _field_list(request: web.Request, name: str) -> list[str]:
    return [part.strip() for part in request.query.get(name, "").split(",") if part.strip()]


async def aggregate(request: web.Request) -> web.StreamResponse:
    """Aggregate the records matching `sysparm_query` (or name=value pairs)."""
    table = TABLES.get(request.match_info["table"])
    if table is None:
        return sn_error(400, f"Invalid table {request.match_info['table']}")
    if "sysparm_having" in request.query:
        return sn_error(400, "Unsupported query", "sysparm_having is not supported by the emulator")
    wanted = {name: _field_list(request, f"sysparm_{name}_fields") for name in AGGREGATES}
    for name in ("avg", "sum"):
        for field in wanted[name]:
            definition = table.fields.get(field)
            if definition is not None and not _numeric(definition):
                return sn_error(400, f"Cannot {name} non-numeric field {field}")
    group_by = [name for name in _field_list(request, "sysparm_group_by") if name in table.fields]
    try:
        parsed = requested_query(request, table)
    except QueryError as refused:
        return query_refused(refused)
    actor, view = actor_of(request), View.of(request, marker="/stats/")

    def work(conn: sqlite3.Connection) -> tuple[list[Row], Labels] | None:
        rows, _ = records.select(conn, table, parsed, 2**31 - 1, 0, with_count=False)
        if not all(can_read(conn, actor, table, row) for row in rows):
            return None
        labels: Labels = {}
        if view.mode is not DisplayMode.FALSE:
            renderer = view.renderer(conn, actor)
            for row in rows:
                for name in group_by:
                    if (name, row[name]) not in labels:
                        shown = renderer.render(table, row, [name])[name]
                        labels[(name, row[name])] = _display(shown)
        return rows, labels

    try:
        outcome = await request.app[STATE].db.call(work)
    except QueryError as refused:
        return query_refused(refused)
    if outcome is None:
        return sn_error(403, "Operation Failed", "ACL restricts the records to aggregate")
    rows, labels = outcome
    count = flag(request, "sysparm_count")
    if not group_by:
        return sn_json({"result": {"stats": _stats(table, rows, count, wanted)}})
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row[name] for name in group_by), []).append(row)
    result = [
        {
            "stats": _stats(table, members, count, wanted),
            "groupby_fields": [
                _group_field(name, value, labels, view.mode)
                for name, value in zip(group_by, key, strict=True)
            ],
        }
        for key, members in sorted(groups.items())
    ]
    return sn_json({"result": result})


def _display(rendered: Any) -> str:
    if isinstance(rendered, dict):
        return str(rendered.get("display_value", ""))
    return str(rendered)


def _group_field(name: str, value: str, labels: Labels, mode: DisplayMode) -> dict[str, str]:
    if mode is DisplayMode.FALSE:
        return {"field": name, "value": value}
    shown = labels[(name, value)]
    if mode is DisplayMode.TRUE:
        return {"field": name, "value": shown}
    return {"field": name, "value": value, "display_value": shown}


def _numeric(field: FieldDef) -> bool:
    return field.type is FieldType.INTEGER or field.numeric


def _stats(
    table: TableDef, rows: list[Row], count: bool, wanted: dict[str, list[str]]
) -> dict[str, Any]:
    stats: dict[str, Any] = {"count": str(len(rows))} if count else {}
    for name, fields in wanted.items():
        known = [field for field in fields if field in table.fields]
        if known:
            stats[name] = {field: _compute(name, table.fields[field], rows) for field in known}
    return stats


def _compute(name: str, field: FieldDef, rows: list[Row]) -> str:
    values = [row[field.name] for row in rows if row[field.name] != ""]
    if not values:
        return ""
    if not _numeric(field):
        ordered = sorted(values, key=str.lower)  # text compares case-insensitively
        return ordered[0] if name == "min" else ordered[-1]
    numbers = [float(value) for value in values if _is_number(value)]
    if not numbers:
        return ""
    if name == "avg":
        return f"{sum(numbers) / len(numbers):.4f}"
    picked = float({"sum": sum(numbers), "min": min(numbers), "max": max(numbers)}[name])
    return str(int(picked)) if picked.is_integer() else str(picked)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
