"""Async Table API client: one keep-alive httpx pool per instance, typed errors, safe retries.

Reads (and idempotent updates) are retried on 429/502/503/504, timeouts and dropped connections
with capped exponential backoff and jitter, honouring `Retry-After`, within the call's budget.
Creates are never retried blindly: after an ambiguous failure the client looks the record up by
its correlation id and re-sends only when none exists; journal appends check the journal first.
Nothing above this module sees an httpx exception.

Back-pressure: at most `max_concurrency` requests are in flight per client (one client per
integration user), below the ~50 a ServiceNow node queues before answering 429. Further calls
wait in arrival order, for at most `queue_timeout` or until the turn's deadline (`deadline()`),
and then fail fast with `Busy` instead of piling onto the instance or the connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, CookiePolicy
from typing import Any, TypeVar

import httpx

from servicenow._sockets import pooled_transport
from servicenow.auth import AuthProvider, NoServiceAccount, acting_auth, service_call
from servicenow.errors import (
    Busy,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    ServiceNowError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from servicenow.query import Operator, Query

log = logging.getLogger(__name__)

T = TypeVar("T")
Record = dict[str, Any]
Records = list[Record]
DisplayValue = bool | str  # False, True or "all"
TABLE_PATH = "/api/now/table"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A 500 on a write may have committed: worth the correlation lookup before re-sending.
WRITE_RETRY_STATUSES = RETRY_STATUSES | {500}
# Connections beyond the request slots, for token requests (OAuth), made outside the slots.
AUTH_CONNECTIONS = 4


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a call tries: attempts, backoff and the overall time budget (seconds)."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0
    budget: float = 45.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Requests in flight at once, and how long a call waits for its turn before `Busy`. 32 at
    # 200 ms a read serve 160 reads/s (16 served 80: 200 people's status turns in one 3 s
    # window queued ~270 ms at the p95) and stay below one node's ~50 queued before a 429.
    max_concurrency: int = 32
    queue_timeout: float = 8.0


DEFAULT_POLICY = RetryPolicy()
# The monotonic time by which the current turn must have answered (set per turn by the bot).
_turn_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "servicenow_turn_deadline", default=None
)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within this block, no call waits for a free slot for longer than `seconds` from now."""
    token = _turn_deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _turn_deadline.reset(token)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and, when counted, the total matching rows."""

    rows: list[Record]
    total: int | None


class _Transient(Exception):
    """A failure worth another attempt; `maybe_processed` when the server may have acted."""

    def __init__(self, error: ServiceNowError, maybe_processed: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.maybe_processed = maybe_processed


class _NoCookies(CookiePolicy):
    """Accept no cookie and send none back."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = True

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        return False

    def path_return_ok(self, path: str, request: Any) -> bool:
        return False


def build_http_client(
    policy: RetryPolicy = DEFAULT_POLICY,
    transport: httpx.AsyncBaseTransport | None = None,
    ca_bundle: str = "",
) -> httpx.AsyncClient:
    """The shared pool: timeouts from the policy and a cookie jar that stores nothing;
    `ca_bundle` names extra certificates to trust (default: the system's).

    ServiceNow serialises requests that share a session cookie, so none is ever sent back. The
    pool holds every request the client lets through, plus a few for token requests (OAuth),
    so no call ever waits on the pool: waiting happens, in order, in the client's queue.
    """
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    jar = CookieJar(policy=_NoCookies())
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    )
    limits = httpx.Limits(
        max_connections=policy.max_concurrency + AUTH_CONNECTIONS,
        max_keepalive_connections=policy.max_concurrency,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        cookies=jar,
        transport=transport or pooled_transport(verify=verify, limits=limits),
        headers={"Accept": "application/json"},
    )


class ServiceNowClient:
    """Table API operations (get, list, create, update) and attachments on one instance."""

    def __init__(
        self,
        base_url: str,
        auth: AuthProvider,
        http: httpx.AsyncClient | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.http = http or build_http_client(policy)
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        # asyncio's semaphore wakes waiters first come, first served.
        self._slots = asyncio.Semaphore(policy.max_concurrency)

    def current_auth(self) -> AuthProvider:
        """The credentials of this call: the identity the caller acts as (`acting_as`), except
        for shared metadata (`as_service`) when this client has an account of its own."""
        acting = acting_auth.get()
        if acting is None or (service_call.get() and not isinstance(self.auth, NoServiceAccount)):
            return self.auth
        return acting

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    # -- reads ---------------------------------------------------------------------------------

    async def get(
        self,
        table: str,
        sys_id: str,
        fields: Sequence[str],
        display_value: DisplayValue = False,
        exclude_reference_link: bool = True,
    ) -> Record:
        """One record by sys_id; `NotFound` when missing or hidden by ACLs."""
        params = _params(fields, display_value, exclude_reference_link)
        response = await self._read("GET", f"{TABLE_PATH}/{table}/{_safe_id(sys_id)}", params)
        return _result(response, dict)

    async def list(
        self,
        table: str,
        query: Query | str,
        fields: Sequence[str],
        limit: int,
        offset: int = 0,
        display_value: DisplayValue = False,
        exclude_reference_link: bool = True,
        count: bool = False,
    ) -> Page:
        """One page of rows matching `query` (built by `servicenow.query`); `count` asks a total."""
        params = _params(fields, display_value, exclude_reference_link)
        params |= {"sysparm_query": str(query), "sysparm_limit": str(limit)}
        if offset:
            params["sysparm_offset"] = str(offset)
        if not count:
            params["sysparm_no_count"] = "true"
        response = await self._read("GET", f"{TABLE_PATH}/{table}", params)
        total = response.headers.get("X-Total-Count")
        rows = _result(response, list)
        return Page(rows=rows, total=int(total) if count and total and total.isdigit() else None)

    # -- writes --------------------------------------------------------------------------------

    async def create(
        self,
        table: str,
        values: Mapping[str, str],
        fields: Sequence[str],
        display_value: DisplayValue = False,
        exclude_reference_link: bool = True,
        correlation_field: str | None = None,
    ) -> Record:
        """Insert one record. With a correlation field (whose value is in `values`), an ambiguous
        failure is resolved by looking the record up before re-sending; without one, never retried.
        """
        params = _params(fields, display_value, exclude_reference_link)
        path = f"{TABLE_PATH}/{table}"
        correlation = values.get(correlation_field) if correlation_field else None

        async def lookup() -> Record | None:
            if not correlation_field or not correlation:
                return None
            query = Query().where(correlation_field, Operator.EQ, correlation)
            page = await self.list(
                table, query, fields, 1, 0, display_value, exclude_reference_link
            )
            return page.rows[0] if page.rows else None

        response = await self._write("POST", path, params, dict(values), lookup, bool(correlation))
        return response if isinstance(response, dict) else _result(response, dict)

    async def update(
        self,
        table: str,
        sys_id: str,
        values: Mapping[str, str],
        fields: Sequence[str],
        display_value: DisplayValue = False,
        exclude_reference_link: bool = True,
        journal_fields: Sequence[str] = (),
    ) -> Record:
        """PATCH one record. Plain field changes are idempotent and retried like reads; a journal
        append (`comments`) is re-sent after an ambiguous failure only when the entry is absent.
        """
        params = _params(fields, display_value, exclude_reference_link)
        path = f"{TABLE_PATH}/{table}/{_safe_id(sys_id)}"
        appends = {name: values[name] for name in journal_fields if values.get(name)}
        if not appends:
            return _result(await self._read("PATCH", path, params, dict(values)), dict)

        async def lookup() -> Record | None:
            names = sorted(appends)
            current = await self.get(table, sys_id, names, display_value=True)
            if all(appends[name].strip() in str(current.get(name, "")) for name in names):
                return await self.get(table, sys_id, fields, display_value, exclude_reference_link)
            return None

        response = await self._write("PATCH", path, params, dict(values), lookup, True)
        return response if isinstance(response, dict) else _result(response, dict)

    # -- attachments ---------------------------------------------------------------------------

    async def upload_attachment(
        self, table: str, sys_id: str, file_name: str, content_type: str, data: bytes
    ) -> Record:
        """Attach a file to a record (never retried: an upload is a create)."""
        params = {"table_name": table, "table_sys_id": _safe_id(sys_id), "file_name": file_name}
        headers = {"Content-Type": content_type or "application/octet-stream"}

        async def no_lookup() -> Record | None:
            return None

        response = await self._write(
            "POST", "/api/now/attachment/file", params, data, no_lookup, False, headers
        )
        return response if isinstance(response, dict) else _result(response, dict)

    async def list_attachments(self, table: str, sys_id: str, limit: int = 50) -> Records:
        """The attachments of one record (metadata only)."""
        query = (
            Query()
            .where("table_name", Operator.EQ, table)
            .where("table_sys_id", Operator.EQ, _safe_id(sys_id))
        )
        params = {"sysparm_query": query.encode(), "sysparm_limit": str(limit)}
        return _result(await self._read("GET", "/api/now/attachment", params), list)

    async def download_attachment(self, attachment_sys_id: str) -> bytes:
        """The bytes of one attachment."""
        path = f"/api/now/attachment/{_safe_id(attachment_sys_id)}/file"
        return (await self._read("GET", path, {}, accept="*/*")).content

    # -- plumbing ------------------------------------------------------------------------------

    async def _read(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        deadline = self._clock() + self.policy.budget
        attempt = 0
        while True:
            try:
                return await self._once(method, path, params, body, deadline, {"Accept": accept})
            except _Transient as transient:
                await self._backoff(attempt, transient.error, deadline, path)
                attempt += 1

    async def _write(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any,
        lookup: Callable[[], Awaitable[Record | None]],
        retryable: bool,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | Record:
        deadline = self._clock() + self.policy.budget
        attempt = 0
        while True:
            try:
                return await self._once(
                    method, path, params, body, deadline, headers or {}, WRITE_RETRY_STATUSES
                )
            except _Transient as transient:
                if not retryable:
                    raise transient.error from None
                await self._backoff(attempt, transient.error, deadline, path)
                attempt += 1
                if transient.maybe_processed:
                    existing = await lookup()
                    if existing is not None:
                        log.info("servicenow.write.recovered", extra={"path": path})
                        return existing

    async def _once(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any,
        deadline: float,
        headers: dict[str, str],
        transient: frozenset[int] = RETRY_STATUSES,
    ) -> httpx.Response:
        response = await self._send(method, path, params, body, deadline, headers)
        if response.status_code == 401 and await self._auth_call(self.current_auth().refresh()):
            response = await self._send(method, path, params, body, deadline, headers)
        if response.status_code < 400:
            return response
        error = error_from_response(response)
        if response.status_code in transient:
            raise _Transient(error, maybe_processed=response.status_code != 429)
        raise error

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any,
        deadline: float,
        headers: dict[str, str],
    ) -> httpx.Response:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise Timeout(f"ServiceNow did not answer within {self.policy.budget:.0f} s")
        timeout = httpx.Timeout(
            min(self.policy.read_timeout, remaining),
            connect=min(self.policy.connect_timeout, remaining),
        )
        request_headers = await self._auth_call(self.current_auth().headers()) | headers
        content: dict[str, Any] = {}
        if isinstance(body, bytes):
            content["content"] = body
        elif body is not None:
            content["json"] = body
        await self._take_slot(path)
        started = time.perf_counter()
        try:
            response = await self.http.request(
                method,
                self.base_url + path,
                params=params,
                headers=request_headers,
                timeout=timeout,
                **content,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Transient(_transport_error(exc, self.base_url), maybe_processed=False) from None
        except httpx.TransportError as exc:
            raise _Transient(_transport_error(exc, self.base_url), maybe_processed=True) from None
        finally:
            self._slots.release()
        log.debug(
            "servicenow.request",
            extra={
                "method": method,
                "path": path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000),
            },
        )
        return response

    @staticmethod
    async def _auth_call(call: Awaitable[T]) -> T:
        """Credentials are part of the call: a token endpoint that is down, busy or slow is a
        transient fault like the instance itself (retried; nothing was sent to the table)."""
        try:
            return await call
        except (Unavailable, Timeout, RateLimited, ServerError) as error:
            raise _Transient(error, maybe_processed=False) from None

    async def _take_slot(self, path: str) -> None:
        """Wait, in order, for one of the client's request slots; `Busy` when the wait would
        outlast `queue_timeout` or the turn's deadline."""
        if not self._slots.locked():
            await self._slots.acquire()
            return
        wait = self.policy.queue_timeout
        turn_deadline = _turn_deadline.get()
        if turn_deadline is not None:
            wait = min(wait, turn_deadline - time.monotonic())
        try:
            async with asyncio.timeout(max(wait, 0.0)):
                await self._slots.acquire()
        except TimeoutError:
            log.warning("servicenow.busy", extra={"path": path, "waited_s": round(wait, 2)})
            raise Busy(
                f"{self.policy.max_concurrency} ServiceNow calls already in flight; "
                f"no slot within {max(wait, 0.0):.1f} s"
            ) from None

    async def _backoff(
        self, attempt: int, error: ServiceNowError, deadline: float, path: str
    ) -> None:
        if attempt + 1 >= self.policy.attempts:
            raise error
        delay = min(self.policy.max_delay, self.policy.base_delay * 2**attempt)
        delay *= 0.5 + self._jitter() / 2
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if self._clock() + delay >= deadline:
            raise error
        log.info(
            "servicenow.retry",
            extra={"path": path, "attempt": attempt + 1, "error": type(error).__name__},
        )
        await self._sleep(delay)


def _params(
    fields: Sequence[str], display_value: DisplayValue, exclude_reference_link: bool
) -> dict[str, str]:
    if not fields:
        raise InvalidRequest("sysparm_fields must name the fields the caller needs")
    for field in fields:
        Query().order_by(field)  # validates the field name the same way queries do
    display = display_value if isinstance(display_value, str) else str(display_value).lower()
    return {
        "sysparm_fields": ",".join(dict.fromkeys(fields)),
        "sysparm_display_value": display,
        "sysparm_exclude_reference_link": str(exclude_reference_link).lower(),
    }


def _safe_id(sys_id: str) -> str:
    if not sys_id or not all(c.isalnum() or c in "_-." for c in sys_id):
        raise InvalidRequest("a sys_id holds only letters, digits, '_', '-' and '.'")
    return sys_id


def _result(response: httpx.Response, shape: type[T]) -> T:
    try:
        body = response.json()
    except ValueError:
        raise ServerError(f"ServiceNow answered HTTP {response.status_code} without JSON") from None
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, shape):
        raise ServerError(f"ServiceNow answered without a {shape.__name__} `result`")
    return result


def error_from_response(response: httpx.Response) -> ServiceNowError:
    """The typed error for a failed response, with ServiceNow's own message (never a secret)."""
    status = response.status_code
    message = _envelope_message(response) or response.reason_phrase or "no detail"
    text = f"HTTP {status}: {message}"
    if status == 401:
        return Unauthorized(text)
    if status == 403:
        return Forbidden(text)
    if status == 404:
        return NotFound(text)
    if status == 429:
        return RateLimited(text, retry_after=_retry_after(response))
    if status in (502, 503):
        return Unavailable(text)
    if status == 504:
        return Timeout(text)
    if status >= 500:
        return ServerError(text)
    return InvalidRequest(text)


def _envelope_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [str(error.get(key) or "").strip() for key in ("message", "detail")]
    return " - ".join(part for part in parts if part)[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _transport_error(exc: httpx.TransportError, base_url: str) -> ServiceNowError:
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"{base_url} did not answer in time ({type(exc).__name__})")
    return Unavailable(f"{base_url} could not be reached ({type(exc).__name__})")
