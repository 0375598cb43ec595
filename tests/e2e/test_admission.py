"""A burst of turns: only so many run at once, and every one of the rest is still answered."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from botbuilder.integration.aiohttp import CloudAdapter

import bot.edge
from tests.e2e.harness import Conversation, card_of, fake_connector
from tests.e2e.test_connector_reuse import bot_app


async def test_turns_beyond_the_limit_wait_their_turn_and_are_all_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Limit 2; eight people say "hi" at the same moment → eight help cards, never more than two
    turns running at once."""
    monkeypatch.setattr(bot.edge, "TURNS_IN_FLIGHT", 2)
    running = peak = 0
    original = CloudAdapter.process_activity

    async def counted(self: CloudAdapter, *args: Any, **kwargs: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(0)  # let the other requests reach the gate meanwhile
            return await original(self, *args, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(CloudAdapter, "process_activity", counted)
    async with (
        bot_app() as (url, _app),
        fake_connector() as connector,
        httpx.AsyncClient(timeout=30) as http,
    ):
        chats = [Conversation(url, connector, http) for _ in range(8)]
        await asyncio.gather(*(chat.say("hi") for chat in chats))
        for chat in chats:
            (answer,) = connector.in_conversation(chat.conversation_id)
            assert card_of(answer)["body"], "each person got their help card"
    assert peak == 2
