"""Basic auth against seeded users, and OAuth 2.0 (`/oauth_token.do`) with expiring tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from servicenow.emulator.acl import Actor
from servicenow.emulator.records import password_hash

REFRESH_LIFETIME_SECONDS = 8_640_000
TOKEN_ERROR = {"error_description": "access_denied", "error": "server_error"}
AUTH_ERROR = {
    "error": {
        "message": "User is not authenticated",
        "detail": "Required to provide Auth information",
    },
    "status": "failure",
}


def load_actor(conn: sqlite3.Connection, sys_id: str) -> Actor | None:
    """The active user with this sys_id, as an Actor."""
    found = conn.execute(
        "SELECT sys_id, user_name, name, roles, time_zone FROM sys_user "
        "WHERE sys_id = ? AND active = 'true' AND locked_out != 'true'",
        (sys_id,),
    ).fetchone()
    if found is None:
        return None
    roles = frozenset(role.strip() for role in found["roles"].split(",") if role.strip())
    return Actor(found["sys_id"], found["user_name"], found["name"], roles, found["time_zone"])


def check_password(conn: sqlite3.Connection, user_name: str, password: str) -> Actor | None:
    """The user if the password matches (and the account is active), else None."""
    found = conn.execute(
        "SELECT u.sys_id, c.salt, c.hash FROM sys_user u JOIN emu_credential c "
        "ON c.user_id = u.sys_id WHERE u.user_name = ?",
        (user_name,),
    ).fetchone()
    if found is None:
        return None
    if not hmac.compare_digest(password_hash(found["salt"], password), found["hash"]):
        return None
    return load_actor(conn, found["sys_id"])


def basic_credentials(header: str) -> tuple[str, str] | None:
    """User name and password from an `Authorization: Basic ...` header."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def bearer_token(header: str) -> str | None:
    """The token of an `Authorization: Bearer ...` header."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class TokenStore:
    """Issued OAuth tokens in memory; `clock` is injectable so tests can see expiry."""

    client_id: str
    client_secret: str
    lifetime: int
    clock: Callable[[], float]
    access: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh: dict[str, tuple[str, float]] = field(default_factory=dict)

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        """The registered OAuth client's id and secret."""
        return hmac.compare_digest(client_id, self.client_id) and hmac.compare_digest(
            client_secret, self.client_secret
        )

    def issue(
        self, user_id: str, refresh_token: str | None, with_refresh: bool
    ) -> dict[str, object]:
        """A token response as ServiceNow shapes it."""
        token = secrets.token_urlsafe(48)
        self.access[token] = (user_id, self.clock() + self.lifetime)
        body: dict[str, object] = {"access_token": token}
        if with_refresh:
            refresh_token = refresh_token or secrets.token_urlsafe(48)
            self.refresh.setdefault(
                refresh_token, (user_id, self.clock() + REFRESH_LIFETIME_SECONDS)
            )
            body["refresh_token"] = refresh_token
        body |= {"scope": "useraccount", "token_type": "Bearer", "expires_in": self.lifetime}
        return body

    def user_for_access(self, token: str) -> str | None:
        """The user id behind an unexpired access token."""
        return _valid(self.access, token, self.clock())

    def user_for_refresh(self, token: str) -> str | None:
        """The user id behind an unexpired refresh token."""
        return _valid(self.refresh, token, self.clock())


def _valid(tokens: dict[str, tuple[str, float]], token: str, now: float) -> str | None:
    entry = tokens.get(token)
    if entry is None:
        return None
    if entry[1] <= now:
        del tokens[token]
        return None
    return entry[0]


def token_denied() -> web.Response:
    """ServiceNow's answer to any refused token request."""
    return web.json_response(TOKEN_ERROR, status=401)
