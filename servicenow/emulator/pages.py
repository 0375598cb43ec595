"""Read-only HTML record pages at ServiceNow's paths, so "Open in ServiceNow" links work.

As on an instance, they need a sign-in (`/login.do` sets a session cookie; basic auth works
too): `admin` sees every record, agents their area, an employee only their own records and
their own user record. Every value is HTML-escaped.
"""

from __future__ import annotations

import secrets
import sqlite3
from html import escape

from aiohttp import web
from yarl import URL

from servicenow.emulator import acl, records
from servicenow.emulator.acl import Actor
from servicenow.emulator.auth import check_password, load_actor
from servicenow.emulator.equery import Context, QueryError, parse
from servicenow.emulator.render import DisplayMode, Renderer
from servicenow.emulator.schema import TABLES, FieldType, TableDef
from servicenow.emulator.state import STATE
from servicenow.emulator.tableapi import ACTOR

SESSION_COOKIE = "JSESSIONID"
SESSION_SECONDS = 8 * 3600
_OPEN_PAGES = frozenset({"/login.do", "/logout.do", "/oauth_token.do"})
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
    """`/{table}.do`, `/{table}_list.do`, the HR portal's ticket page and signing in/out."""
    app.router.add_get("/login.do", login_form)
    app.router.add_post("/login.do", login)
    app.router.add_get("/logout.do", logout)
    app.router.add_get("/esc", portal_ticket)
    app.router.add_get(r"/{table:[a-z0-9_]+}_list.do", list_page)
    app.router.add_get(r"/{table:[a-z0-9_]+}.do", record_page)


def needs_sign_in(path: str) -> bool:
    """Record pages, lists and the portal; not the sign-in pages or the token endpoint."""
    return path == "/esc" or (path.endswith(".do") and path not in _OPEN_PAGES)


def login_url(goto: str) -> str:
    """Where an anonymous browser is sent, coming back to `goto` afterwards."""
    return str(URL("/login.do").with_query(sysparm_goto=goto))


async def session_actor(request: web.Request) -> Actor | None:
    """The user behind the request's session cookie, while the session lasts."""
    state = request.app[STATE]
    session = state.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
    if session is None or session[1] <= state.clock():
        return None
    user_id = session[0]
    return await state.db.call(lambda conn: load_actor(conn, user_id))


def _safe_goto(goto: str) -> str:
    # Only paths on this instance: never an open redirect to another site.
    return goto if goto.startswith("/") and not goto.startswith("//") else "/incident_list.do"


async def login_form(request: web.Request) -> web.Response:
    """The sign-in form (`user_name`, `user_password`, as the instance names them)."""
    return _login_page(_safe_goto(request.query.get("sysparm_goto", "")), "")


def _login_page(goto_path: str, message: str) -> web.Response:
    goto = escape(goto_path)
    notice = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    form = (
        f"{notice}<form method='post' action='/login.do'>"
        f"<input type='hidden' name='sysparm_goto' value='{goto}'>"
        "<p><label>User name <input name='user_name' autocomplete='username'></label></p>"
        "<p><label>Password <input name='user_password' type='password'"
        " autocomplete='current-password'></label></p>"
        "<p><button type='submit'>Log in</button></p></form>"
    )
    response = _page("Log in", form)
    response.set_status(401 if message else 200)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password, start a session, go back where the user was going."""
    form = await request.post()
    user, password = str(form.get("user_name", "")), str(form.get("user_password", ""))
    state = request.app[STATE]
    actor = await state.db.call(lambda conn: check_password(conn, user, password))
    goto = _safe_goto(str(form.get("sysparm_goto", "")))
    if actor is None:
        return _login_page(goto, "User name or password invalid")
    token = secrets.token_urlsafe(32)
    state.sessions[token] = (actor.sys_id, state.clock() + SESSION_SECONDS)
    redirect = web.HTTPFound(goto)
    redirect.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/")
    raise redirect


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    request.app[STATE].sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
    redirect = web.HTTPFound("/login.do")
    redirect.del_cookie(SESSION_COOKIE, path="/")
    raise redirect


def may_see(actor: Actor, table: TableDef, row: dict[str, str]) -> bool:
    """Admin sees every page; others the records of their area or their own, and themselves."""
    if actor.is_admin:
        return True
    if table.storage == "sys_user":
        return row.get("sys_id") == actor.sys_id
    return acl.owns(actor, table, row) or (
        actor.is_agent_for(table) and acl.can_read_row(actor, table, row)
    )


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
    conn: sqlite3.Connection,
    viewer: Actor,
    table: TableDef,
    sys_id: str,
    fields: tuple[str, ...] | None,
) -> tuple[str, list[tuple[str, str]]] | None:
    row = records.get_row(conn, table, sys_id)
    if row is None or not may_see(viewer, table, row):
        return None
    rendered = Renderer(conn, "/api/now", DisplayMode.TRUE, True, viewer).render(
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
    viewer = request[ACTOR]
    found = await request.app[STATE].db.call(
        lambda conn: _record_pairs(conn, viewer, table, sys_id, None)
    )
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
    viewer = request[ACTOR]
    found = await request.app[STATE].db.call(
        lambda conn: _record_pairs(conn, viewer, table, sys_id, fields)
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
    viewer = request[ACTOR]
    context = Context(viewer.sys_id, viewer.user_name, viewer.time_zone, request.app[STATE].clock())
    try:
        parsed = parse(request.query.get("sysparm_query", ""), context)
    except QueryError as refused:
        return _page("Unsupported query", f"<p>{escape(refused.detail)}</p>")

    def work(conn: sqlite3.Connection) -> list[dict[str, object]]:
        rows, _ = records.select(conn, table, parsed, 200, 0, with_count=False)
        renderer = Renderer(conn, "/api/now", DisplayMode.TRUE, True, viewer)
        return [
            {"sys_id": row["sys_id"], **renderer.render(table, row, list(columns))}
            for row in rows
            if may_see(viewer, table, row)
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
