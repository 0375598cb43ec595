"""Authentication providers and the instance setting, with no network."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from servicenow.auth import (
    BasicAuth,
    EntraCertificateAuth,
    OAuth2Auth,
    OnBehalfOf,
)
from servicenow.errors import ConfigurationError, SignInRequired, Unauthorized
from servicenow.instance import normalise_instance


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("contoso", "https://contoso.service-now.com"),
        (" Contoso ", "https://contoso.service-now.com"),
        ("contoso.service-now.com", "https://contoso.service-now.com"),
        ("https://contoso.service-now.com/", "https://contoso.service-now.com"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
    ],
)
def test_instance_accepts_a_name_or_a_url(value: str, expected: str):
    assert normalise_instance(value) == expected


@pytest.mark.parametrize(
    "value", ["https://contoso.service-now.com/now/nav/ui", "ftp://contoso", "con toso", "http://"]
)
def test_a_wrong_instance_form_gets_a_clear_message(value: str):
    with pytest.raises(ConfigurationError, match="instance name such as `contoso`"):
        normalise_instance(value)


async def test_basic_auth_header_and_missing_password():
    headers = await BasicAuth("bot", "pw").headers()
    assert headers == {"Authorization": "Basic Ym90OnB3"}
    with pytest.raises(ConfigurationError, match="SERVICENOW_PASSWORD"):
        BasicAuth("bot", "")


class TokenServer:
    """A local `/oauth_token.do`: counts grants, expires tokens, refuses bad secrets."""

    def __init__(self, secret: str = "secret") -> None:
        self.secret = secret
        self.grants: list[str] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(form["grant_type"])
        if form["client_secret"] != self.secret:
            body = {"error_description": "access_denied", "error": "server_error"}
            return httpx.Response(401, json=body)
        self.issued += 1
        return httpx.Response(
            200,
            json={
                "access_token": f"token{self.issued}",
                "refresh_token": "refresh",
                "token_type": "Bearer",
                "expires_in": 1800,
                "scope": "useraccount",
            },
        )


def oauth(server: TokenServer, now: list[float], secret: str = "secret", **kw: Any) -> OAuth2Auth:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return OAuth2Auth(
        http, "https://acme.service-now.com", "client", secret, clock=lambda: now[0], **kw
    )


async def test_oauth_password_grant_caches_then_refreshes_before_expiry():
    server, now = TokenServer(), [0.0]
    auth = oauth(server, now, username="bot", password="pw")
    assert await auth.headers() == {"Authorization": "Bearer token1"}
    now[0] = 1000
    assert await auth.headers() == {"Authorization": "Bearer token1"}
    now[0] = 1800 - 30
    assert await auth.headers() == {"Authorization": "Bearer token2"}
    assert server.grants == ["password", "refresh_token"]


async def test_oauth_refreshes_once_after_a_401_and_client_credentials_has_no_user():
    server, now = TokenServer(), [0.0]
    auth = oauth(server, now, grant="client_credentials")
    await auth.headers()
    assert await auth.refresh() is True
    assert await auth.headers() == {"Authorization": "Bearer token2"}
    assert server.grants == ["client_credentials", "refresh_token"]


async def test_oauth_refusal_names_what_to_check_and_never_the_secret():
    server, now = TokenServer(secret="right"), [0.0]
    auth = oauth(server, now, secret="wrong-secret-value", username="bot", password="pw")
    with pytest.raises(Unauthorized) as caught:
        await auth.headers()
    message = str(caught.value)
    assert "client id/secret" in message and "user name/password" in message
    assert "wrong-secret-value" not in message and "pw" not in message.split("password")[0]


def test_oauth_settings_are_checked():
    http = httpx.AsyncClient()
    with pytest.raises(ConfigurationError, match="SERVICENOW_CLIENT_SECRET"):
        OAuth2Auth(http, "https://a", "client", "")
    with pytest.raises(ConfigurationError, match="SERVICENOW_OAUTH_GRANT"):
        OAuth2Auth(http, "https://a", "client", "s", grant="implicit")


class FakeEntra:
    """Stands in for login.microsoftonline.com behind msal's `http_client` (requests-like)."""

    def __init__(self) -> None:
        self.token_requests: list[dict[str, str]] = []

    class Response:
        def __init__(self, status: int, body: dict) -> None:
            self.status_code = status
            self.text = json.dumps(body)
            self.headers = {"content-type": "application/json"}

        def raise_for_status(self) -> None:
            if self.status_code >= 400:
                raise RuntimeError(self.status_code)

    def get(self, url: str, **kwargs: Any) -> Response:
        base = "https://login.microsoftonline.com/tenant-1"
        if "discovery/instance" in url:
            host = "login.microsoftonline.com"
            return self.Response(
                200, {"metadata": [{"preferred_network": host, "aliases": [host]}]}
            )
        return self.Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
            },
        )

    def post(self, url: str, data: Any = None, **kwargs: Any) -> Response:
        form = data if isinstance(data, dict) else dict(parse_qs(data or ""))
        self.token_requests.append(form)
        return self.Response(
            200,
            {
                "access_token": f"entra{len(self.token_requests)}",
                "expires_in": 3600,
                "token_type": "Bearer",
            },
        )

    def close(self) -> None:
        pass


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


async def test_entra_certificate_sends_a_signed_assertion_and_caches_the_token():
    entra = FakeEntra()
    auth = EntraCertificateAuth(
        "tenant-1",
        "app-1",
        "api://sn/.default",
        private_key_pem(),
        "AB" * 20,
        http_client=entra,
    )
    first = await auth.headers()
    second = await auth.headers()
    assert first == second == {"Authorization": "Bearer entra1"}
    request = entra.token_requests[0]
    assert request["grant_type"] == "client_credentials"
    assert request["client_assertion_type"].endswith("jwt-bearer")
    assert request["scope"].startswith("api://sn/.default")
    assert await auth.refresh() is True
    assert await auth.headers() == {"Authorization": "Bearer entra2"}


async def test_entra_user_exchanges_the_employees_token_on_behalf_of_them():
    entra = FakeEntra()
    obo = OnBehalfOf(
        "tenant-1", "app-1", "api://sn/user_impersonation", "app-secret", http_client=entra
    )
    with pytest.raises(SignInRequired):
        await obo.headers()  # a call that carries nobody's identity

    assert await obo.for_employee("oid-1", "employee-sso-token").headers() == {
        "Authorization": "Bearer entra1"
    }
    request = entra.token_requests[0]
    assert request["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert request["assertion"] == "employee-sso-token"
    assert request["requested_token_use"] == "on_behalf_of"


def test_entra_settings_are_checked():
    with pytest.raises(ConfigurationError, match="ENTRA_CERTIFICATE_THUMBPRINT"):
        EntraCertificateAuth("t", "c", "s", "", "")
    with pytest.raises(ConfigurationError, match="ENTRA_TENANT_ID"):
        OnBehalfOf("", "c", "s", "secret")
