"""The bot over real HTTP, as the Emulator and Teams reach it: welcome, help, errors, invokes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from tests.dialogs.test_generative import FakeChatModel
from tests.e2e.harness import Conversation, card_of, running_bot, texts_of


def local_settings(**overrides: Any) -> Settings:
    """Anonymous local mode, memory state, embedded ServiceNow: what a tester runs."""
    return Settings(_env_file=None, storage_url="memory://", **overrides)


@pytest.fixture
async def chat() -> Any:
    async with running_bot(local_settings()) as conversation:
        yield conversation


async def test_joining_the_chat_shows_the_welcome_card(chat: Conversation) -> None:
    """Emulator connects → conversationUpdate(bot, user) → one welcome card for the user."""
    replies = await chat.join()
    assert len(replies) == 1
    card = card_of(replies[0])
    assert texts_of(card)[0].startswith("Hi Abel!")
    assert {a["data"]["verb"] for a in card["actions"]} >= {"it.create_ticket", "hr.create_case"}


async def test_hi_gets_the_help_card(chat: Conversation) -> None:
    """User: hi → Bot: a card listing what it can do, with a button per topic."""
    replies = await chat.say("hi")
    card = card_of(replies[-1])
    assert any("what I can do" in text for text in texts_of(card))
    assert len(card["actions"]) >= 4


async def test_unknown_button_gets_a_clear_answer(chat: Conversation) -> None:
    """User presses a button whose verb the bot does not know → a plain answer and the help card."""
    replies = await chat.press({"verb": "payroll.teleport"})
    assert any("no longer continue" in text for text in texts_of(card_of(replies[-1])))


async def test_adaptive_card_invoke_is_answered_with_200(chat: Conversation) -> None:
    """Teams Universal Action (adaptiveCard/action invoke) → HTTP 200 with an invoke body, not 500."""
    invoke = chat.activity(
        "invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "help", "data": {"verb": "help"}}},
    )
    response = await chat.post(invoke)
    assert response.status_code == 200
    assert response.json()["statusCode"] == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"text": "hi"}', "application/json", 400),
        (b'{"type": "message", "text": "hi"}', "text/plain", 415),
    ],
)
async def test_malformed_requests_are_refused_with_4xx(
    chat: Conversation, body: bytes, content_type: str, status: int
) -> None:
    response = await chat.http.post(
        f"{chat.bot_url}/api/messages", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == status


async def test_health_reports_version_backend_and_storage(chat: Conversation) -> None:
    response = await chat.http.get(f"{chat.bot_url}/healthz")
    body = response.json()
    assert body["status"] == "ok"
    assert body["storage"] == "memory://"
    assert "emulator" in body["servicenow"]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Bearer a.b.c"])
async def test_with_an_app_id_requests_without_a_valid_token_get_401(
    authorization: str | None,
) -> None:
    """With MicrosoftAppId set, a missing or forged token is a 401 (never a 500)."""
    settings = local_settings(
        MicrosoftAppId="00000000-0000-0000-0000-000000000001", MicrosoftAppPassword="x"
    )
    async with running_bot(settings) as conversation:
        headers = {"Authorization": authorization} if authorization else {}
        response = await conversation.http.post(
            f"{conversation.bot_url}/api/messages",
            json=conversation.activity("message", text="hi"),
            headers=headers,
        )
    assert response.status_code == 401
    assert conversation.connector.activities == []


async def test_a_configured_chat_model_proposes_the_topic() -> None:
    """SNOWDESK_LLM_URL set → User: "tell me a really good joke" (out of scope locally) → the
    model says help → the plain help card, not "that's not something I can do".

    The chat model is a fake OpenAI-compatible endpoint on loopback."""
    model = FakeChatModel(content='{"topic": "help", "confidence": 0.9, "restart": false}')
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1/chat/completions"
    try:
        settings = local_settings(llm_url=url, llm_key="k", llm_model="m")
        async with running_bot(settings) as chat:
            replies = await chat.say("tell me a really good joke")
    finally:
        await runner.cleanup()
    assert model.requests[0]["messages"][-1]["content"] == "tell me a really good joke"
    said = texts_of(card_of(replies[-1]))
    assert any("what I can do" in text for text in said)
    assert not any("not something I can do" in text for text in said)
