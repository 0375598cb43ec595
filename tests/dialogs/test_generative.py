"""The generative recogniser against a fake OpenAI-compatible endpoint on loopback.

The fake answers what each test scripts (a JSON reply, a slow reply, an error) and records the
requests, so the tests see what the bot sends and what it does with every kind of answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from dialogs.generative import GenerativeRecognizer
from dialogs.recognizer import Recognizer


@dataclass
class FakeChatModel:
    """Replies with `content` (a JSON string) after `delay` seconds, or with `status`."""

    content: str = '{"topic": "none", "confidence": 0.9, "restart": false}'
    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "boom"}}, status=self.status)
        reply = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
        return web.json_response(reply)


@pytest.fixture(scope="module")
def local() -> Recognizer:
    return Recognizer.load()


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeChatModel, str]]:
    model = FakeChatModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield model, f"http://127.0.0.1:{port}/v1/chat/completions"
    await runner.cleanup()


@pytest.fixture
async def generative(
    local: Recognizer, fake: tuple[FakeChatModel, str]
) -> AsyncIterator[GenerativeRecognizer]:
    recognizer = GenerativeRecognizer(local, fake[1], "sk-test", "gpt-test", timeout=0.5)
    yield recognizer
    await recognizer.aclose()


def _reply(topic: str, confidence: float = 0.9, restart: bool = False) -> str:
    return json.dumps({"topic": topic, "confidence": confidence, "restart": restart})


async def test_the_request_is_a_strict_json_schema_chat_completion(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    model, _ = fake
    model.content = _reply("it.ticket_status", 0.8)
    await generative.recognize_async("did the vpn thing get fixed")
    body = model.requests[0]
    assert body["model"] == "gpt-test"
    assert body["messages"][-1] == {"role": "user", "content": "did the vpn thing get fixed"}
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    assert "it.ticket_status" in schema["schema"]["properties"]["topic"]["enum"]
    assert model.headers[0]["Authorization"] == "Bearer sk-test"


async def test_the_models_topic_comes_with_local_entities(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    """The chat model picks the topic; the number is the one the user typed, normalised."""
    fake[0].content = _reply("it.ticket_status", 0.8)
    result = await generative.recognize_async("so is inc 10023 sorted or what")
    assert (result.topic, result.confidence) == ("it.ticket_status", 0.8)
    assert result.entities == {"number": "INC0010023"}


async def test_a_record_number_still_decides_the_desk(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    fake[0].content = _reply("it.ticket_details")
    result = await generative.recognize_async("what about HRC0001234")
    assert result.topic == "hr.case_details"


async def test_start_over_from_the_model_restarts(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    fake[0].content = _reply("cancel", 0.95, restart=True)
    result = await generative.recognize_async("let's do this whole thing again")
    assert (result.topic, result.entities) == ("cancel", {"restart": "true"})


async def test_no_write_without_the_users_confirmation(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    """A comment or urgency would be written at once: proposed by a model, they are dropped,
    so the update form asks and the user presses Submit."""
    fake[0].content = _reply("it.update_ticket")
    result = await generative.recognize_async("add to INC0010023: works again, make it urgent")
    assert result.topic == "it.update_ticket"
    assert result.entities == {"number": "INC0010023"}


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ("not json at all", 200),
        (_reply("it.reboot_the_world"), 200),
        ('{"topic": "help", "confidence": 7, "restart": false}', 200),
        ('{"topic": "help"}', 200),
        (_reply("help"), 500),
        (_reply("help"), 401),
    ],
)
async def test_a_bad_answer_falls_back_to_the_local_model(
    generative: GenerativeRecognizer,
    fake: tuple[FakeChatModel, str],
    local: Recognizer,
    content: str,
    status: int,
) -> None:
    fake[0].content, fake[0].status = content, status
    text = "my laptop won't boot"
    assert await generative.recognize_async(text) == local.recognize(text)


async def test_a_slow_model_falls_back_within_the_timeout(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str], local: Recognizer
) -> None:
    fake[0].content, fake[0].delay = _reply("help"), 2.0
    started = time.perf_counter()
    result = await generative.recognize_async("show my tickets")
    assert time.perf_counter() - started < 1.5
    assert result == local.recognize("show my tickets")


async def test_empty_text_never_reaches_the_model(
    generative: GenerativeRecognizer, fake: tuple[FakeChatModel, str]
) -> None:
    assert (await generative.recognize_async("  ")).topic == "none"
    assert fake[0].requests == []


async def test_azure_openai_gets_its_key_in_the_api_key_header(local: Recognizer) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        return httpx.Response(200, json={"choices": [{"message": {"content": _reply("help")}}]})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    url = "https://contoso.openai.azure.com/openai/deployments/gpt/chat/completions"
    recognizer = GenerativeRecognizer(local, url, "azure-key", "gpt", client=client)
    assert (await recognizer.recognize_async("what can you do")).topic == "help"
    await recognizer.aclose()
    assert seen[0]["api-key"] == "azure-key" and "authorization" not in seen[0]
