"""Bearer tokens Entra issues for the bot's app registration (how entitlement management
authenticates a custom-extension callout), checked against the tenant's OpenID metadata.

Signature (RS256 only, keys from the tenant's JWKS), issuer (the metadata's, or the v1
`https://sts.windows.net/{tenant}/` form Entra uses for v1 tokens), audience (the bot's app id
or `api://` form), expiry and not-before. Anything else is an `InvalidCalloutToken` whose text
names the reason, never the token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

METADATA_TTL_S = 24 * 3600
# An unknown `kid` refetches the keys (Entra rolls them), at most this often.
KEY_REFRESH_MIN_S = 300
LEEWAY_S = 60


class InvalidCalloutToken(Exception):
    """The callout's credentials were refused; the message says why (never the token)."""


class SigningKeysUnavailable(InvalidCalloutToken):
    """The tenant's metadata or keys could not be read: nothing can be verified just now."""


@dataclass
class _Metadata:
    issuer: str
    jwks_uri: str
    keys: dict[str, Any]
    fetched_at: float
    keys_fetched_at: float


class EntraTokenValidator:
    """Validates bearer tokens for one audience in one tenant; metadata and keys are cached."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        authority_host: str,
        tenant: str,
        audience: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._metadata_url = (
            f"{authority_host.rstrip('/')}/{tenant}/v2.0/.well-known/openid-configuration"
        )
        self._audiences = (
            [audience] if audience.startswith("api://") else [audience, f"api://{audience}"]
        )
        self._clock = clock
        self._metadata: _Metadata | None = None
        self._lock = asyncio.Lock()

    async def validate(self, authorization: str) -> dict[str, Any]:
        """The token's claims when `Authorization: Bearer <token>` is valid; else raises."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidCalloutToken("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidCalloutToken("not a JWT") from None
        if header.get("alg") != "RS256":
            raise InvalidCalloutToken(f"algorithm {str(header.get('alg'))[:10]} is not accepted")
        kid = str(header.get("kid") or "")
        metadata = await self._current(kid)
        key = metadata.keys.get(kid)
        if key is None:
            raise InvalidCalloutToken("signed with a key the tenant does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._audiences,
                issuer=self._issuers(metadata),
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidCalloutToken("expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidCalloutToken("issued for another audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidCalloutToken("issued by another tenant or authority") from None
        except jwt.PyJWTError as error:
            raise InvalidCalloutToken(f"rejected ({type(error).__name__})") from None
        return claims

    def _issuers(self, metadata: _Metadata) -> list[str]:
        issuers = [metadata.issuer]
        # v2 metadata names `https://login.microsoftonline.com/{tid}/v2.0`; v1 access tokens
        # (the default for an app registration) carry `https://sts.windows.net/{tid}/`.
        tid = metadata.issuer.rstrip("/").removesuffix("/v2.0").rsplit("/", 1)[-1]
        if tid:
            issuers.append(f"https://sts.windows.net/{tid}/")
        return issuers

    async def _current(self, kid: str) -> _Metadata:
        async with self._lock:
            now = self._clock()
            metadata = self._metadata
            if metadata is None or now - metadata.fetched_at > METADATA_TTL_S:
                metadata = self._metadata = await self._fetch(now)
            elif kid not in metadata.keys and now - metadata.keys_fetched_at > KEY_REFRESH_MIN_S:
                metadata.keys = await self._fetch_keys(metadata.jwks_uri)
                metadata.keys_fetched_at = now
            return metadata

    async def _fetch(self, now: float) -> _Metadata:
        config = await self._get_json(self._metadata_url)
        issuer, jwks_uri = config.get("issuer"), config.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise InvalidCalloutToken("the tenant's OpenID metadata names no issuer or keys")
        keys = await self._fetch_keys(jwks_uri)
        return _Metadata(issuer, jwks_uri, keys, now, now)

    async def _fetch_keys(self, jwks_uri: str) -> dict[str, Any]:
        data = await self._get_json(jwks_uri)
        keys: dict[str, Any] = {}
        for entry in data.get("keys") or []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK.from_dict(entry, algorithm="RS256").key
            except jwt.PyJWTError:
                continue
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, timeout=10)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # The caller answers 401: Entra retries the callout, and the log says why.
            log.warning(
                "entitlement.metadata_unavailable",
                extra={"url": url, "error_type": type(error).__name__},
            )
            raise SigningKeysUnavailable("the tenant's signing keys could not be read") from None
        if not isinstance(data, dict):
            raise InvalidCalloutToken("the tenant's OpenID metadata is not a JSON object")
        return data
