"""Response bodies and headers as the Table API sends them (reference §4, §5)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

JSON_TYPE = "application/json;charset=UTF-8"
STANDARD_HEADERS = {
    "X-Is-Logged-In": "true",
    "Cache-Control": "no-cache,no-store,must-revalidate,max-age=-1",
    "Pragma": "no-store,no-cache",
    "Expires": "0",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND = ("No Record found", "Record doesn't exist or ACL restricts the record retrieval")
UNAUTHENTICATED = ("User is not authenticated", "Required to provide Auth information")


def sn_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with ServiceNow's content type and standard headers."""
    response = web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
    )
    add_standard_headers(response)
    return response


def add_standard_headers(response: web.StreamResponse) -> None:
    """Headers every Table API answer carries."""
    for name, value in STANDARD_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("X-Transaction-ID", secrets.token_hex(6))


def sn_error(status: int, message: str, detail: str | None = None) -> web.Response:
    """The error envelope `{"error": {"message", "detail"}, "status": "failure"}`."""
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return sn_json(body, status)


def not_found() -> web.Response:
    """404 for a missing record and for one the ACLs hide (they look the same)."""
    return sn_error(404, *NOT_FOUND)


def unauthenticated() -> web.Response:
    """401 with the challenge header."""
    response = sn_error(401, *UNAUTHENTICATED)
    response.headers["WWW-Authenticate"] = 'Basic realm="Service-now"'
    # A real instance says it is not logged in on a 401.
    response.headers["X-Is-Logged-In"] = "false"
    return response


def acl_denied(operation: str) -> web.Response:
    """403 when an ACL refuses a write."""
    return sn_error(
        403, "Operation Failed", f"ACL Exception {operation} Failed due to security constraints"
    )


def method_not_allowed(method: str) -> web.Response:
    """405 for a method the resource does not support."""
    return sn_error(405, "Method not Supported", f"{method} method not supported for API")


def api_base(request: web.Request, marker: str) -> tuple[str, str]:
    """The origin and the API prefix as requested (`/api/now/v2`), so links keep the version."""
    path = request.path
    prefix = path[: path.index(marker)] if marker in path else "/api/now"
    return f"{request.scheme}://{request.host}", prefix


def link_header(request: web.Request, offset: int, limit: int, total: int) -> str | None:
    """The `Link` header: first, prev (with ServiceNow's -1 quirk), next, last; none for one page."""
    if total == 0 or (offset == 0 and total <= limit):
        return None
    base = f"{request.scheme}://{request.host}{request.path}"
    kept = [
        part
        for part in request.query_string.split("&")
        if part and not part.startswith("sysparm_offset=")
    ]
    entries = [(0, "first")]
    if offset - limit >= -1:
        entries.append((offset - limit, "prev"))
    if offset + limit < total:
        entries.append((offset + limit, "next"))
    entries.append(((total - 1) // limit * limit, "last"))
    return ",".join(
        f'<{base}?{"&".join([*kept, f"sysparm_offset={at}"])}>;rel="{rel}"' for at, rel in entries
    )


def flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter (`true`)."""
    return request.query.get(name, "").lower() == "true"


INT_MAX = 2**31 - 1


def int_param(request: web.Request, name: str, default: int) -> int:
    """An integer query parameter; what cannot be read means the default, and huge values are
    capped (the instance reads them as Java ints; SQLite would overflow)."""
    try:
        return max(-INT_MAX, min(int(request.query.get(name, "")), INT_MAX))
    except ValueError:
        return default
