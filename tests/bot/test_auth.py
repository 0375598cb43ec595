"""Inbound authentication through the real aiohttp app: accepted with a local signing key,
401 for every forged, broken or unverifiable token — never a 500, never a turn.

A local OpenID metadata document and JWKS on 127.0.0.1 stand in for login.botframework.com
(channel tokens) and login.microsoftonline.com (Emulator tokens); the bot is pointed at them
through its settings (`BotOpenIdMetadata`, `BOT_EMULATOR_OPENID_METADATA`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from botbuilder.schema import Activity
from botframework.connector.auth import MicrosoftAppCredentials
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.auth import FailClosedAuthentication, TokenRejected, structural_problem
from bot.config import BotFrameworkConfig, Settings
from tests.e2e.harness import Conversation, _serve, running_bot

APP_ID = "00000000-0000-0000-0000-0000000000b1"
CHANNEL_ISSUER = "https://api.botframework.com"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
KID = "snowdesk-test-key"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _rsa_key()
FORGER_KEY = _rsa_key()


@dataclass
class OpenIdServer:
    """OpenID metadata + JWKS on loopback; `broken` makes one of them fail on purpose."""

    url: str = ""
    broken: str = ""
    key_fetches: int = 0
    endorsements: list[str] = field(default_factory=lambda: ["msteams", "emulator", "webchat"])

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        return {"keys": [{**jwk, "kid": KID, "use": "sig", "endorsements": self.endorsements}]}

    def app(self) -> web.Application:
        async def metadata(request: web.Request) -> web.StreamResponse:
            if self.broken == "metadata":
                return web.Response(status=503)
            if self.broken == "metadata-garbage":
                return web.Response(text="<html>not json</html>", content_type="text/html")
            issuer = CHANNEL_ISSUER if "channel" in request.path else EMULATOR_ISSUER
            return web.json_response({"issuer": issuer, "jwks_uri": f"{self.url}/keys"})

        async def keys(request: web.Request) -> web.StreamResponse:
            self.key_fetches += 1
            if self.broken == "keys":
                return web.Response(status=500)
            return web.json_response(self.jwks())

        app = web.Application()
        app.router.add_get("/channel/openidconfiguration", metadata)
        app.router.add_get("/emulator/openid-configuration", metadata)
        app.router.add_get("/keys", keys)
        return app


@pytest.fixture
async def openid() -> AsyncIterator[OpenIdServer]:
    server = OpenIdServer()
    runner, server.url = await _serve(server.app())
    try:
        yield server
    finally:
        await runner.cleanup()


def bot_settings(metadata_base: str, variant: str = "") -> Settings:
    """An app id and the local metadata; `variant` makes the URLs new (botbuilder caches keys
    per metadata URL for the life of the process)."""
    query = f"?variant={variant}" if variant else ""
    return Settings(
        _env_file=None,
        storage_url="memory://",
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-used-outbound-is-faked",
        BotOpenIdMetadata=f"{metadata_base}/channel/openidconfiguration{query}",
        BOT_EMULATOR_OPENID_METADATA=f"{metadata_base}/emulator/openid-configuration{query}",
    )


@pytest.fixture
def outbound_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replies need the bot's own token from Entra ID; the test fakes only that call."""
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, *a: "outbound")


@pytest.fixture
async def chat(openid: OpenIdServer, outbound_token: None) -> AsyncIterator[Conversation]:
    async with running_bot(bot_settings(openid.url)) as conversation:
        conversation.channel_id = "msteams"
        yield conversation


def sign(claims: dict[str, Any], key: Any = SIGNING_KEY, **header: Any) -> str:
    headers = {"kid": KID, **header}
    return jwt.encode(claims, key, algorithm=headers.pop("alg", "RS256"), headers=headers)


def channel_claims(service_url: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": CHANNEL_ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + 3600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    return f"{_b64({'alg': alg, 'kid': KID, 'typ': 'JWT'})}.{_b64(claims)}."


async def post(chat: Conversation, authorization: str | None, **fields: Any) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    activity = chat.activity("message", text="hi", **fields)
    response = await chat.http.post(f"{chat.bot_url}/api/messages", json=activity, headers=headers)
    return response.status_code


# --- acceptance -----------------------------------------------------------------------------


async def test_a_channel_token_signed_with_the_published_key_is_accepted(
    chat: Conversation,
) -> None:
    """Teams → a token signed by the key in the JWKS, for this app and this serviceUrl → the turn
    runs and the reply reaches the channel carrying the bot's own outbound token."""
    token = sign(channel_claims(chat.connector.url))
    assert await post(chat, f"Bearer {token}") == 201
    assert chat.connector.replies(), "the turn ran and answered"


async def test_an_emulator_token_for_this_app_is_accepted(chat: Conversation) -> None:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": EMULATOR_ISSUER,
        "ver": "1.0",
        "appid": APP_ID,
        "aud": APP_ID,
    }
    claims |= {"nbf": now - 60, "exp": now + 3600}
    chat.channel_id = "emulator"
    assert await post(chat, f"Bearer {sign(claims)}") == 201


# --- rejection --------------------------------------------------------------------------------

Forgery = Callable[[str], str | None]
NOW = int(time.time())

FORGERIES: dict[str, Forgery] = {
    "no Authorization header": lambda url: None,
    "empty header": lambda url: "",
    "Basic credentials": lambda url: "Basic dXNlcjpwYXNz",
    "bearer in lower case": lambda url: "bearer " + sign(channel_claims(url)),
    "Bearer and nothing": lambda url: "Bearer",
    "garbage": lambda url: "Bearer not-a-jwt",
    "three garbage parts": lambda url: "Bearer a.b.c",
    "garbage signature": lambda url: "Bearer " + sign(channel_claims(url))[:-20] + "A" * 20,
    "signature cut off": lambda url: "Bearer " + sign(channel_claims(url)).rsplit(".", 1)[0] + ".",
    "payload not JSON": lambda url: (
        f"Bearer {_b64({'alg': 'RS256', 'kid': KID})}.{_b64(b'nope')}.c2ln"
    ),
    "header not JSON": lambda url: f"Bearer {_b64(b'{{{')}.{_b64({'iss': CHANNEL_ISSUER})}.c2ln",
    "7 000-character token": lambda url: "Bearer " + "a" * 7_000 + ".b.c",
    "own RSA key, unknown kid": lambda url: (
        "Bearer " + sign(channel_claims(url), FORGER_KEY, kid="forger")
    ),
    "own RSA key, real kid": lambda url: "Bearer " + sign(channel_claims(url), FORGER_KEY),
    "own RSA key, no kid": lambda url: (
        "Bearer " + jwt.encode(channel_claims(url), FORGER_KEY, algorithm="RS256")
    ),
    "alg none": lambda url: "Bearer " + unsigned(channel_claims(url)),
    "alg None": lambda url: "Bearer " + unsigned(channel_claims(url), alg="None"),
    "HS256 keyed with the public key": lambda url: (
        "Bearer " + _hs256_with_public_key(channel_claims(url))
    ),
    "HS256 with a random secret": lambda url: (
        "Bearer " + sign(channel_claims(url), "s3cret-s3cret-s3cret-s3cret-s3cret", alg="HS256")
    ),
    "HS512": lambda url: "Bearer " + sign(channel_claims(url), "s3cret" * 12, alg="HS512"),
    "alg ES256 header on an RSA signature": lambda url: (
        "Bearer " + _swap_alg(sign(channel_claims(url)), "ES256")
    ),
    "alg PS256 header": lambda url: "Bearer " + _swap_alg(sign(channel_claims(url)), "PS256"),
    "expired an hour ago": lambda url: (
        "Bearer " + sign(channel_claims(url, exp=NOW - 3600, iat=NOW - 7200, nbf=NOW - 7200))
    ),
    "not valid for another hour": lambda url: (
        "Bearer " + sign(channel_claims(url, nbf=NOW + 3600, iat=NOW + 3600, exp=NOW + 7200))
    ),
    "no expiry": lambda url: "Bearer " + sign(channel_claims(url, exp=None)),
    "wrong audience": lambda url: "Bearer " + sign(channel_claims(url, aud="someone-else")),
    "no audience": lambda url: "Bearer " + sign(channel_claims(url, aud=None)),
    "wrong issuer": lambda url: "Bearer " + sign(channel_claims(url, iss="https://evil.example")),
    "no issuer": lambda url: "Bearer " + sign(channel_claims(url, iss=None)),
    "expiry not a number": lambda url: "Bearer " + sign(channel_claims(url, exp="tomorrow")),
    "wrong serviceurl claim": lambda url: (
        "Bearer " + sign(channel_claims("https://smba.evil.example/"))
    ),
    "no serviceurl claim": lambda url: "Bearer " + sign(channel_claims(url, serviceurl=None)),
    "Emulator issuer, another app": lambda url: (
        "Bearer "
        + sign({"iss": EMULATOR_ISSUER, "ver": "1.0", "appid": "other", "exp": NOW + 3600})
    ),
    "Emulator issuer, unknown version": lambda url: (
        "Bearer " + sign({"iss": EMULATOR_ISSUER, "ver": "9.9", "appid": APP_ID, "exp": NOW + 3600})
    ),
    "Emulator issuer, forged key": lambda url: (
        "Bearer "
        + sign(
            {"iss": EMULATOR_ISSUER, "ver": "1.0", "appid": APP_ID, "exp": NOW + 3600}, FORGER_KEY
        )
    ),
}


def _hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC keyed with the published RSA public key."""
    import hashlib
    import hmac

    public_pem = SIGNING_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = f"{_b64({'alg': 'HS256', 'kid': KID, 'typ': 'JWT'})}.{_b64(claims)}"
    mac = hmac.new(public_pem, head.encode(), hashlib.sha256).digest()
    return f"{head}.{_b64(mac)}"


def _swap_alg(token: str, alg: str) -> str:
    _, payload, signature = token.split(".")
    return f"{_b64({'alg': alg, 'kid': KID})}.{payload}.{signature}"


@pytest.mark.parametrize("name", list(FORGERIES))
async def test_a_forged_or_broken_token_gets_401_and_no_turn(
    chat: Conversation, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    authorization = FORGERIES[name](chat.connector.url)
    with caplog.at_level(logging.INFO):
        assert await post(chat, authorization) == 401
    assert chat.connector.activities == []
    rejected = [r for r in caplog.records if r.getMessage() == "auth.rejected"]
    assert len(rejected) == 1, "one log line naming why"
    assert rejected[0].reason  # type: ignore[attr-defined]
    _assert_no_token_logged(caplog, authorization)


async def test_a_channel_the_key_does_not_endorse_gets_401(chat: Conversation) -> None:
    """The signing key is endorsed for msteams/emulator/webchat; a 'slack' activity is refused."""
    chat.channel_id = "slack"
    assert await post(chat, f"Bearer {sign(channel_claims(chat.connector.url))}") == 401


@pytest.mark.parametrize("broken", ["metadata", "metadata-garbage", "keys"])
async def test_unreachable_or_broken_signing_keys_get_401(
    openid: OpenIdServer, outbound_token: None, broken: str
) -> None:
    openid.broken = broken
    async with running_bot(bot_settings(openid.url, variant=broken)) as chat:
        chat.channel_id = "msteams"
        assert await post(chat, f"Bearer {sign(channel_claims(chat.connector.url))}") == 401
        assert chat.connector.activities == []


async def test_a_closed_key_endpoint_gets_401(outbound_token: None) -> None:
    """Nothing listens where the keys should be: 401, not 500."""
    async with running_bot(bot_settings("http://127.0.0.1:9")) as chat:
        chat.channel_id = "msteams"
        assert await post(chat, f"Bearer {sign(channel_claims(chat.connector.url))}") == 401


async def test_the_forged_variants_add_up(chat: Conversation) -> None:
    """The figure for the issue: every forged variant is a 401, none a 5xx."""
    statuses = [await post(chat, forge(chat.connector.url)) for forge in FORGERIES.values()]
    assert statuses.count(401) == len(FORGERIES) >= 35
    assert chat.connector.activities == []


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("Bearer " + unsigned({"iss": CHANNEL_ISSUER}), "algorithm 'none' is not allowed"),
        ("Bearer x.y", "not a JWT"),
        ("Bearer " + sign({"iss": CHANNEL_ISSUER}), "no expiry"),
        ("Token abc", "not a Bearer token"),
    ],
)
def test_structural_problems_are_found_without_the_network(header: str, problem: str) -> None:
    assert structural_problem(header) == problem


def _assert_no_token_logged(caplog: pytest.LogCaptureFixture, authorization: str | None) -> None:
    token = (authorization or "").partition(" ")[2]
    if len(token) < 12:
        return
    for record in caplog.records:
        assert token not in record.getMessage()
        assert all(token not in str(value) for value in vars(record).values())


def test_the_public_cloud_is_the_default_and_settings_can_point_elsewhere() -> None:
    default = BotFrameworkConfig(Settings(_env_file=None, BotOpenIdMetadata=""))
    assert default.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL == (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    assert default.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == CHANNEL_ISSUER
    local = BotFrameworkConfig(bot_settings("http://127.0.0.1:1"))
    assert local.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL.startswith("http://127.0.0.1:1/")
    assert local.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL.startswith("http://127.0.0.1:1/")


async def test_a_key_endpoint_that_hangs_is_a_401_within_the_time_limit() -> None:
    """botbuilder blocks in `requests` while the keys do not come; the wrapper stops waiting
    (the worker thread is released once the test lets the fake endpoint go)."""
    released = threading.Event()

    class Hanging:
        async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
            released.wait(10)  # a blocking call, as botbuilder's requests.get is
            raise AssertionError("never reached in time")

    auth = FailClosedAuthentication(Hanging(), anonymous=False, timeout=0.05)
    activity = Activity(type="message", id="1", channel_id="msteams")
    token = sign(channel_claims("https://smba.trafficmanager.net/emea/"))
    with pytest.raises(TokenRejected) as raised:
        await auth.authenticate_request(activity, f"Bearer {token}")
    released.set()
    auth.close()
    assert raised.value.reason == "signing keys did not answer in time"
