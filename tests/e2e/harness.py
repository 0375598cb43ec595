"""End-to-end harness: the real bot app on an ephemeral port, and a fake channel connector.

The connector stands in for Teams/the Emulator at `serviceUrl`: it records every activity the
bot POSTs to `/v3/conversations/{id}/activities[/{replyToId}]`. A turn runs inside the HTTP
request, so when the POST to `/api/messages` returns, every reply has been recorded.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from dialogs.recognizer import Recognizer


@dataclass
class FakeConnector:
    """Records the activities the bot sends back to the channel."""

    url: str = ""
    activities: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def _receive(self, request: web.Request) -> web.Response:
        activity = await request.json()
        activity["_conversation"] = request.match_info["conversation_id"]
        self.activities.append(activity)
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    async def _member(self, request: web.Request) -> web.Response:
        # Teams' member lookup, which botbuilder makes for each member who joins a team.
        member_id = request.match_info["member_id"]
        return web.json_response({"id": member_id, "name": f"Member {member_id}"})

    def app(self) -> web.Application:
        app = web.Application()
        path = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(path, self._receive)
        app.router.add_post(path + "/{reply_to_id}", self._receive)
        app.router.add_put(path + "/{reply_to_id}", self._receive)
        app.router.add_get("/v3/conversations/{conversation_id}/members/{member_id}", self._member)
        return app

    def replies(self, since: int = 0) -> list[dict[str, Any]]:
        """Messages (not typing indicators) sent since the given index."""
        return [a for a in self.activities[since:] if a.get("type") == "message"]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@asynccontextmanager
async def fake_connector() -> AsyncIterator[FakeConnector]:
    """A running fake channel connector on an ephemeral loopback port."""
    connector = FakeConnector()
    runner, connector.url = await _serve(connector.app())
    try:
        yield connector
    finally:
        await runner.cleanup()


@dataclass
class Conversation:
    """One user talking to the bot through the channel, as the Emulator does."""

    bot_url: str
    connector: FakeConnector
    http: httpx.AsyncClient
    channel_id: str = "emulator"
    conversation_id: str = field(default_factory=lambda: f"{uuid.uuid4()}|livechat")
    user: dict[str, str] = field(
        default_factory=lambda: {"id": "user-1", "name": "Abel Tuter", "role": "user"}
    )
    extra: dict[str, Any] = field(default_factory=dict)

    def activity(self, type_: str, **fields: Any) -> dict[str, Any]:
        """An activity as the Emulator would post it."""
        return {
            "type": type_,
            "id": str(uuid.uuid4()),
            "channelId": self.channel_id,
            "serviceUrl": self.connector.url,
            "conversation": {"id": self.conversation_id},
            "from": self.user,
            "recipient": {"id": "bot", "name": "Snowdesk", "role": "bot"},
            "locale": "en-US",
            **self.extra,
            **fields,
        }

    async def post(self, activity: dict[str, Any]) -> httpx.Response:
        """POST an activity to /api/messages."""
        return await self.http.post(f"{self.bot_url}/api/messages", json=activity)

    async def join(self) -> list[dict[str, Any]]:
        """The user opens the chat: a conversationUpdate adding the bot and the user."""
        return await self.added({"id": "bot", "name": "Snowdesk"}, self.user)

    async def added(self, *members: dict[str, str]) -> list[dict[str, Any]]:
        """Teams adds `members` to the conversation (the bot among them when it is installed)."""
        return await self._turn(self.activity("conversationUpdate", membersAdded=list(members)))

    async def say(self, text: str) -> list[dict[str, Any]]:
        """The user types a message; returns the bot's replies."""
        return await self._turn(self.activity("message", text=text))

    async def press(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """The user presses an Action.Submit button carrying `data` (and any input values)."""
        return await self._turn(self.activity("message", value=data))

    async def _turn(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        since = len(self.connector.activities)
        response = await self.post(activity)
        assert response.status_code in (200, 201), response.text
        return self.connector.replies(since)


@functools.cache
def default_recognizer() -> Recognizer:
    """The recogniser over the shipped trigger phrases, learnt once per test session."""
    return Recognizer.load()


@asynccontextmanager
async def running_bot(settings: Settings, **app_options: Any) -> AsyncIterator[Conversation]:
    """The real app on an ephemeral port plus a fake connector; yields a new conversation."""
    if settings.triggers_dir is None and settings.ticket_prefixes == "INC":
        app_options.setdefault("recognizer", default_recognizer())
    async with fake_connector() as connector:
        runner, url = await _serve(create_app(settings, **app_options))
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                yield Conversation(bot_url=url, connector=connector, http=http)
        finally:
            await runner.cleanup()


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card a reply carries (fails when it carries none)."""
    attachments = reply.get("attachments") or []
    assert attachments, f"expected a card, got {reply.get('text')!r}"
    content: dict[str, Any] = attachments[0]["content"]
    return content


def texts_of(card: dict[str, Any]) -> list[str]:
    """Every TextBlock text in a card, depth first."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
