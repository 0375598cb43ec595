"""The emulator's aiohttp app, its middlewares, admin endpoints and `start_emulator`."""

from __future__ import annotations

import logging
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from servicenow.emulator import attachments, batch, pages, stats, tableapi
from servicenow.emulator.acl import Actor
from servicenow.emulator.auth import (
    TokenStore,
    basic_credentials,
    bearer_token,
    check_password,
    load_actor,
    token_denied,
)
from servicenow.emulator.db import Database
from servicenow.emulator.faults import FaultInjector, FaultSettings
from servicenow.emulator.oidc import OidcProvider
from servicenow.emulator.responses import (
    add_standard_headers,
    method_not_allowed,
    sn_error,
    sn_json,
    unauthenticated,
)
from servicenow.emulator.seed import DEMO_PASSWORD, seed_database
from servicenow.emulator.state import STATE, EmulatorState
from servicenow.emulator.tableapi import ACTOR
from servicenow.emulator.webhook import WebhookSender, WebhookTarget

log = logging.getLogger(__name__)
OAUTH_CLIENT_ID = "snowdesk-bot"
OAUTH_CLIENT_SECRET = "snowdesk-secret"
# A successful basic sign-in is remembered briefly, as a session would be; this saves a
# database round trip per request (a changed password or role applies within seconds).
BASIC_CACHE_SECONDS = 2.0
DEMO_USERS = ("abel.tuter", "beth.anglin", "itil.agent", "hr.agent")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# A real instance takes request lines and headers far beyond aiohttp's 8 KiB defaults: pysnc
# only switches to the Batch API past ~10 000 characters of query string.
MAX_LINE_BYTES = 128 * 1024
MAX_FIELD_BYTES = 64 * 1024
UNKNOWN_API = "Requested URI does not represent any resource"


def _faulty(path: str) -> bool:
    return path.startswith("/api/") or path == "/oauth_token.do"


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure answers in ServiceNow's JSON envelope, never aiohttp's plain text."""
    try:
        return await handler(request)
    except web.HTTPException as refused:
        if refused.status < 400:
            raise
        if refused.status == 404 and request.path.startswith("/api/"):
            return sn_error(400, UNKNOWN_API)
        if refused.status == 405:
            return method_not_allowed(request.method)
        return sn_error(refused.status, refused.reason)
    except Exception:
        log.exception("emulator request failed", extra={"path": request.path})
        return sn_error(500, "Internal server error", "The emulator failed; see its log.")


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Remember what was served (not the emulator's own endpoints) for `/emulator/requests`."""
    if request.path.startswith("/emulator/"):
        return await handler(request)
    state = request.app[STATE]
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "user": None,
        "status": 0,
        "at": datetime.fromtimestamp(state.clock(), UTC).isoformat(),
    }
    state.requests.append(entry)
    response = await handler(request)
    actor = request.get(ACTOR)
    entry["user"] = actor.user_name if actor else None
    entry["status"] = response.status
    return response


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the configured faults to Table API and token requests."""
    if _faulty(request.path):
        state = request.app[STATE]
        faulted = await state.faults.before(request, state.clock())
        if faulted is not None:
            return faulted
    return await handler(request)


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Basic or Bearer on `/api/`; `/emulator/` also takes a page session and needs `admin`;
    record pages and lists take basic auth or a session, else send the browser to sign in."""
    is_api, is_admin_path = request.path.startswith("/api/"), request.path.startswith("/emulator/")
    is_page = pages.needs_sign_in(request.path)
    if not (is_api or is_admin_path or is_page):
        return await handler(request)
    actor = await _actor(request)
    if actor is None and not is_api:
        actor = await pages.session_actor(request)
    if actor is None and is_page:
        raise web.HTTPFound(pages.login_url(request.path_qs))
    if actor is None:
        return unauthenticated()
    if is_admin_path and not actor.is_admin:
        return sn_error(
            403, "Operation Failed", "The emulator's admin endpoints need the admin role"
        )
    request[ACTOR] = actor
    response = await handler(request)
    if is_api:
        add_standard_headers(response)
    return response


async def _actor(request: web.Request) -> Actor | None:
    state = request.app[STATE]
    header = request.headers.get("Authorization", "")
    credentials = basic_credentials(header)
    if credentials is not None:
        cached = state.basic_cache.get(header)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        user, password = credentials
        actor = await state.db.call(lambda conn: check_password(conn, user, password))
        if actor is not None:
            state.basic_cache[header] = (actor, time.monotonic() + BASIC_CACHE_SECONDS)
        return actor
    token = bearer_token(header)
    oidc = state.oidc
    if token and oidc is not None and oidc.looks_like_jwt(token):
        value = await oidc.user_value(token)
        if value is None:
            return None
        return await state.db.call(lambda conn: oidc.actor(conn, value))
    user_id = state.tokens.user_for_access(token) if token else None
    if user_id is None:
        return None
    return await state.db.call(lambda conn: load_actor(conn, user_id))


async def oauth_token(request: web.Request) -> web.StreamResponse:
    """`POST /oauth_token.do` (form body): password, refresh_token, client_credentials."""
    if request.content_type != "application/x-www-form-urlencoded":
        return token_denied()
    form = await request.post()
    state = request.app[STATE]
    fields = {name: str(value) for name, value in form.items()}
    client_id, client_secret = _client_credentials(request, fields)
    if not state.tokens.client_ok(client_id, client_secret):
        return token_denied()
    grant = fields.get("grant_type", "")
    if grant == "password":
        user, password = fields.get("username", ""), fields.get("password", "")
        actor = await state.db.call(lambda conn: check_password(conn, user, password))
        if actor is None:
            return token_denied()
        return web.json_response(state.tokens.issue(actor.sys_id, None, with_refresh=True))
    if grant == "refresh_token":
        refresh = fields.get("refresh_token", "")
        user_id = state.tokens.user_for_refresh(refresh)
        if user_id is None:
            return token_denied()
        return web.json_response(state.tokens.issue(user_id, refresh, with_refresh=True))
    if grant == "client_credentials":
        admin_id = await state.db.call(_admin_id)
        return web.json_response(state.tokens.issue(admin_id, None, with_refresh=False))
    return token_denied()


def _client_credentials(request: web.Request, fields: dict[str, str]) -> tuple[str, str]:
    """The OAuth client's id and secret from an HTTP Basic header (RFC 6749 §2.3.1, what
    requests-oauthlib sends by default) or, failing that, from the form body."""
    in_header = basic_credentials(request.headers.get("Authorization", ""))
    if in_header is not None:
        return in_header
    return fields.get("client_id", ""), fields.get("client_secret", "")


def _admin_id(conn: Any) -> str:
    found = conn.execute("SELECT sys_id FROM sys_user WHERE user_name = 'admin'").fetchone()
    return str(found[0]) if found else ""


async def get_requests(request: web.Request) -> web.StreamResponse:
    """The recent requests served, oldest first."""
    return sn_json(list(request.app[STATE].requests))


async def clear_requests(request: web.Request) -> web.StreamResponse:
    """Forget the request log (tests count round trips between two points)."""
    request.app[STATE].requests.clear()
    return web.Response(status=204)


async def get_faults(request: web.Request) -> web.StreamResponse:
    """The current fault settings."""
    return sn_json(request.app[STATE].faults.settings.model_dump())


async def set_faults(request: web.Request) -> web.StreamResponse:
    """Change some fault settings (JSON object of FaultSettings fields)."""
    try:
        changes = await request.json()
        settings = request.app[STATE].faults.update(dict(changes))
    except (ValueError, TypeError) as invalid:
        first_line = str(invalid).splitlines()[0] if str(invalid) else "invalid settings"
        return sn_error(400, "Invalid fault settings", first_line)
    log.info(
        "emulator faults changed", extra={"faults": settings.model_dump(exclude_defaults=True)}
    )
    return sn_json(settings.model_dump())


async def reset_faults(request: web.Request) -> web.StreamResponse:
    """Back to a well-behaved instance."""
    request.app[STATE].faults.settings = FaultSettings()
    return web.Response(status=204)


def create_emulator_app(state: EmulatorState) -> web.Application:
    """The aiohttp application over an opened, seeded database."""
    app = web.Application(middlewares=[json_errors, request_log, inject_faults, authenticate])
    app[STATE] = state
    tableapi.add_routes(app)
    attachments.add_routes(app)
    batch.add_routes(app)
    stats.add_routes(app)
    pages.add_routes(app)
    app.router.add_post("/oauth_token.do", oauth_token)
    app.router.add_get("/emulator/requests", get_requests)
    app.router.add_delete("/emulator/requests", clear_requests)
    app.router.add_get("/emulator/faults", get_faults)
    app.router.add_post("/emulator/faults", set_faults)
    app.router.add_delete("/emulator/faults", reset_faults)
    return app


class RunningEmulator:
    """A started emulator; stop it with `await stop()` or use it as an async context manager."""

    def __init__(
        self, runner: web.AppRunner, state: EmulatorState, base_url: str, admin_password: str
    ) -> None:
        self._runner = runner
        self.state = state
        self.base_url = base_url
        self.admin_password = admin_password
        self.demo_credentials: dict[str, str] = {name: DEMO_PASSWORD for name in DEMO_USERS}
        self.demo_credentials |= {
            "client_id": OAUTH_CLIENT_ID,
            "client_secret": OAUTH_CLIENT_SECRET,
        }

    def send_changes_to(self, url: str, secret: str) -> None:
        """Fire a signed record-changed event at `url` whenever an incident or HR case is
        updated (an empty url stops them): the stand-in for docs/NOTIFICATIONS.md's rule."""
        self.state.webhook.target = WebhookTarget(url, secret) if url else None

    async def stop(self) -> None:
        """Release hanging requests, stop serving, close the database."""
        self.state.faults.released.set()
        await self._runner.cleanup()
        await self.state.webhook.close()
        await self.state.db.close()

    async def __aenter__(self) -> RunningEmulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


async def start_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str = ":memory:",
    seed: str = "demo",
    admin_password: str | None = None,
    faults: FaultSettings | dict[str, Any] | None = None,
    token_lifetime_seconds: int = 1800,
    clock: Callable[[], float] = time.time,
    ssl_context: ssl.SSLContext | None = None,
    webhook: WebhookTarget | None = None,
    oidc: OidcProvider | None = None,
) -> RunningEmulator:
    """Open (and seed) the database and serve the emulator; port 0 picks a free port, an
    `ssl_context` serves https, a `webhook` gets a signed event for each record update, an
    `oidc` provider is trusted for Entra-style bearer tokens."""
    password = admin_password or secrets.token_urlsafe(12)
    db = Database(db_path)
    await db.open()
    in_memory = db_path == ":memory:"
    await db.call(lambda conn: seed_database(conn, seed, password, in_memory))
    injector = FaultInjector()
    if faults is not None:
        injector.update(faults.model_dump() if isinstance(faults, FaultSettings) else faults)
    tokens = TokenStore(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, token_lifetime_seconds, clock)
    state = EmulatorState(db=db, tokens=tokens, faults=injector, clock=clock, oidc=oidc)
    state.webhook = WebhookSender(clock)
    state.webhook.target = webhook
    runner = web.AppRunner(
        create_emulator_app(state),
        access_log=None,
        shutdown_timeout=1,
        max_line_size=MAX_LINE_BYTES,
        max_field_size=MAX_FIELD_BYTES,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    bound = runner.addresses[0]
    scheme = "https" if ssl_context else "http"
    base_url = f"{scheme}://{_url_host(host)}:{bound[1]}"
    log.info("emulator started", extra={"base_url": base_url, "seed": seed, "db": db_path})
    return RunningEmulator(runner, state, base_url, password)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
