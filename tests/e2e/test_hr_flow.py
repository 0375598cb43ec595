"""An HR case end to end through /api/messages: one sentence, one Submit, then read it back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.desk import bot_and_emulator, desk_settings, form_submit
from tests.e2e.harness import Conversation, card_of, texts_of

ADMIN_PASSWORD = "hr-e2e-admin"


@pytest.fixture
async def chat() -> AsyncIterator[tuple[Conversation, httpx.AsyncClient]]:
    async with bot_and_emulator(desk_settings(ADMIN_PASSWORD)) as (conversation, admin):
        yield conversation, admin


async def test_create_a_case_from_one_sentence_and_read_it_back(
    chat: tuple[Conversation, httpx.AsyncClient],
) -> None:
    """User: "my payslip is wrong, the overtime is missing" → pre-filled form; Submit → case card;
    "my HR cases" → the new case listed; its Details → its card; "any news on my HR case?" → text."""
    conversation, admin = chat
    form = card_of((await conversation.say("my payslip is wrong, the overtime is missing"))[0])
    created = card_of((await conversation.press(form_submit(form)))[0])
    number = texts_of(created)[0].split()[3]
    assert number.startswith("HRC")

    listed = card_of((await conversation.say("my HR cases"))[0])
    assert any(text.startswith(f"{number} ") for text in texts_of(listed))

    details = card_of((await conversation.press({"verb": "hr.case_details", "number": number}))[0])
    assert texts_of(details)[:2] == [number, "My payslip is wrong, the overtime is missing"]

    news = await conversation.press({"verb": "hr.case_updates", "number": number})
    assert (news[0]["text"] or "").startswith(f"Your HR case {number} was last updated on")
    stored = await admin.get(
        "/api/now/table/sn_hr_core_case", params={"sysparm_query": f"number={number}"}
    )
    assert len(stored.json()["result"]) == 1
