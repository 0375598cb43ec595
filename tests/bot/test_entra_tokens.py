"""Callout token validation against a tenant's OpenID metadata (served by httpx.MockTransport)."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from bot.entra_tokens import (
    KEY_REFRESH_MIN_S,
    EntraTokenValidator,
    InvalidCalloutToken,
    SigningKeysUnavailable,
)
from tests.fakes.microsoft import AUDIENCE, TENANT, FakeMicrosoft, _pem, _rsa_key

HOST = "https://login.example"


class Tenant:
    """The tenant's metadata and keys; counts how often they were read."""

    def __init__(self) -> None:
        self.fake = FakeMicrosoft(base_url=HOST.removesuffix("/entra"))
        self.reads = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.reads += 1
        if self.down:
            return httpx.Response(503)
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "issuer": f"https://login.example/{TENANT}/v2.0",
                    "jwks_uri": f"{HOST}/{TENANT}/discovery/v2.0/keys",
                },
            )
        return httpx.Response(200, json=self.fake.jwks())

    def token(self, **options: object) -> str:
        options.setdefault("issuer", f"https://login.example/{TENANT}/v2.0")
        return self.fake.callout_token(**options)  # type: ignore[arg-type]


@pytest.fixture
def tenant() -> Tenant:
    return Tenant()


def validator(
    tenant: Tenant, clock: object = time.time, audience: str = AUDIENCE
) -> EntraTokenValidator:
    http = httpx.AsyncClient(transport=httpx.MockTransport(tenant.handler))
    return EntraTokenValidator(http, HOST, TENANT, audience, clock=clock)  # type: ignore[arg-type]


async def test_a_valid_token_passes_and_metadata_is_read_once(tenant: Tenant) -> None:
    check = validator(tenant)
    for _ in range(3):
        claims = await check.validate(f"Bearer {tenant.token()}")
        assert claims["aud"] == AUDIENCE
    assert tenant.reads == 2  # metadata + keys, then cached


async def test_v1_issuer_and_app_id_uri_audience_are_accepted(tenant: Tenant) -> None:
    check = validator(tenant)
    await check.validate(f"Bearer {tenant.token(issuer=f'https://sts.windows.net/{TENANT}/')}")
    await check.validate(f"Bearer {tenant.token(audience=f'api://{AUDIENCE}')}")
    with pytest.raises(InvalidCalloutToken, match="another tenant"):
        await check.validate(f"Bearer {tenant.token(issuer='https://sts.windows.net/other/')}")


async def test_hs256_signed_with_the_public_key_is_refused(tenant: Tenant) -> None:
    # The classic confusion attack: HMAC "signed" with a secret the attacker chose.
    public = b"the-public-key-as-an-hmac-secret"
    token = jwt.encode({"aud": AUDIENCE, "exp": int(time.time()) + 60}, public, "HS256")
    with pytest.raises(InvalidCalloutToken, match="algorithm"):
        await validator(tenant).validate(f"Bearer {token}")


async def test_rolled_keys_are_refetched_but_not_on_every_unknown_kid(tenant: Tenant) -> None:
    now = [1_000_000.0]
    check = validator(tenant, clock=lambda: now[0])
    await check.validate(f"Bearer {tenant.token()}")
    tenant.fake.signing_key, tenant.fake.kid = _rsa_key(), "rolled-key"  # Entra rolls its key
    now[0] += KEY_REFRESH_MIN_S + 1
    await check.validate(f"Bearer {tenant.token()}")  # the new key is fetched
    reads = tenant.reads
    for _ in range(3):
        with pytest.raises(InvalidCalloutToken, match="does not publish"):
            await check.validate(f"Bearer {tenant.token(kid='other')}")
    assert tenant.reads == reads  # keys were just fetched: an unknown kid waits


async def test_unreadable_metadata_is_its_own_error(tenant: Tenant) -> None:
    tenant.down = True
    with pytest.raises(SigningKeysUnavailable):
        await validator(tenant).validate(f"Bearer {tenant.token()}")


async def test_a_token_signed_by_another_key_with_the_right_kid_is_refused(tenant: Tenant) -> None:
    forged = jwt.encode(
        {
            "aud": AUDIENCE,
            "iss": f"https://login.example/{TENANT}/v2.0",
            "exp": int(time.time()) + 60,
        },
        _pem(_rsa_key()),
        "RS256",
        headers={"kid": "fake-signing-key"},
    )
    with pytest.raises(InvalidCalloutToken, match="InvalidSignatureError"):
        await validator(tenant).validate(f"Bearer {forged}")
