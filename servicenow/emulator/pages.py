"""Read-only HTML record pages at ServiceNow's paths, so "Open in ServiceNow" links work.

They need no sign-in: the emulator is a local demo instance bound to loopback by default.
Every value is HTML-escaped.
"""

from __future__ import annotations

import sqlite3
from html import escape

from aiohttp import web

from servicenow.emulator import records
from servicenow.emulator.acl import Actor
from servicenow.emulator.equery import Context, QueryError, parse
from servicenow.emulator.render import DisplayMode, Renderer
from servicenow.emulator.schema import TABLES, FieldType, TableDef
from servicenow.emulator.state import STATE

VIEWER = Actor(sys_id="", user_name="guest", name="Guest", roles=frozenset({"admin"}))
LIST_COLUMNS = {
    "incident": ("number", "short_description", "caller_id", "state", "priority", "sys_updated_on"),
    "sn_hr_core_case": ("number", "short_description", "opened_for", "hr_service", "state"),
}
PORTAL_FIELDS = (
    "number",
    "short_description",
    "hr_service",
    "opened_for",
    "state",
    "sys_updated_on",
)
_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    "pre{white-space:pre-wrap;margin:0}"
)


def add_routes(app: web.Application) -> None:
    """`/{table}.do`, `/{table}_list.do` and the HR portal's ticket page."""
    app.router.add_get("/esc", portal_ticket)
    app.router.add_get(r"/{table:[a-z0-9_]+}_list.do", list_page)
    app.router.add_get(r"/{table:[a-z0-9_]+}.do", record_page)


def _page(title: str, body: str) -> web.Response:
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


def _table_html(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><th>{escape(k)}</th><td><pre>{escape(v)}</pre></td></tr>" for k, v in pairs
    )
    return f"<table>{rows}</table>"


def _record_pairs(
    conn: sqlite3.Connection, table: TableDef, sys_id: str, fields: tuple[str, ...] | None
) -> tuple[str, list[tuple[str, str]]] | None:
    row = records.get_row(conn, table, sys_id)
    if row is None:
        return None
    rendered = Renderer(conn, "/api/now", DisplayMode.TRUE, True, VIEWER).render(
        table, row, list(fields) if fields else None
    )
    pairs = [
        (table.fields[name].column_label, str(value))
        for name, value in rendered.items()
        if value and table.fields[name].type is not FieldType.JOURNAL_LIST
    ]
    return row.get(table.display, sys_id), pairs


async def record_page(request: web.Request) -> web.StreamResponse:
    """`/incident.do?sys_id=…`: every non-empty field, journals included."""
    table = TABLES.get(request.match_info["table"])
    if table is None:
        raise web.HTTPNotFound()
    sys_id = request.query.get("sys_id", "")
    found = await request.app[STATE].db.call(lambda conn: _record_pairs(conn, table, sys_id, None))
    if found is None:
        return _page("Record not found", "<p>No record with this sys_id.</p>")
    title, pairs = found
    return _page(f"{table.label} {title}", _table_html(pairs))


async def portal_ticket(request: web.Request) -> web.StreamResponse:
    """`/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id=…`: the employee's view."""
    table = TABLES.get(request.query.get("table", "sn_hr_core_case"))
    if request.query.get("id") != "hrm_ticket_page" or table is None:
        return _page("Employee Center", "<p>Nothing to show here.</p>")
    sys_id = request.query.get("sys_id", "")
    fields = (*PORTAL_FIELDS, "comments")
    found = await request.app[STATE].db.call(
        lambda conn: _record_pairs(conn, table, sys_id, fields)
    )
    if found is None:
        return _page("Request not found", "<p>No request with this id.</p>")
    title, pairs = found
    return _page(f"My request {title}", _table_html(pairs))


async def list_page(request: web.Request) -> web.StreamResponse:
    """`/incident_list.do[?sysparm_query=…]`: up to 200 records."""
    table = TABLES.get(request.match_info["table"])
    if table is None:
        raise web.HTTPNotFound()
    columns = LIST_COLUMNS.get(table.storage, (table.display or "sys_id", "sys_updated_on"))
    context = Context(VIEWER.sys_id, VIEWER.user_name, VIEWER.time_zone, request.app[STATE].clock())
    try:
        parsed = parse(request.query.get("sysparm_query", ""), context)
    except QueryError as refused:
        return _page("Unsupported query", f"<p>{escape(refused.detail)}</p>")

    def work(conn: sqlite3.Connection) -> list[dict[str, object]]:
        rows, _ = records.select(conn, table, parsed, 200, 0, with_count=False)
        renderer = Renderer(conn, "/api/now", DisplayMode.TRUE, True, VIEWER)
        return [
            {"sys_id": row["sys_id"], **renderer.render(table, row, list(columns))} for row in rows
        ]

    rendered = await request.app[STATE].db.call(work)
    head = "".join(f"<th>{escape(table.fields[name].column_label)}</th>" for name in columns)
    body = "".join(_list_row(table, row, columns) for row in rendered)
    return _page(f"{table.label} list", f"<table><tr>{head}</tr>{body}</table>")


def _list_row(table: TableDef, row: dict[str, object], columns: tuple[str, ...]) -> str:
    link = f"/{table.name}.do?sys_id={escape(str(row['sys_id']))}"
    cells = [f"<td>{escape(str(row.get(name, '')))}</td>" for name in columns]
    cells[0] = f"<td><a href='{link}'>{escape(str(row.get(columns[0], '')))}</a></td>"
    return f"<tr>{''.join(cells)}</tr>"
