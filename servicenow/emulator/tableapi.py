"""`/api/now[/v1|/v2]/table/{table}[/{sys_id}]`: the Table API (reference §1-§5)."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from servicenow.emulator import acl, records
from servicenow.emulator.acl import Actor
from servicenow.emulator.choices import choice_value
from servicenow.emulator.equery import Cond, Context, Parsed, QueryError, Where, parse
from servicenow.emulator.render import DisplayMode, Renderer
from servicenow.emulator.responses import (
    acl_denied,
    api_base,
    flag,
    int_param,
    link_header,
    method_not_allowed,
    not_found,
    sn_error,
    sn_json,
)
from servicenow.emulator.schema import TABLES, FieldType, TableDef
from servicenow.emulator.state import STATE
from servicenow.emulator.webhook import WebhookSender

DEFAULT_LIMIT = 10000
API_PREFIXES = ("/api/now", "/api/now/v1", "/api/now/v2")
ACTOR: web.RequestKey[Actor] = web.RequestKey("actor", Actor)
_SYS_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class View:
    """How the caller wants records shaped."""

    mode: DisplayMode
    exclude_links: bool
    fields: list[str] | None
    api_base: str

    @classmethod
    def of(cls, request: web.Request, marker: str = "/table/") -> View:
        """Read `sysparm_display_value`, `sysparm_exclude_reference_link`, `sysparm_fields`."""
        origin, prefix = api_base(request, marker)
        raw_fields = request.query.get("sysparm_fields", "")
        fields = [name.strip() for name in raw_fields.split(",") if name.strip()] or None
        return cls(
            mode=DisplayMode.parse(request.query.get("sysparm_display_value")),
            exclude_links=flag(request, "sysparm_exclude_reference_link"),
            fields=fields,
            api_base=origin + prefix,
        )

    def renderer(self, conn: sqlite3.Connection, actor: Actor) -> Renderer:
        """A renderer for one request."""
        return Renderer(conn, self.api_base, self.mode, self.exclude_links, actor)


def add_routes(app: web.Application) -> None:
    """Register the Table API under every version prefix."""
    for prefix in API_PREFIXES:
        app.router.add_route("*", f"{prefix}/table/{{table}}", collection)
        app.router.add_route("*", f"{prefix}/table/{{table}}/{{sys_id}}", record)


def actor_of(request: web.Request) -> Actor:
    """The authenticated user (set by the auth middleware)."""
    return request[ACTOR]


async def collection(request: web.Request) -> web.StreamResponse:
    """GET (list) and POST (create) on a table."""
    table = TABLES.get(request.match_info["table"])
    if table is None:
        return sn_error(400, f"Invalid table {request.match_info['table']}")
    if request.method in ("GET", "HEAD"):
        return await list_records(request, table)
    if request.method == "POST":
        return await create_record(request, table)
    return method_not_allowed(request.method)


async def record(request: web.Request) -> web.StreamResponse:
    """GET, PUT, PATCH and DELETE on one record."""
    table = TABLES.get(request.match_info["table"])
    if table is None:
        return sn_error(400, f"Invalid table {request.match_info['table']}")
    sys_id = request.match_info["sys_id"]
    if request.method in ("GET", "HEAD"):
        return await get_record(request, table, sys_id)
    if request.method in ("PUT", "PATCH"):
        return await update_record(request, table, sys_id)
    if request.method == "DELETE":
        return await delete_record(request, table, sys_id)
    return method_not_allowed(request.method)


def query_context(request: web.Request) -> Context:
    """What `javascript:` helpers in this request's query evaluate against."""
    actor = actor_of(request)
    return Context(actor.sys_id, actor.user_name, actor.time_zone, request.app[STATE].clock())


def requested_query(request: web.Request, table: TableDef) -> Parsed:
    """`sysparm_query`, or name=value pairs naming fields when there is none; raises
    `QueryError` for a query the emulator cannot evaluate."""
    encoded = request.query.get("sysparm_query")
    if encoded is not None:
        return parse(encoded, query_context(request))
    groups = tuple(
        (Cond(name, "=", value),) for name, value in request.query.items() if name in table.fields
    )
    return Parsed(Where((groups,) if groups else ()))


def query_refused(refused: QueryError) -> web.Response:
    """400 for a query the emulator would otherwise answer wrongly."""
    return sn_error(400, "Unsupported query", refused.detail)


def can_read(conn: sqlite3.Connection, actor: Actor, table: TableDef, row: dict[str, str]) -> bool:
    """Row ACL; attachments follow the record they belong to."""
    if table.storage == "sys_attachment" and not actor.is_admin:
        parent_table = TABLES.get(row.get("table_name", ""))
        parent = records.get_row(conn, parent_table, row["table_sys_id"]) if parent_table else None
        return parent is not None and acl.can_read_row(actor, parent_table, parent)  # type: ignore[arg-type]
    return acl.can_read_row(actor, table, row)


async def list_records(request: web.Request, table: TableDef) -> web.StreamResponse:
    """A page of records; the limit applies before ACLs, and the count ignores them."""
    actor, view = actor_of(request), View.of(request)
    try:
        parsed = requested_query(request, table)
    except QueryError as refused:
        return query_refused(refused)
    limit = int_param(request, "sysparm_limit", DEFAULT_LIMIT)
    limit = limit if limit > 0 else DEFAULT_LIMIT
    offset = max(0, int_param(request, "sysparm_offset", 0))
    with_count = not flag(request, "sysparm_no_count")

    def work(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], int | None]:
        rows, total = records.select(conn, table, parsed, limit, offset, with_count)
        renderer = view.renderer(conn, actor)
        visible = [row for row in rows if can_read(conn, actor, table, row)]
        return [renderer.render(table, row, view.fields) for row in visible], total

    try:
        result, total = await request.app[STATE].db.call(work)
    except QueryError as refused:
        return query_refused(refused)
    if not result and "/v1/" in request.path:
        return not_found()
    headers = {}
    if total is not None:
        headers["X-Total-Count"] = str(total)
        link = (
            None
            if flag(request, "sysparm_suppress_pagination_header")
            else link_header(request, offset, limit, total)
        )
        if link:
            headers["Link"] = link
    return sn_json({"result": result}, headers=headers)


async def get_record(request: web.Request, table: TableDef, sys_id: str) -> web.StreamResponse:
    """One record, or 404 when it is missing or hidden."""
    actor, view = actor_of(request), View.of(request)

    def work(conn: sqlite3.Connection) -> dict[str, Any] | None:
        row = records.get_row(conn, table, sys_id)
        if row is None or not can_read(conn, actor, table, row):
            return None
        return view.renderer(conn, actor).render(table, row, view.fields)

    rendered = await request.app[STATE].db.call(work)
    return not_found() if rendered is None else sn_json({"result": rendered})


async def read_values(request: web.Request) -> dict[str, str] | web.Response:
    """The JSON body as string values (the first record when several are sent)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return sn_error(400, "Exception while reading request", "The payload is not valid JSON.")
    if isinstance(body, list):
        body = body[0] if body else {}
    if not isinstance(body, dict):
        return sn_error(400, "Exception while reading request", "The payload is not a JSON object.")
    return {str(name): records.row_value(value) for name, value in body.items()}


def from_display(
    conn: sqlite3.Connection, table: TableDef, values: dict[str, str]
) -> dict[str, str]:
    """`sysparm_input_display_value=true`: references by display value, choices by label."""
    converted = dict(values)
    for name, value in values.items():
        field = table.fields.get(name)
        if field is None or not value:
            continue
        if field.type is FieldType.CHOICE:
            converted[name] = choice_value(table.storage, name, value) or value
        elif field.type is FieldType.REFERENCE and not _SYS_ID.fullmatch(value):
            converted[name] = _reference_by_display(conn, field.reference, value)
    return converted


def _reference_by_display(conn: sqlite3.Connection, table_name: str, display: str) -> str:
    target = TABLES.get(table_name)
    if target is None or not target.display:
        return display
    sql = f'SELECT sys_id FROM "{target.storage}" WHERE "{target.display}" = ? LIMIT 1'
    found = conn.execute(sql, (display,)).fetchone()
    return found[0] if found else display


def _written(
    request: web.Request, status: int, rendered: dict[str, Any], location: str = ""
) -> web.Response:
    headers = {"Location": location} if location else {}
    if request.headers.get("X-no-response-body", "").lower() == "true":
        response = web.Response(status=status, headers=headers)
        response.headers.update({"X-Is-Logged-In": "true"})
        return response
    return sn_json({"result": rendered}, status, headers)


async def create_record(request: web.Request, table: TableDef) -> web.StreamResponse:
    """POST: insert with defaults and business rules; 201 with `Location`."""
    actor, view = actor_of(request), View.of(request)
    values = await read_values(request)
    if isinstance(values, web.Response):
        return values
    if not acl.can_create(actor, table):
        return acl_denied("Insert")
    state = request.app[STATE]
    display_input = flag(request, "sysparm_input_display_value")

    def work(conn: sqlite3.Connection) -> tuple[str, dict[str, Any]]:
        given = from_display(conn, table, values) if display_input else values
        row = records.insert(conn, table, given, actor, state.now_text())
        return row["sys_id"], view.renderer(conn, actor).render(table, row, view.fields)

    try:
        sys_id, rendered = await state.db.call(work)
    except records.RecordError as refused:
        return sn_error(refused.status, refused.message, refused.detail)
    location = f"{view.api_base}/table/{table.name}/{sys_id}"
    return _written(request, 201, rendered, location)


async def update_record(request: web.Request, table: TableDef, sys_id: str) -> web.StreamResponse:
    """PUT/PATCH: partial update; 404 if hidden, 403 if the ACL or a data policy refuses."""
    actor, view = actor_of(request), View.of(request)
    values = await read_values(request)
    if isinstance(values, web.Response):
        return values
    state = request.app[STATE]
    display_input = flag(request, "sysparm_input_display_value")

    changes: list[tuple[dict[str, str], dict[str, str], dict[str, str]]] = []

    def work(conn: sqlite3.Connection) -> web.Response | dict[str, Any]:
        row = records.get_row(conn, table, sys_id)
        if row is None or not can_read(conn, actor, table, row):
            return not_found()
        if not acl.can_update_row(actor, table, row):
            return acl_denied("Update")
        given = from_display(conn, table, values) if display_input else values
        new = records.update(conn, table, row, given, actor, state.now_text())
        changes.append((row, new, given))
        return view.renderer(conn, actor).render(table, new, view.fields)

    try:
        outcome = await state.db.call(work)
    except records.RecordError as refused:
        return sn_error(refused.status, refused.message, refused.detail)
    for old, new, given in changes:  # on the event loop, after the commit
        _announce(state.webhook, table, old, new, given, actor)
    return outcome if isinstance(outcome, web.Response) else _written(request, 200, outcome)


def _announce(
    webhook: WebhookSender,
    table: TableDef,
    old: dict[str, str],
    new: dict[str, str],
    given: dict[str, str],
    actor: Actor,
) -> None:
    """Tell the webhook target (if any) which fields an update changed, journals included."""
    changed = [k for k, v in new.items() if old.get(k) != v and not k.startswith("sys_")]
    changed += [name for name in ("comments", "work_notes") if given.get(name)]
    if changed:
        webhook.record_changed(table.storage, new, changed, actor.user_name)


async def delete_record(request: web.Request, table: TableDef, sys_id: str) -> web.StreamResponse:
    """DELETE: 204 with no body."""
    actor = actor_of(request)

    def work(conn: sqlite3.Connection) -> web.Response | None:
        row = records.get_row(conn, table, sys_id)
        if row is None or not can_read(conn, actor, table, row):
            return not_found()
        if not acl.can_delete(actor, table):
            return acl_denied("Delete")
        records.delete(conn, table, sys_id)
        return None

    outcome = await request.app[STATE].db.call(work)
    if outcome is not None:
        return outcome
    response = web.Response(status=204)
    response.headers["X-Is-Logged-In"] = "true"
    return response
