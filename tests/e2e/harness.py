"""End-to-end harness: the real bot app on an ephemeral port, and a fake channel connector.

The connector stands in for Teams/the Emulator at `serviceUrl`: it records every activity the
bot POSTs to `/v3/conversations/{id}/activities[/{replyToId}]`. A turn runs inside the HTTP
request, so when the POST to `/api/messages` returns, every reply has been recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from dialogs.recognizer import Recognizer

FILES_PATH = "/v3/attachments"


class FileStore(Protocol):
    """Where a file route finds its files (read at each request: tests replace the dict)."""

    files: dict[str, bytes]
    downloads: list[str]


def add_file_route(app: web.Application, store: FileStore) -> None:
    """Serve `store.files` as the Emulator serves uploads, recording each download."""

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        store.downloads.append(name)
        if name not in store.files:
            raise web.HTTPNotFound()
        return web.Response(body=store.files[name], content_type="application/octet-stream")

    app.router.add_get(FILES_PATH + "/{name}/views/original", serve)


@dataclass
class FakeConnector:
    """Records the activities the bot sends back to the channel.

    Like Teams' connector it also knows the members of a conversation (`members`: user id →
    profile, for `TeamsInfo.get_member`) and opens a personal chat with one member
    (`POST /v3/conversations` → `personal-<user id>`, the same id every time, as Teams does).
    """

    url: str = ""
    activities: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Files "uploaded" through this channel, served as the Emulator serves them.
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    # The next this-many activities are refused with 429 (Retry-After: 0), as Teams throttles.
    throttle: int = 0
    throttled: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _receive(self, request: web.Request) -> web.Response:
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests"}}, status=429, headers={"Retry-After": "0"}
            )
        activity = await request.json()
        activity["_conversation"] = request.match_info["conversation_id"]
        self.activities.append(activity)
        async with self._arrived:
            self._arrived.notify_all()
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    async def message_where(
        self, matches: Callable[[dict[str, Any]], bool], since: int = 0, within: float = 30
    ) -> dict[str, Any]:
        """The first message since `since` that `matches`, waiting for it to arrive (a turn
        finishing in the background); `within` only bounds a test that would hang."""

        def found() -> dict[str, Any] | None:
            return next((a for a in self.replies(since) if matches(a)), None)

        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: found() is not None)
        message = found()
        assert message is not None
        return message

    async def _member(self, request: web.Request) -> web.Response:
        # Teams' member lookup (TeamsInfo.get_member, and botbuilder's for each member who
        # joins a team): a known profile, else a plain member.
        member_id = request.match_info["user_id"]
        member = self.members.get(member_id, {"id": member_id, "name": f"Member {member_id}"})
        return web.json_response(member)

    async def _create(self, request: web.Request) -> web.Response:
        parameters = await request.json()
        (member,) = parameters["members"]
        return web.json_response({"id": f"personal-{member['id']}", "activityId": ""})

    def app(self) -> web.Application:
        app = web.Application()
        path = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(path, self._receive)
        app.router.add_post(path + "/{reply_to_id}", self._receive)
        app.router.add_put(path + "/{reply_to_id}", self._receive)
        app.router.add_get("/v3/conversations/{conversation_id}/members/{user_id}", self._member)
        app.router.add_post("/v3/conversations", self._create)
        add_file_route(app, self)
        return app

    def file_url(self, name: str) -> str:
        """Where the Emulator would serve an uploaded file called `name`."""
        return f"{self.url}{FILES_PATH}/{name}/views/original"

    def replies(self, since: int = 0) -> list[dict[str, Any]]:
        """Messages (not typing indicators) sent since the given index."""
        return [a for a in self.activities[since:] if a.get("type") == "message"]

    def in_conversation(self, conversation_id: str, since: int = 0) -> list[dict[str, Any]]:
        """The messages sent into one conversation since the given index."""
        return [a for a in self.replies(since) if a["_conversation"] == conversation_id]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free loopback port while the block runs; yields its base URL."""
    runner, url = await _serve(app)
    try:
        yield url
    finally:
        await runner.cleanup()


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
    conversation: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def activity(self, type_: str, **fields: Any) -> dict[str, Any]:
        """An activity as the Emulator would post it."""
        return {
            "type": type_,
            "id": str(uuid.uuid4()),
            "channelId": self.channel_id,
            "serviceUrl": self.connector.url,
            "conversation": {"id": self.conversation_id, **self.conversation},
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

    def as_member(self, user: dict[str, str]) -> Conversation:
        """Another member speaking in the same conversation (same chat, same connector)."""
        return dataclasses.replace(self, user=user)

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
    """Every text a card shows, depth first: each TextBlock, and each RichTextBlock's runs
    joined (how people's own words are shown)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node.get("text", "")))
            if node.get("type") == "RichTextBlock":
                found.append("".join(str(run.get("text", "")) for run in node.get("inlines", [])))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
