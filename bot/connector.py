"""Connector clients built once per service URL, replies sent over one pooled aiohttp session.

Stock `CloudAdapter` builds a new `ConnectorClient` and `TokenApiClient` for every turn; each
builds an msrest `Configuration`, whose retry policy alone costs more CPU than the rest of an
echo bot's turn, and sends through `requests` in executor threads. `PooledBotFrameworkAuthentication`
keeps one connector client per (app id, service URL, audience) and one user-token client per
app id, and points every connector client at one `aiohttp.ClientSession`: keep-alive connections
per service URL, one TLS context for the process, no thread per reply.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from enum import Enum
from typing import Any

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import (
    AuthenticateRequestResult,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest import Serializer
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model
from msrest.universal_http.async_abc import AsyncClientResponse
from multidict import CIMultiDict

# Service URLs come from activities: a bound keeps a flood of made-up ones from growing memory.
MAX_CLIENTS = 64
# Teams answers a reply in well under a second; a stuck connector must not hold a turn forever.
REPLY_TIMEOUT_S = 30.0


class PooledBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication):
    """Bot Framework authentication as configured, with clients reused across turns."""

    def __init__(self, configuration: Any, **options: Any) -> None:
        super().__init__(configuration, **options)
        self._session: aiohttp.ClientSession | None = None
        self._factories: OrderedDict[str, _ReusingConnectorFactory] = OrderedDict()
        self._connectors: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._token_clients: OrderedDict[str, UserTokenClient] = OrderedDict()

    async def authenticate_request(
        self, activity: Any, auth_header: str
    ) -> AuthenticateRequestResult:
        """Authenticate as botbuilder does; the result's connector factory reuses clients."""
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self._factory(
                _app_id(result.claims_identity), result.connector_factory
            )
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """The reusing factory for this identity's app id (proactive sends, continue_conversation)."""
        app_id = _app_id(claims_identity)
        return self._factory(app_id, super().create_connector_factory(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        """One user-token client per app id: building one costs an msrest configuration."""
        app_id = _app_id(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await super().create_user_token_client(claims_identity)
            _remember(self._token_clients, app_id, client)
        return client

    async def aclose(self) -> None:
        """Close the reply session (its keep-alive connections)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._connectors.clear()

    @property
    def connector_count(self) -> int:
        """How many connector clients exist (tests: one for many turns)."""
        return len(self._connectors)

    def _factory(self, app_id: str, inner: ConnectorFactory) -> ConnectorFactory:
        factory = self._factories.get(app_id)
        if factory is None:
            factory = _ReusingConnectorFactory(self, app_id, inner)
            _remember(self._factories, app_id, factory)
        return factory

    async def connector_for(
        self, app_id: str, inner: ConnectorFactory, service_url: str, audience: str | None
    ) -> Any:
        """The connector client for this app id, service URL and audience, built on first use."""
        key = (app_id, service_url, audience or "")
        client = self._connectors.get(key)
        if client is None:
            client = await inner.create(service_url, audience)
            client.config.pipeline = self._pipeline(client.config)
            # The operations keep the serializer they were given; this one writes replies fast.
            client.conversations._serialize = _ActivitySerializer(client._serialize.dependencies)
            _remember(self._connectors, key, client)
        else:
            self._connectors.move_to_end(key)
        return client

    def _pipeline(self, config: Any) -> AsyncPipeline[Any, Any]:
        """msrest's own policies (user agent, deserializer, logging) in front of our sender."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)
            )
        policies = [
            config.user_agent_policy,
            _CredentialsPolicy(config.credentials),
            RawDeserializer(),
            config.http_logger_policy,
        ]
        return AsyncPipeline(policies, _SessionSender(self._session))


class _ActivitySerializer(Serializer):
    """msrest's serializer, except that an outgoing `Activity` is written straight from its
    models' attribute maps: the same JSON, without msrest's two validating passes over every
    field (model → dict → checked dict), and an Adaptive Card (already a dict) as it is.

    Those passes were a fifth of a busy bot's CPU (py-spy), spent on the bot's own replies.
    Anything that is not plain model data (a type msrest would convert) falls back to msrest.
    """

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type == "Activity" and isinstance(data, Model):
            try:
                return _wire(data)
            except _NotPlain:
                pass
        return super().body(data, data_type, **kwargs)


class _NotPlain(Exception):
    """A value `_wire` leaves to msrest."""


_PLAIN = (str, int, float, bool)


def _wire(value: Any) -> Any:
    """A model's JSON as msrest writes it: keys from `_attribute_map`, None fields left out."""
    if isinstance(value, Model):
        out = {}
        for name, spec in value._attribute_map.items():
            item = getattr(value, name, None)
            if item is not None:
                out[spec["key"]] = _wire(item)
        return out
    if isinstance(value, list):
        return [_wire(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _PLAIN):
        return value
    raise _NotPlain(type(value).__name__)


class _ReusingConnectorFactory(ConnectorFactory):
    """A `ConnectorFactory` whose `create` hands back the client it built before."""

    def __init__(
        self, owner: PooledBotFrameworkAuthentication, app_id: str, inner: ConnectorFactory
    ) -> None:
        self._owner = owner
        self._app_id = app_id
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        return await self._owner.connector_for(self._app_id, self._inner, service_url, audience)


class _Headers:
    """What `AppCredentials.signed_session` writes to: a session's `headers`, nothing else."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class _CredentialsPolicy(AsyncHTTPPolicy[Any, Any]):
    """The bearer token of the app's credentials on each request; none in anonymous mode.

    Getting a token may go to the network (msal), so it runs off the event loop.
    """

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request[Any], **kwargs: Any) -> Response[Any, Any]:
        if getattr(self._credentials, "microsoft_app_id", None):
            signed = await asyncio.to_thread(self._credentials.signed_session, _Headers())
            request.http_request.headers.update(signed.headers)
        assert self.next is not None, "the pipeline links every policy to the next"
        return await self.next.send(request, **kwargs)


class _SessionSender(AsyncHTTPSender[Any, Any]):
    """Sends msrest requests over a shared aiohttp session (the pipeline's last step)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> _SessionSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        """The session outlives any one client: `PooledBotFrameworkAuthentication` closes it."""

    async def send(self, request: Request[Any], **config: Any) -> Response[Any, Any]:
        http_request = request.http_request
        async with self._session.request(
            http_request.method,
            http_request.url,
            headers=http_request.headers,
            data=http_request.data,
        ) as answer:
            body = await answer.read()
        return Response(request, _Reply(http_request, answer, body))


class _Reply(AsyncClientResponse):
    """A connector's answer, read whole (replies are small; an empty body is valid)."""

    def __init__(self, request: Any, answer: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, answer)
        self.status_code = answer.status
        self.headers = CIMultiDict(answer.headers)
        self.reason = answer.reason
        self._body = body

    def body(self) -> bytes:
        return self._body


def _app_id(claims_identity: ClaimsIdentity) -> str:
    """The bot's app id as botbuilder reads it from the claims (audience, else appid)."""
    claims = claims_identity.claims if claims_identity is not None else {}
    return str(claims.get("aud") or claims.get("appid") or "")


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    while len(cache) > MAX_CLIENTS:
        cache.popitem(last=False)
