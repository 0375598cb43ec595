"""Stored conversation references: who is remembered, under which names, and where not."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.conversations import ConversationMiddleware, ConversationStore, ProactiveNotifier


def activity(conversation_type: str | None = None, channel: str = "emulator") -> Activity:
    return Activity(
        type="message",
        id="a1",
        text="hi",
        channel_id=channel,
        service_url="https://connector.example",
        conversation=ConversationAccount(id="conv-1", conversation_type=conversation_type),
        from_property=ChannelAccount(id="user-1", name="Abel", aad_object_id="OBJ-1"),
        recipient=ChannelAccount(id="bot", name="Snowdesk"),
    )


async def turn(store: ConversationStore, incoming: Activity) -> None:
    adapter = TestAdapter()
    middleware = ConversationMiddleware(store, "abel.tuter@example.com")

    async def logic() -> None:
        return None

    await middleware.on_turn(TurnContext(adapter, incoming), logic)


async def test_a_personal_chat_is_remembered_under_each_name_case_insensitively() -> None:
    store = ConversationStore(MemoryStorage())
    await turn(store, activity())
    for name in ("obj-1", "USER-1", "Abel.Tuter@example.com"):
        reference = await store.find(name)
        assert reference is not None and reference.conversation.id == "conv-1"


async def test_group_chats_and_channels_are_not_remembered() -> None:
    store = ConversationStore(MemoryStorage())
    await turn(store, activity("groupChat"))
    await turn(store, activity("channel"))
    assert await store.find("obj-1") is None


async def test_a_person_without_a_reference_is_undeliverable(caplog: Any) -> None:
    caplog.set_level("INFO")
    notifier = ProactiveNotifier(TestAdapter(), ConversationStore(MemoryStorage()), "")
    assert await notifier.notify("nobody@example.com", "hello") is False
    assert [r.getMessage() for r in caplog.records] == ["notification.undeliverable"]
