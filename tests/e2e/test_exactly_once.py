"""Exactly-once turns over real HTTP: the same activity delivered 20 times at once runs one turn,
on each state back end; the others are acknowledged (200) with no reply and no error."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.config import Settings
from bot.edge import ConversationLocks
from bot.storage import ClaimingMemoryStorage
from tests.bot.test_storage import REDIS_URL, _redis_reachable
from tests.desk import EmulatorAdmin, bot_and_emulator, form_submit
from tests.e2e.harness import Conversation, card_of, running_bot, texts_of


def local_settings(**overrides: Any) -> Settings:
    """Anonymous local mode with the embedded ServiceNow, on the given state storage."""
    return Settings(_env_file=None, **overrides)


BACKENDS = ["memory", "sqlite", "redis"]


def storage_url(kind: str, tmp_path: Path) -> str:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/state.db"
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return f"{REDIS_URL}?prefix=snowdesk-test:{uuid.uuid4().hex}:"


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    made = storage_url(request.param, tmp_path)
    yield made
    if made.startswith("redis://"):
        prefix = made.split("prefix=", 1)[1]
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def burst(chat: Conversation, activity: dict[str, Any], times: int = 20) -> list[int]:
    responses = await asyncio.gather(*(chat.post(activity) for _ in range(times)))
    return [response.status_code for response in responses]


async def test_twenty_concurrent_copies_of_a_message_run_one_turn(url: str) -> None:
    """20 × the same "hi" (same activity id) at once → one help card, 1 × 201 and 19 × 200."""
    async with running_bot(local_settings(storage_url=url)) as chat:
        statuses = await burst(chat, chat.activity("message", text="hi"))
        replies = chat.connector.replies()
        # The same message once more, with a new id, for how many replies one turn gives.
        await chat.say("hi")
        one_turn = len(chat.connector.replies()) - len(replies)
    assert sorted(statuses) == [200] * 19 + [201]
    assert len(replies) == one_turn >= 1
    assert not any("went wrong" in str(reply.get("text")) for reply in replies)


async def test_a_redelivery_after_the_turn_is_dropped_too(url: str) -> None:
    """Teams redelivers the same activity 15 s later → 200, no second answer."""
    async with running_bot(local_settings(storage_url=url)) as chat:
        activity = chat.activity("message", text="hi")
        assert (await chat.post(activity)).status_code == 201
        answered = len(chat.connector.activities)
        assert (await chat.post(activity)).status_code == 200
        assert len(chat.connector.activities) == answered


async def test_the_same_activity_id_in_another_conversation_is_its_own_turn() -> None:
    async with running_bot(local_settings(storage_url="memory://")) as chat:
        activity = chat.activity("message", text="hi")
        assert (await chat.post(activity)).status_code == 201
        other = {**activity, "conversation": {"id": "another-conversation"}}
        assert (await chat.post(other)).status_code == 201


async def test_twenty_concurrent_submits_open_one_ticket(url: str) -> None:
    """The issue's measurement: the same Submit activity 20 times at once → 1 incident, every
    answer that comes back names it, no error reply."""
    settings = local_settings(storage_url=url, emulator_admin_password="exactly-once")
    async with bot_and_emulator(settings) as (chat, http):
        form = card_of((await chat.say("open a ticket"))[-1])
        summary = f"Badge reader {uuid.uuid4().hex[:8]} rejects every card"
        submit = chat.activity("message", value=form_submit(form, short_description=summary))
        since = len(chat.connector.activities)
        statuses = await burst(chat, submit)
        replies = chat.connector.replies(since)
        rows = await EmulatorAdmin(http).records("incident", f"short_description={summary}")
    assert len(rows) == 1
    assert sorted(statuses) == [200] * 19 + [201]
    headings = [texts_of(card_of(reply))[0] for reply in replies if reply.get("attachments")]
    assert headings and all(h.startswith("I've opened INC") for h in headings)
    assert not any("went wrong" in str(reply.get("text")) for reply in replies)


async def test_turns_of_one_conversation_run_one_at_a_time_and_locks_are_dropped() -> None:
    locks = ConversationLocks()
    running: list[str] = []
    overlaps = 0

    async def turn(key: str) -> None:
        nonlocal overlaps
        async with locks.hold(key):
            overlaps += sum(1 for other in running if other == key)
            running.append(key)
            await asyncio.sleep(0)  # let the others try to enter
            running.remove(key)

    await asyncio.gather(*(turn(f"conv-{i % 3}") for i in range(30)))
    assert overlaps == 0
    assert len(locks) == 0


async def test_a_state_store_that_is_down_gets_503_so_the_channel_retries() -> None:
    """The claim cannot be made (Redis down): no turn runs, and the answer is a 503 the channel
    retries later — never a silent drop and never a turn that might run twice."""

    class DownStorage(ClaimingMemoryStorage):
        async def claim(self, key: str, ttl_seconds: float = 0) -> bool:
            raise ConnectionError("state store down")

    async with running_bot(local_settings(storage_url="memory://"), storage=DownStorage()) as chat:
        response = await chat.post(chat.activity("message", text="hi"))
        assert response.status_code == 503
        assert chat.connector.activities == []
