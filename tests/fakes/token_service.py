"""A fake Bot Framework token service (`OAUTH_URL`): the `/api/usertoken/...` and
`/api/botsignin/...` endpoints botbuilder's `UserTokenClient` calls, over loopback HTTP.

- `tokens[(user_id, connection)]` is what `GetToken` answers (404 when absent);
- `exchangeable[sso_token] = user_token`: what `exchange` accepts (anything else: 400, as the
  real service answers when consent is needed);
- `magic_codes[code] = (user_id, user_token)`: a finished manual sign-in, redeemed by `GetToken`
  with `code` (the `signin/verifyState` path);
- `calls` records (endpoint, user id) of each request, never a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

EXCHANGE_URI = "api://botid-fake/access_as_user"


@dataclass
class FakeTokenService:
    """The fake's state."""

    url: str = ""
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    exchangeable: dict[str, str] = field(default_factory=dict)
    magic_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def _answer(self, user_id: str, connection: str, channel: str) -> web.Response:
        token = self.tokens.get((user_id, connection))
        if token is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response(
            {"channelId": channel, "connectionName": connection, "token": token, "expiration": ""}
        )

    async def _get_token(self, request: web.Request) -> web.Response:
        query = request.query
        user_id, connection = query.get("userId", ""), query.get("connectionName", "")
        self.calls.append(("GetToken", user_id))
        code = query.get("code")
        if code:
            redeemed = self.magic_codes.pop(code, None)
            if redeemed is None or redeemed[0] != user_id:
                return web.json_response({"error": {"code": "NotFound"}}, status=404)
            self.tokens[(user_id, connection)] = redeemed[1]
        return self._answer(user_id, connection, query.get("channelId", ""))

    async def _exchange(self, request: web.Request) -> web.Response:
        query = request.query
        user_id, connection = query.get("userId", ""), query.get("connectionName", "")
        self.calls.append(("exchange", user_id))
        body = await request.json()
        user_token = self.exchangeable.get(str(body.get("token") or ""))
        if user_token is None:
            return web.json_response(
                {"error": {"code": "ConsentRequired", "message": "consent is needed"}}, status=400
            )
        self.tokens[(user_id, connection)] = user_token
        return self._answer(user_id, connection, query.get("channelId", ""))

    async def _sign_out(self, request: web.Request) -> web.Response:
        query = request.query
        user_id = query.get("userId", "")
        self.calls.append(("SignOut", user_id))
        connection = query.get("connectionName", "")
        for key in [k for k in self.tokens if k[0] == user_id and connection in ("", k[1])]:
            del self.tokens[key]
        return web.json_response({})

    async def _sign_in_resource(self, request: web.Request) -> web.Response:
        self.calls.append(("GetSignInResource", ""))
        return web.json_response(
            {
                "signInLink": f"{self.url}/sign-in?state={request.query.get('state', '')[:16]}",
                "tokenExchangeResource": {"id": "exchange-resource", "uri": EXCHANGE_URI},
                "tokenPostResource": None,
            }
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/usertoken/GetToken", self._get_token)
        app.router.add_post("/api/usertoken/exchange", self._exchange)
        app.router.add_delete("/api/usertoken/SignOut", self._sign_out)
        app.router.add_get("/api/botsignin/GetSignInResource", self._sign_in_resource)
        return app


@asynccontextmanager
async def fake_token_service() -> AsyncIterator[FakeTokenService]:
    """The fake on an ephemeral loopback port."""
    fake = FakeTokenService()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()
