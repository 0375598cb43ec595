"""Replies reuse one connector client per service URL and travel over one pooled session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aiohttp import web

from bot.app import AUTHENTICATION, create_app
from bot.config import Settings
from bot.connector import PooledBotFrameworkAuthentication
from tests.e2e.harness import Conversation, default_recognizer, fake_connector, served


@asynccontextmanager
async def bot_app() -> AsyncIterator[tuple[str, web.Application]]:
    settings = Settings(_env_file=None, storage_url="memory://")
    app = create_app(settings, recognizer=default_recognizer())
    async with served(app) as url:
        yield url, app


async def test_many_turns_in_many_conversations_share_one_connector_client() -> None:
    """Three conversations, two turns each, one service URL → six answers, one client."""
    async with (
        bot_app() as (url, app),
        fake_connector() as connector,
        httpx.AsyncClient(timeout=30) as http,
    ):
        for _ in range(3):
            chat = Conversation(url, connector, http)
            assert await chat.say("hi")
            assert await chat.say("help")
        assert app[AUTHENTICATION].connector_count == 1


async def test_each_service_url_gets_its_own_client() -> None:
    """A second channel endpoint is a second client; the first is reused, not rebuilt."""
    async with (
        bot_app() as (url, app),
        fake_connector() as first,
        fake_connector() as second,
        httpx.AsyncClient(timeout=30) as http,
    ):
        assert await Conversation(url, first, http).say("hi")
        assert await Conversation(url, second, http).say("hi")
        assert await Conversation(url, first, http).say("hi")
        assert app[AUTHENTICATION].connector_count == 2


async def test_user_token_client_is_built_once_per_app_id() -> None:
    """`create_user_token_client` (called by CloudAdapter on every turn) reuses its client."""
    from botframework.connector.auth import ClaimsIdentity

    authentication = PooledBotFrameworkAuthentication(object())
    identity = ClaimsIdentity({}, True)
    first = await authentication.create_user_token_client(identity)
    assert await authentication.create_user_token_client(identity) is first
    await authentication.aclose()
