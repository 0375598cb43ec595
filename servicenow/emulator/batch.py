"""`POST /api/now/v1/batch`: several REST requests in one, as pysnc's `update_multiple`,
`delete_multiple` and long queries send them.

Each sub-request is served by the emulator itself over loopback, signed in as the batch's
caller, so it meets the same routes, ACLs, faults and request log as a direct call. Bodies
travel base64-encoded both ways, headers as `[{name, value}]` lists, as ServiceNow encodes them.
"""

from __future__ import annotations

import base64
import binascii
import time
from http import HTTPStatus

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ValidationError

from servicenow.emulator.responses import sn_error, sn_json

# Hop-by-hop and framing headers are the loopback connection's own, not the sub-request's.
_DROPPED_HEADERS = frozenset({"host", "content-length", "authorization", "connection", "cookie"})
_TIMEOUT = aiohttp.ClientTimeout(total=60)


class Header(BaseModel):
    """One header of a sub-request or its answer."""

    name: str
    value: str


class RestRequest(BaseModel):
    """One sub-request; `url` is relative (`/api/now/table/incident?...`)."""

    id: str
    method: str
    url: str
    headers: list[Header] = []
    body: str = ""
    exclude_response_headers: bool = False


class BatchRequest(BaseModel):
    """The batch body."""

    batch_request_id: int | str
    rest_requests: list[RestRequest]


def add_routes(app: web.Application) -> None:
    """Register the Batch API (unversioned and v1)."""
    for prefix in ("/api/now", "/api/now/v1"):
        app.router.add_post(f"{prefix}/batch", batch)


async def batch(request: web.Request) -> web.StreamResponse:
    """Serve every sub-request in order and answer `serviced_requests`."""
    try:
        body = BatchRequest.model_validate_json(await request.read())
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return sn_error(400, "Invalid batch request", f"{where}: {first['msg']}")
    origin = _loopback_origin(request)
    forwarded = {"Host": request.host, "Authorization": request.headers.get("Authorization", "")}
    serviced = []
    connector = aiohttp.TCPConnector(ssl=False)  # our own certificate, on loopback
    async with aiohttp.ClientSession(connector=connector, timeout=_TIMEOUT) as session:
        for sub in body.rest_requests:
            serviced.append(await _serve(session, origin, forwarded, sub))
    return sn_json(
        {
            "batch_request_id": str(body.batch_request_id),
            "serviced_requests": serviced,
            "unserviced_requests": [],
        }
    )


def _loopback_origin(request: web.Request) -> str:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host, port = (sockname[0], sockname[1]) if sockname else ("127.0.0.1", 0)
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if request.secure else 'http'}://{host}:{port}"


async def _serve(
    session: aiohttp.ClientSession, origin: str, forwarded: dict[str, str], sub: RestRequest
) -> dict[str, object]:
    started = time.monotonic()
    status, headers, content = await _send(session, origin, forwarded, sub)
    answer: dict[str, object] = {
        "id": sub.id,
        "body": base64.b64encode(content).decode("ascii"),
        "status_code": status,
        "status_text": HTTPStatus(status).phrase,
        "execution_time": round((time.monotonic() - started) * 1000),
    }
    if not sub.exclude_response_headers:
        answer["headers"] = [{"name": name, "value": value} for name, value in headers]
    return answer


async def _send(
    session: aiohttp.ClientSession, origin: str, forwarded: dict[str, str], sub: RestRequest
) -> tuple[int, list[tuple[str, str]], bytes]:
    if not sub.url.startswith("/api/") or "/batch" in sub.url.split("?")[0]:
        return _refused(f"{sub.url[:80]} cannot be called from a batch")
    try:
        data = base64.b64decode(sub.body, validate=True) if sub.body else None
    except binascii.Error:
        return _refused("The body is not valid base64.")
    headers = {h.name: h.value for h in sub.headers if h.name.lower() not in _DROPPED_HEADERS}
    async with session.request(
        sub.method.upper(), origin + sub.url, headers={**headers, **forwarded}, data=data
    ) as response:
        content = await response.read()
        return response.status, list(response.headers.items()), content


def _refused(detail: str) -> tuple[int, list[tuple[str, str]], bytes]:
    refusal = sn_error(400, "Invalid batch request", detail)
    body = refusal.body if isinstance(refusal.body, bytes) else b""
    return 400, list(refusal.headers.items()), body
