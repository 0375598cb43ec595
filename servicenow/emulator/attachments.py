"""`/api/now/attachment`: upload (raw body or multipart), list metadata, download the file."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from aiohttp import BodyPartReader, web

from servicenow.emulator import acl, records
from servicenow.emulator.equery import QueryError, parse
from servicenow.emulator.render import DisplayMode, Renderer
from servicenow.emulator.responses import (
    acl_denied,
    flag,
    int_param,
    link_header,
    not_found,
    sn_error,
    sn_json,
)
from servicenow.emulator.schema import TABLES
from servicenow.emulator.state import STATE
from servicenow.emulator.tableapi import (
    DEFAULT_LIMIT,
    actor_of,
    can_read,
    query_context,
    query_refused,
)

ATTACHMENT = TABLES["sys_attachment"]
MISSING_FILE_PART = "Failed to create the attachment. File part might be missing in the request."


def add_routes(app: web.Application) -> None:
    """Register the attachment API (the literal `file` route before `{sys_id}`)."""
    for prefix in ("/api/now", "/api/now/v1"):
        app.router.add_post(f"{prefix}/attachment/file", upload)
        app.router.add_post(f"{prefix}/attachment/upload", upload_multipart)
        app.router.add_get(f"{prefix}/attachment", list_attachments)
        app.router.add_get(f"{prefix}/attachment/{{sys_id}}/file", download)
        app.router.add_get(f"{prefix}/attachment/{{sys_id}}", metadata)
        app.router.add_delete(f"{prefix}/attachment/{{sys_id}}", remove)


def _shape(request: web.Request, renderer: Renderer, row: dict[str, str]) -> dict[str, Any]:
    shaped = renderer.render(ATTACHMENT, row, None)
    origin = f"{request.scheme}://{request.host}"
    shaped["download_link"] = f"{origin}/api/now/attachment/{row['sys_id']}/file"
    return shaped


def _renderer(conn: sqlite3.Connection, request: web.Request) -> Renderer:
    origin = f"{request.scheme}://{request.host}/api/now"
    return Renderer(conn, origin, DisplayMode.FALSE, True, actor_of(request))


async def upload(request: web.Request) -> web.StreamResponse:
    """POST `?table_name=&table_sys_id=&file_name=` with the file as the raw body."""
    table_name = request.query.get("table_name", "")
    parent_id = request.query.get("table_sys_id", "")
    file_name = request.query.get("file_name", "")
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    return await _store(
        request, table_name, parent_id, file_name, content_type, await request.read()
    )


async def upload_multipart(request: web.Request) -> web.StreamResponse:
    """POST multipart/form-data: `table_name` and `table_sys_id` fields, then the file part
    (the documented order: fields after the file are not seen)."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return sn_error(400, MISSING_FILE_PART)
    fields: dict[str, str] = dict(request.query)
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename is None:
            fields[part.name or ""] = await part.text()
            continue
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        data = bytes(await part.read())
        return await _store(
            request,
            fields.get("table_name", ""),
            fields.get("table_sys_id", ""),
            part.filename,
            content_type,
            data,
        )
    return sn_error(400, MISSING_FILE_PART)


async def _store(
    request: web.Request,
    table_name: str,
    parent_id: str,
    file_name: str,
    content_type: str,
    data: bytes,
) -> web.StreamResponse:
    if not (table_name and parent_id and file_name):
        return sn_error(400, "Missing parameter: table_name, table_sys_id and file_name")
    parent_table = TABLES.get(table_name)
    if parent_table is None:
        return sn_error(400, f"Invalid table {table_name}")
    actor, state = actor_of(request), request.app[STATE]

    def work(conn: sqlite3.Connection) -> web.Response | dict[str, Any]:
        parent = records.get_row(conn, parent_table, parent_id)
        if parent is None or not acl.can_read_row(actor, parent_table, parent):
            return not_found()
        if not acl.can_update_row(actor, parent_table, parent):
            return acl_denied("Insert")
        values = {
            "file_name": file_name,
            "content_type": content_type,
            "size_bytes": str(len(data)),
            "table_name": table_name,
            "table_sys_id": parent_id,
            "hash": hashlib.sha256(data).hexdigest(),
        }
        row = records.insert(conn, ATTACHMENT, values, actor, state.now_text())
        conn.execute("INSERT INTO emu_blob (sys_id, data) VALUES (?, ?)", (row["sys_id"], data))
        return _shape(request, _renderer(conn, request), row)

    outcome = await state.db.call(work)
    if isinstance(outcome, web.Response):
        return outcome
    # Where a real instance points: the versioned download URL of the new file.
    origin = f"{request.scheme}://{request.host}"
    location = f"{origin}/api/now/v1/attachment/{outcome['sys_id']}/file"
    return sn_json({"result": outcome}, 201, {"Location": location})


async def list_attachments(request: web.Request) -> web.StreamResponse:
    """GET with `sysparm_query` (e.g. `table_sys_id=<id>`), paged like the Table API."""
    actor = actor_of(request)
    try:
        parsed = parse(request.query.get("sysparm_query", ""), query_context(request))
    except QueryError as refused:
        return query_refused(refused)
    limit = int_param(request, "sysparm_limit", DEFAULT_LIMIT)
    limit = limit if limit > 0 else DEFAULT_LIMIT
    offset = max(0, int_param(request, "sysparm_offset", 0))

    def work(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], int]:
        rows, total = records.select(conn, ATTACHMENT, parsed, limit, offset)
        renderer = _renderer(conn, request)
        shaped = [
            _shape(request, renderer, row) for row in rows if can_read(conn, actor, ATTACHMENT, row)
        ]
        return shaped, total or 0

    try:
        result, total = await request.app[STATE].db.call(work)
    except QueryError as refused:
        return query_refused(refused)
    headers = {"X-Total-Count": str(total)}
    link = link_header(request, offset, limit, total)
    if link and not flag(request, "sysparm_suppress_pagination_header"):
        headers["Link"] = link
    return sn_json({"result": result}, headers=headers)


async def _visible(request: web.Request) -> dict[str, str] | None:
    actor, sys_id = actor_of(request), request.match_info["sys_id"]

    def work(conn: sqlite3.Connection) -> dict[str, str] | None:
        row = records.get_row(conn, ATTACHMENT, sys_id)
        return row if row is not None and can_read(conn, actor, ATTACHMENT, row) else None

    return await request.app[STATE].db.call(work)


async def metadata(request: web.Request) -> web.StreamResponse:
    """GET one attachment's metadata."""
    row = await _visible(request)
    if row is None:
        return not_found()
    shaped = await request.app[STATE].db.call(
        lambda conn: _shape(request, _renderer(conn, request), row)
    )
    return sn_json({"result": shaped})


async def download(request: web.Request) -> web.StreamResponse:
    """GET the file's bytes with its content type."""
    row = await _visible(request)
    if row is None:
        return not_found()
    found = await request.app[STATE].db.call(
        lambda conn: conn.execute(
            "SELECT data FROM emu_blob WHERE sys_id = ?", (row["sys_id"],)
        ).fetchone()
    )
    data = bytes(found[0]) if found else b""
    return web.Response(
        body=data, headers={"Content-Type": row["content_type"] or "application/octet-stream"}
    )


async def remove(request: web.Request) -> web.StreamResponse:
    """DELETE an attachment (whoever may update its record)."""
    row = await _visible(request)
    if row is None:
        return not_found()
    actor = actor_of(request)

    def work(conn: sqlite3.Connection) -> bool:
        parent_table = TABLES.get(row["table_name"])
        parent = records.get_row(conn, parent_table, row["table_sys_id"]) if parent_table else None
        allowed = actor.is_admin or (
            parent is not None
            and parent_table is not None
            and acl.can_update_row(actor, parent_table, parent)
        )
        if allowed:
            records.delete(conn, ATTACHMENT, row["sys_id"])
            conn.execute("DELETE FROM emu_blob WHERE sys_id = ?", (row["sys_id"],))
        return allowed

    if not await request.app[STATE].db.call(work):
        return acl_denied("Delete")
    return web.Response(status=204)
