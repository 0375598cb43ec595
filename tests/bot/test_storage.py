"""State storage: one conformance suite run against memory, SQLite and Redis.

What a user relies on: state written in one turn is read back in the next (dialog objects
included), a restart does not lose a conversation in the middle of a topic, and two turns racing
on the same conversation never silently overwrite each other (a stale eTag raises).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis
from botbuilder.core import ConversationState, MemoryStorage, Storage, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    Dialog,
    DialogSet,
    DialogTurnResult,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.storage import (
    DEFAULT_CLAIM_TTL_S,
    ClaimingMemoryStorage,
    ClaimStore,
    EtagConflictError,
    claims_for,
    close_storage,
    create_storage,
    describe_storage,
)
from bot.storage.redis import RedisStorage
from bot.storage.sqlite import SqliteStorage

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


BACKENDS = ["memory", "sqlite-file", "sqlite-memory", "redis"]
STRICT_BACKENDS = ["sqlite-file", "sqlite-memory", "redis"]


async def _make(kind: str, tmp_path: Path) -> Storage:
    if kind == "memory":
        return create_storage("memory://")
    if kind == "sqlite-file":
        return create_storage(f"sqlite:///{tmp_path}/state/snowdesk.db")
    if kind == "sqlite-memory":
        return create_storage("sqlite:///:memory:")
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    # A random prefix per test keeps parallel runs and leftovers apart.
    return create_storage(f"{REDIS_URL}?prefix=snowdesk-test:{uuid.uuid4().hex}:")


async def _cleanup(storage: Storage) -> None:
    if isinstance(storage, RedisStorage):
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{storage.key_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    await close_storage(storage)


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    made = await _make(request.param, tmp_path)
    yield made
    await _cleanup(made)


@pytest.fixture(params=STRICT_BACKENDS)
async def strict_storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """Our back ends: every write gets a new eTag, even for items written without one."""
    made = await _make(request.param, tmp_path)
    yield made
    await _cleanup(made)


# --- the contract every back end honours (botbuilder's StorageBaseTests, ported) ---------------


async def test_unknown_keys_read_as_absent(storage: Storage) -> None:
    assert await storage.read(["unknown"]) == {}
    assert await storage.read([]) == {}


async def test_write_none_is_refused_and_empty_write_is_a_no_op(storage: Storage) -> None:
    with pytest.raises(Exception, match="Changes are required when writing"):
        await storage.write(None)
    await storage.write({})


async def test_create_read_and_crazy_keys(storage: Storage) -> None:
    crazy = '!@#$%^&*()_+??><":QASD~`'
    await storage.write({"plain": {"id": 1}, "tagged": {"id": 2, "e_tag": "*"}, crazy: {"id": 3}})
    items = await storage.read(["plain", "tagged", crazy])
    assert [items[k]["id"] for k in ("plain", "tagged", crazy)] == [1, 2, 3]
    assert items["tagged"]["e_tag"] not in (None, "")


async def test_update_with_current_etag_then_stale_etag_raises(storage: Storage) -> None:
    await storage.write({"item": {"count": 1, "e_tag": "*"}})
    await storage.write({"item": {"count": 2, "e_tag": "*"}})
    current = (await storage.read(["item"]))["item"]
    await storage.write({"item": {**current, "count": 3}})
    with pytest.raises(KeyError, match="Etag conflict"):
        await storage.write({"item": {**current, "count": 99}})
    assert (await storage.read(["item"]))["item"]["count"] == 3


async def test_wildcard_etag_always_wins(storage: Storage) -> None:
    await storage.write({"item": {"count": 1, "e_tag": "*"}})
    await storage.write({"item": {"count": 2, "e_tag": "*"}})
    await storage.write({"item": {"count": 100, "e_tag": "*"}})
    assert (await storage.read(["item"]))["item"]["count"] == 100


async def test_empty_etag_is_refused(storage: Storage) -> None:
    await storage.write({"item": {"count": 1, "e_tag": "*"}})
    with pytest.raises(Exception):  # noqa: B017 - MemoryStorage raises a bare Exception
        await storage.write({"item": {"count": 2, "e_tag": ""}})
    assert (await storage.read(["item"]))["item"]["count"] == 1


async def test_delete_known_and_unknown_keys(storage: Storage) -> None:
    await storage.write({"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}})
    await storage.delete(["a", "b", "unknown"])
    assert list(await storage.read(["a", "b", "c"])) == ["c"]


async def test_store_item_objects_round_trip(storage: Storage) -> None:
    await storage.write({"obj": StoreItem(name="Abel", count=2, e_tag="*")})
    item = (await storage.read(["obj"]))["obj"]
    assert isinstance(item, StoreItem)
    assert (item.name, item.count) == ("Abel", 2)


async def test_waterfall_with_prompt_proceeds_through_state(storage: Storage) -> None:
    """Script: hello → step1; hello → name prompt; hi → retry; Kyle → 'Hello Kyle' (step 3)."""
    flow = _waterfall_bot(storage)
    step = await flow("hello")
    step = await step.assert_reply("step1")
    step = await step.send("hello")
    step = await step.assert_reply("Please type your name")
    step = await step.send("hi")
    step = await step.assert_reply("Longer than 3 characters, please.")
    step = await step.send("Kyle")
    await step.assert_reply("Hello Kyle")


# --- the claim primitive: first one wins, on every back end -------------------------------------


async def test_a_key_is_claimed_once(storage: Storage) -> None:
    assert isinstance(storage, ClaimStore)
    assert await storage.claim("activity/msteams/19:a/1", 60) is True
    assert await storage.claim("activity/msteams/19:a/1", 60) is False
    assert await storage.claim("activity/msteams/19:a/2", 60) is True


async def test_concurrent_claims_of_one_key_have_one_winner(storage: Storage) -> None:
    assert isinstance(storage, ClaimStore)
    results = await asyncio.gather(*(storage.claim("race", 60) for _ in range(50)))
    assert results.count(True) == 1


async def test_claims_and_state_keys_do_not_collide(storage: Storage) -> None:
    claims = storage
    assert isinstance(claims, ClaimStore)
    await storage.write({"shared": {"n": 1}})
    assert await claims.claim("shared", 60) is True
    assert (await storage.read(["shared"]))["shared"]["n"] == 1


async def test_a_claim_needs_a_key_and_a_lifetime(storage: Storage) -> None:
    assert isinstance(storage, ClaimStore)
    with pytest.raises(ValueError, match="key"):
        await storage.claim("", 60)
    with pytest.raises(ValueError, match="ttl"):
        await storage.claim("k", 0)


async def test_an_expired_claim_can_be_claimed_again(tmp_path: Path) -> None:
    """Memory and SQLite with a clock the test moves; no waiting for time to pass."""
    now = [1000.0]
    memory = ClaimingMemoryStorage(clock=lambda: now[0])
    sqlite = SqliteStorage(tmp_path / "claims.db", clock=lambda: now[0])
    for backend in (memory, sqlite):
        assert await backend.claim("k", 10) is True
        now[0] += 9
        assert await backend.claim("k", 10) is False
        now[0] += 2
        assert await backend.claim("k", 10) is True
        assert await backend.claim("k", 10) is False
    await sqlite.close()


async def test_redis_claims_carry_their_ttl_and_the_default_is_a_day() -> None:
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    storage = create_storage(f"{REDIS_URL}?prefix=snowdesk-test:{uuid.uuid4().hex}:")
    assert isinstance(storage, RedisStorage)
    assert await storage.claim("short", 30) is True
    assert await storage.claim("day") is True
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    short = await client.pttl(f"{storage.key_prefix}claim:short")
    day = await client.pttl(f"{storage.key_prefix}claim:day")
    await client.aclose()
    assert 0 < short <= 30_000
    assert DEFAULT_CLAIM_TTL_S * 1000 - 60_000 < day <= DEFAULT_CLAIM_TTL_S * 1000
    await _cleanup(storage)


async def test_two_processes_on_one_sqlite_file_share_claims(tmp_path: Path) -> None:
    """Two storage objects (two bot processes) on one file: the second claim loses."""
    first = SqliteStorage(tmp_path / "shared.db")
    second = SqliteStorage(tmp_path / "shared.db")
    assert await first.claim("activity/1", 60) is True
    assert await second.claim("activity/1", 60) is False
    await first.close()
    await second.close()


def test_claims_for_wraps_a_storage_that_cannot_claim() -> None:
    plain = MemoryStorage()
    assert claims_for(plain) is not plain
    claiming = create_storage("memory://")
    assert claims_for(claiming) is claiming


# --- what only our back ends promise -----------------------------------------------------------


async def test_every_write_gets_a_new_etag(strict_storage: Storage) -> None:
    await strict_storage.write({"item": {"count": 1}})
    first = (await strict_storage.read(["item"]))["item"]["e_tag"]
    await strict_storage.write({"item": {"count": 2, "e_tag": first}})
    second = (await strict_storage.read(["item"]))["item"]["e_tag"]
    assert first and second and first != second


async def test_conflict_fails_the_whole_batch(strict_storage: Storage) -> None:
    await strict_storage.write({"a": {"n": 1}, "b": {"n": 1}})
    stale = (await strict_storage.read(["b"]))["b"]
    await strict_storage.write({"b": {"n": 2}})
    with pytest.raises(EtagConflictError) as raised:
        await strict_storage.write({"a": {"n": 9, "e_tag": "*"}, "b": {**stale, "n": 9}})
    assert raised.value.key == "b"
    items = await strict_storage.read(["a", "b"])
    assert (items["a"]["n"], items["b"]["n"]) == (1, 2)


async def test_read_without_keys_is_refused(strict_storage: Storage) -> None:
    with pytest.raises(ValueError, match="Keys are required when reading"):
        await strict_storage.read(None)


async def test_two_turns_racing_on_one_conversation_do_not_overwrite(
    strict_storage: Storage,
) -> None:
    """Two bot processes load the same conversation; the second save must fail, not clobber."""
    state = ConversationState(strict_storage)
    earlier = _turn_context()
    await state.load(earlier)
    await state.create_property("draft").set(earlier, {"title": ""})
    await state.save_changes(earlier)
    first, second = _turn_context(), _turn_context()
    await state.load(first)
    await state.load(second)
    await state.create_property("draft").set(first, {"title": "VPN down"})
    await state.save_changes(first)
    await state.create_property("draft").set(second, {"title": "Laptop broken"})
    with pytest.raises(EtagConflictError):
        await state.save_changes(second)
    third = _turn_context()
    await state.load(third)
    assert await state.create_property("draft").get(third) == {"title": "VPN down"}


async def test_dialog_stack_survives_a_restart_on_the_same_sqlite_file(tmp_path: Path) -> None:
    """Turns 1-2 run on one storage object; the bot 'restarts'; turns 3-4 continue the topic."""
    url = f"sqlite:///{tmp_path}/snowdesk.db"
    before = create_storage(url)
    step = await _waterfall_bot(before)("hello")
    step = await step.assert_reply("step1")
    step = await step.send("hello")
    await step.assert_reply("Please type your name")
    await close_storage(before)

    after = create_storage(url)
    step = await _waterfall_bot(after)("Kyle")
    await step.assert_reply("Hello Kyle")
    await close_storage(after)


async def test_sqlite_file_uses_wal_and_creates_its_folder(tmp_path: Path) -> None:
    storage = create_storage(f"sqlite:///{tmp_path}/new/folder/state.db")
    assert isinstance(storage, SqliteStorage)
    await storage.write({"k": {"v": 1}})
    await storage.close()
    import sqlite3

    with sqlite3.connect(tmp_path / "new/folder/state.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_closed_sqlite_storage_says_so(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "x.db")
    await storage.close()
    await storage.close()
    with pytest.raises(RuntimeError, match="closed"):
        await storage.read(["k"])


def test_storage_url_choices_and_mistakes() -> None:
    assert isinstance(create_storage("memory://"), MemoryStorage)
    with pytest.raises(ValueError, match="is not supported"):
        create_storage("postgres://db/state")
    with pytest.raises(ValueError, match="sqlite:///relative/path.db"):
        create_storage("sqlite://relative.db")
    assert describe_storage("redis://:s3cret@cache:6379/0") == "redis://***@cache:6379/0"
    assert describe_storage("redis://bot:s3cret@cache:6379/0") == "redis://bot:***@cache:6379/0"
    assert describe_storage("sqlite:///data/snowdesk.db") == "sqlite:///data/snowdesk.db"


# --- helpers -----------------------------------------------------------------------------------


def _turn_context() -> TurnContext:
    activity = Activity(
        type="message",
        text="hello",
        channel_id="msteams",
        conversation=ConversationAccount(id="19:race"),
        from_property=ChannelAccount(id="29:abel"),
    )
    return TurnContext(TestAdapter(), activity)


def _waterfall_bot(storage: Storage) -> Callable[[str], Awaitable[TestAdapter]]:
    """A three-step waterfall with a validated text prompt, saving state after every turn."""
    state = ConversationState(storage)
    dialogs = DialogSet(state.create_property("DialogState"))

    async def step_1(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity("step1")
        return Dialog.end_of_turn

    async def step_2(step: WaterfallStepContext) -> DialogTurnResult:
        prompt = Activity(type="message", text="Please type your name")
        retry = Activity(type="message", text="Longer than 3 characters, please.")
        return await step.prompt("name", PromptOptions(prompt=prompt, retry_prompt=retry))

    async def step_3(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"Hello {step.result}")
        return await step.end_dialog()

    async def long_enough(prompt: object) -> bool:
        return len(prompt.recognized.value or "") > 3  # type: ignore[attr-defined]

    dialogs.add(WaterfallDialog("topic", [step_1, step_2, step_3]))
    dialogs.add(TextPrompt("name", long_enough))

    async def on_turn(context: TurnContext) -> None:
        dc = await dialogs.create_context(context)
        result = await dc.continue_dialog()
        if not context.responded and result.status.name == "Empty":
            await dc.begin_dialog("topic")
        await state.save_changes(context)

    adapter = TestAdapter(on_turn)
    return adapter.send
