"""A fake Microsoft Entra ID and Microsoft Graph on one loopback HTTPS server, for ticketed access.

- `/entra/{tenant}/v2.0/.well-known/openid-configuration`, `/entra/{tenant}/discovery/v2.0/keys`
  and `/entra/{tenant}/oauth2/v2.0/token` (client credentials, secret or certificate): what msal
  and the callout validator read. Point `ENTRA_AUTHORITY_HOST` at `{base_url}/entra`.
- `/graph/v1.0/identityGovernance/entitlementManagement/{accessPackageAssignmentRequests |
  assignmentRequests}/{id}/resume`: records every call (`resumes`); `faults` is a queue of
  statuses to answer first (e.g. `[429, 503]`). Point `GRAPH_URL` at `{base_url}/graph/v1.0`.
- `callout_token(...)` mints the bearer token entitlement management would send.

HTTPS because msal accepts only https authorities: the server's self-signed certificate is
written to `ca_file`; set `REQUESTS_CA_BUNDLE` (msal) and `SSL_CERT_FILE` (httpx) to it.

Testers can run it on its own: `.venv/bin/python -m tests.fakes.microsoft --port 8443` prints
the settings to use and a callout token for curl.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import ipaddress
import ssl
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "22222222-3333-4444-5555-666666666666"
CLIENT_SECRET = "fake-graph-secret"
AUDIENCE = "33333333-4444-5555-6666-777777777777"
# The app id the callout token names as its caller (entitlement management's, in a tenant).
CALLER_APP_ID = "44444444-5555-6666-7777-888888888888"
KID = "fake-signing-key"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The ServiceNow resource app's scope an on-behalf-of exchange asks for (Teams SSO, issue 17).
SERVICENOW_SCOPE = "api://servicenow-fake/user_impersonation"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _shared_key() -> rsa.RSAPrivateKey:
    """One key per test session for the fake's signing and TLS (generating one costs ~0.1 s)."""
    return _rsa_key()


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _self_signed(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "snowdesk fake microsoft")])
    now = dt.datetime.now(dt.UTC)
    alt = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(alt, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Resume:
    """One `resume` call Graph answered 204 to."""

    request_id: str
    body: dict[str, Any]
    at: float  # time.perf_counter()


@dataclass
class FakeMicrosoft:
    """The fake's state: what it was asked, and the faults it will answer with."""

    tenant: str = TENANT
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    base_url: str = ""
    ca_file: str = ""
    resumes: list[Resume] = field(default_factory=list)
    resume_attempts: int = 0
    token_requests: int = 0
    faults: list[int] = field(default_factory=list)
    signing_key: rsa.RSAPrivateKey = field(default_factory=_shared_key)
    kid: str = KID
    _issued: set[str] = field(default_factory=set)
    # On-behalf-of: each exchange asked (the assertion's oid and the scope), how long the
    # ServiceNow tokens it issues live, and employees (oid) whose consent was revoked.
    obo_requests: list[dict[str, str]] = field(default_factory=list)
    obo_lifetime: int = 3599
    revoked: set[str] = field(default_factory=set)

    @property
    def authority_host(self) -> str:
        """What ENTRA_AUTHORITY_HOST should be."""
        return f"{self.base_url}/entra"

    @property
    def graph_url(self) -> str:
        """What GRAPH_URL should be."""
        return f"{self.base_url}/graph/v1.0"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/entra/{self.tenant}/v2.0"

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
        return {"keys": [public | {"kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def callout_token(
        self,
        audience: str = AUDIENCE,
        *,
        expires_in: float = 3600,
        key: rsa.RSAPrivateKey | None = None,
        issuer: str | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """A token as Entra issues it to entitlement management for the custom extension's
        resource app; `key`, `issuer`, `expires_in` < 0 and `audience` make forged ones."""
        now = int(time.time())
        body = {
            "aud": audience,
            "iss": issuer or self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + int(expires_in),
            "appid": CALLER_APP_ID,
            "tid": self.tenant,
            "sub": str(uuid.uuid4()),
        } | claims
        headers = {"kid": kid or self.kid}
        return jwt.encode(body, _pem(key or self.signing_key), "RS256", headers=headers)

    def sso_token(
        self, upn: str, name: str, oid: str, *, audience: str = "", expires_in: float = 3600
    ) -> str:
        """The employee's token for the bot's API, as the Bot Framework token service hands it
        back after a Teams SSO exchange (the on-behalf-of assertion)."""
        now = int(time.time())
        body = {
            "aud": audience or self.client_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + int(expires_in),
            "tid": self.tenant,
            "oid": oid,
            "sub": oid,
            "upn": upn,
            "preferred_username": upn,
            "email": upn,
            "name": name,
            "scp": "access_as_user",
            # Each token differs, as Entra's do (msal replays a refused request's answer for
            # an identical assertion for a while).
            "uti": str(uuid.uuid4()),
        }
        return jwt.encode(body, _pem(self.signing_key), "RS256", headers={"kid": self.kid})

    def _on_behalf_of(self, form: Any) -> web.Response:
        """A ServiceNow token for the assertion's owner (aud = the ServiceNow resource app)."""
        try:
            claims = jwt.decode(
                str(form.get("assertion") or ""),
                self.signing_key.public_key(),
                algorithms=["RS256"],
                audience=[self.client_id, f"api://{self.client_id}"],
                issuer=self.issuer,
            )
        except jwt.PyJWTError as error:
            return web.json_response(
                {"error": "invalid_grant", "error_description": type(error).__name__}, status=400
            )
        scopes = str(form.get("scope") or "").split()
        resource = next((s for s in scopes if s.startswith("api://")), "")
        self.obo_requests.append({"oid": str(claims.get("oid")), "scope": resource})
        if str(claims.get("oid")) in self.revoked:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "AADSTS65001 consent revoked"},
                status=400,
            )
        now = int(time.time())
        token = jwt.encode(
            {
                "aud": resource.rsplit("/", 1)[0],
                "iss": self.issuer,
                "iat": now,
                "exp": now + self.obo_lifetime,
                "oid": claims.get("oid"),
                "upn": claims.get("upn"),
                "email": claims.get("email"),
                "name": claims.get("name"),
                "scp": resource.rsplit("/", 1)[-1],
            },
            _pem(self.signing_key),
            "RS256",
            headers={"kid": self.kid},
        )
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.obo_lifetime, "access_token": token}
        )

    # -- Entra -------------------------------------------------------------------------------

    async def _openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant != self.tenant:
            return web.json_response({"error": "invalid_tenant"}, status=400)
        base = f"{self.base_url}/entra/{tenant}"
        return web.json_response(
            {
                "issuer": self.issuer,
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response(self.jwks())

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        ok_client = form.get("client_id") == self.client_id
        ok_secret = form.get("client_secret") == self.client_secret or bool(
            form.get("client_assertion")
        )
        if form.get("grant_type") == JWT_BEARER and ok_client and ok_secret:
            return self._on_behalf_of(form)
        if form.get("grant_type") != "client_credentials" or not ok_client or not ok_secret:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401
            )
        token = jwt.encode(
            {
                "aud": "https://graph.microsoft.com",
                "iss": f"https://sts.windows.net/{self.tenant}/",
                "exp": int(time.time()) + 3600,
                "appid": self.client_id,
                "roles": ["EntitlementManagement.ReadWrite.All"],
            },
            _pem(self.signing_key),
            "RS256",
            headers={"kid": self.kid},
        )
        self._issued.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    # -- Graph -------------------------------------------------------------------------------

    async def _resume(self, request: web.Request) -> web.Response:
        self.resume_attempts += 1
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self._issued:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        if self.faults:
            status = self.faults.pop(0)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return web.json_response(
                {"error": {"code": "TooManyRequests" if status == 429 else "ServiceUnavailable"}},
                status=status,
                headers=headers,
            )
        body = await request.json()
        self.resumes.append(Resume(request.match_info["id"], body, time.perf_counter()))
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_no_keep_alive])
        app.router.add_get("/entra/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_get("/entra/{tenant}/discovery/v2.0/keys", self._keys)
        app.router.add_post("/entra/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post(
            "/graph/v1.0/identityGovernance/entitlementManagement/{collection}/{id}/resume",
            self._resume,
        )
        return app


def _tls(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (written for clients to trust) and its context."""
    tls_key = _shared_key()
    cert, key = folder / "fake-microsoft.pem", folder / "fake-microsoft.key"
    cert.write_bytes(_self_signed(tls_key))
    key.write_bytes(_pem(tls_key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@web.middleware
async def _no_keep_alive(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer closes its connection: msal's pooled HTTPS connections would otherwise
    outlive the server in a test."""
    response: web.StreamResponse = await handler(request)
    response.force_close()
    return response


@asynccontextmanager
async def fake_microsoft(
    port: int = 0, directory: str | None = None
) -> AsyncIterator[FakeMicrosoft]:
    """The fake, serving HTTPS on 127.0.0.1 (an ephemeral port by default)."""
    fake = FakeMicrosoft()
    with tempfile.TemporaryDirectory(dir=directory) as folder:
        cert, context = _tls(Path(folder))
        runner = web.AppRunner(fake.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context)
        await site.start()
        fake.base_url = f"https://127.0.0.1:{runner.addresses[0][1]}"
        fake.ca_file = str(cert)
        try:
            yield fake
        finally:
            await runner.cleanup()


async def _serve(port: int) -> None:
    async with fake_microsoft(port) as fake:
        print(
            "\n".join(
                [
                    f"Fake Microsoft Entra ID + Graph at {fake.base_url}",
                    "Settings for `snowdesk run` (e.g. in .env):",
                    f"  ENTRA_AUTHORITY_HOST={fake.authority_host}",
                    f"  GRAPH_URL={fake.graph_url}",
                    f"  ENTRA_TENANT_ID={fake.tenant}",
                    f"  GRAPH_CLIENT_ID={fake.client_id}",
                    f"  GRAPH_CLIENT_SECRET={fake.client_secret}",
                    f"  ENTITLEMENT_AUDIENCE={AUDIENCE}",
                    f"  REQUESTS_CA_BUNDLE={fake.ca_file}",
                    f"  SSL_CERT_FILE={fake.ca_file}",
                    "A callout token (valid 1 h):",
                    f"  {fake.callout_token()}",
                ]
            ),
            flush=True,
        )
        await asyncio.Event().wait()


def main() -> None:
    """Serve the fake until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8443)
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
