"""The bot in a team or group chat, over real HTTP with Teams' conversation updates.

Installed in a team (or added to a group chat), it introduces itself once, with one short card
that sends everyone to their personal chat for their records; members who join later get no
card. Personal chat keeps its welcome card (`test_bot_http.py`).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.harness import Conversation, card_of, running_bot, texts_of
from tests.e2e.test_bot_http import local_settings

TEAM = {"id": "19:team-general@thread.tacv2", "name": "Contoso IT"}


@pytest.fixture
async def team() -> Any:
    """A channel of a team, as Teams addresses the bot there."""
    async with running_bot(local_settings()) as conversation:
        conversation.channel_id = "msteams"
        conversation.conversation_id = TEAM["id"]
        conversation.extra = {
            "conversation": {"id": TEAM["id"], "conversationType": "channel", "isGroup": True},
            "channelData": {
                "team": TEAM,
                "tenant": {"id": "tenant-1"},
                "eventType": "teamMemberAdded",
            },
        }
        yield conversation


BOT = {"id": "bot", "name": "Snowdesk"}


async def test_installed_in_a_team_it_introduces_itself_once(team: Conversation) -> None:
    """Teams: bot added to the team → one short card: what it does, records stay personal.
    Teams: the same install event again (new activity id) → nothing."""
    replies = await team.added(BOT)
    assert len(replies) == 1
    card = card_of(replies[0])
    texts = " ".join(texts_of(card))
    assert "IT tickets and HR cases" in texts
    assert "only in your personal chat" in texts
    assert "actions" not in card  # nothing to press in a shared room
    assert await team.added(BOT) == []


async def test_members_joining_a_team_get_no_card(team: Conversation) -> None:
    """Teams: two people join the team → no welcome card for each of them in the channel."""
    await team.added(BOT)
    joined = [{"id": f"29:{uuid.uuid4()}"}, {"id": f"29:{uuid.uuid4()}"}]
    assert await team.added(*joined) == []


async def test_added_to_a_group_chat_with_its_members_it_introduces_itself_only() -> None:
    """Teams: a group chat is created with the bot and two people → one introduction."""
    async with running_bot(local_settings()) as chat:
        chat.channel_id = "msteams"
        chat.extra = {
            "conversation": {"id": chat.conversation_id, "conversationType": "groupChat"},
            "channelData": {"tenant": {"id": "tenant-1"}},
        }
        abel, beth = {"id": "29:abel", "name": "Abel Tuter"}, {"id": "29:beth", "name": "Beth"}
        replies = await chat.added(BOT, abel, beth)
        assert len(replies) == 1
        assert texts_of(card_of(replies[0]))[0] == "Hi everyone, I'm Snowdesk."
