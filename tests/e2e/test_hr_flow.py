"""An HR case end to end through /api/messages: one sentence, one Submit, then read it back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.servicenow_setup import ServiceNowConnection, connect
from tests.e2e.harness import Conversation, card_of, running_bot, texts_of

ADMIN_PASSWORD = "hr-e2e-admin"


@pytest.fixture
async def chat() -> AsyncIterator[tuple[Conversation, httpx.AsyncClient]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, storage_url="memory://", emulator_admin_password=ADMIN_PASSWORD
    )
    holder: list[ServiceNowConnection] = []

    async def keep(settings: Settings) -> ServiceNowConnection:
        holder.append(await connect(settings))
        return holder[0]

    async with running_bot(settings, connect_servicenow=keep) as conversation:
        base_url = holder[0].client.base_url
        auth = ("admin", ADMIN_PASSWORD)
        async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=10) as admin:
            yield conversation, admin


def _submit_with_inputs(form: dict[str, Any]) -> dict[str, Any]:
    values = {e["id"]: e.get("value", "") for e in form["body"] if e["type"].startswith("Input.")}
    return {**form["actions"][0]["data"], **values}


async def test_create_a_case_from_one_sentence_and_read_it_back(
    chat: tuple[Conversation, httpx.AsyncClient],
) -> None:
    """User: "my payslip is wrong, the overtime is missing" → pre-filled form; Submit → case card;
    "my HR cases" → the new case listed; its Details → its card; "any news on my HR case?" → text."""
    conversation, admin = chat
    form = card_of((await conversation.say("my payslip is wrong, the overtime is missing"))[0])
    created = card_of((await conversation.press(_submit_with_inputs(form)))[0])
    number = texts_of(created)[0].split()[3]
    assert number.startswith("HRC")

    listed = card_of((await conversation.say("my HR cases"))[0])
    assert any(text.startswith(f"**{number}**") for text in texts_of(listed))

    details = card_of((await conversation.press({"verb": "hr.case_details", "number": number}))[0])
    assert f"{number}: My payslip is wrong, the overtime is missing" in texts_of(details)

    news = await conversation.press({"verb": "hr.case_updates", "number": number})
    assert (news[0]["text"] or "").startswith(f"Your HR case {number} was last updated on")
    stored = await admin.get(
        "/api/now/table/sn_hr_core_case", params={"sysparm_query": f"number={number}"}
    )
    assert len(stored.json()["result"]) == 1
