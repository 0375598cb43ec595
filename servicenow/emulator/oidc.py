"""Entra-style bearer tokens on the emulator: its own OIDC provider configuration.

As on an instance with an OIDC provider registered (System OAuth → Application Registry → "OIDC
provider"): a metadata URL (whose `jwks_uri` publishes the signing keys), the claim that names
the user and the `sys_user` field it is matched against. A token signed by a published key
(RS256), from the metadata's issuer, unexpired, and — when an audience is configured — for that
audience, acts as the user it names. Keys are fetched once and again when an unknown `kid` shows.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from servicenow.emulator.acl import Actor
from servicenow.emulator.auth import load_actor

log = logging.getLogger(__name__)
# The sys_user fields a claim may be matched against (a column name is never taken from input).
USER_FIELDS = frozenset({"user_name", "email", "sys_id", "u_entra_object_id"})


@dataclass
class OidcProvider:
    """One trusted OIDC provider: `metadata_url`, `user_claim` (e.g. upn), `user_field`."""

    metadata_url: str
    user_claim: str = "upn"
    user_field: str = "user_name"
    audience: str = ""
    _issuer: str = ""
    _keys: dict[str, Any] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        if self.user_field not in USER_FIELDS:
            raise ValueError(f"OIDC user field must be one of {', '.join(sorted(USER_FIELDS))}")

    @staticmethod
    def looks_like_jwt(token: str) -> bool:
        """A JWT has three dot-separated parts; the emulator's own OAuth tokens have none."""
        return token.count(".") == 2

    async def user_value(self, token: str) -> str | None:
        """The claim naming the user, when the token is valid; None (and a log line) otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(str(header.get("kid") or ""))
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self.audience or None,
                options={"verify_aud": bool(self.audience), "require": ["exp", "iss"]},
                leeway=30,
            )
        except (jwt.PyJWTError, httpx.HTTPError, ValueError) as error:
            log.info("emulator.oidc.refused", extra={"reason": type(error).__name__})
            return None
        value = claims.get(self.user_claim)
        return str(value) if value else None

    def actor(self, conn: sqlite3.Connection, value: str) -> Actor | None:
        """The active user whose `user_field` holds `value`."""
        found = conn.execute(
            f"SELECT sys_id FROM sys_user WHERE {self.user_field} = ?",  # noqa: S608 (allow-listed)
            (value,),
        ).fetchone()
        return load_actor(conn, found["sys_id"]) if found else None

    async def _key(self, kid: str) -> Any:
        async with self._lock:
            if kid not in self._keys:
                await self._fetch()
            return self._keys.get(kid)

    async def _fetch(self) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            metadata = (await http.get(self.metadata_url)).raise_for_status().json()
            self._issuer = str(metadata["issuer"])
            jwks = (await http.get(str(metadata["jwks_uri"]))).raise_for_status().json()
        for entry in jwks.get("keys") or []:
            if isinstance(entry, dict) and entry.get("kty") == "RSA" and entry.get("kid"):
                self._keys[str(entry["kid"])] = jwt.PyJWK.from_dict(entry, "RS256").key
