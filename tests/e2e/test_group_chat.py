"""Per person, never per room: two employees in one Teams group chat, through /api/messages.

Every answer about records goes to the speaker's personal chat; the group sees one pointer.
The matrix below counts leaks: any of Beth's ticket numbers in anything sent to Abel's
conversations or to the group, and any record card in the group.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.config import Settings
from dialogs.main import NOT_YOUR_CARD
from tests.desk import (
    ABEL,
    BETH,
    TEAMS_PROFILES,
    TEAMS_TENANT,
    EmulatorAdmin,
    bot_and_emulator,
    desk_settings,
    form_submit,
)
from tests.e2e.harness import Conversation, card_of

NUMBER = re.compile(r"(?:INC|HRC)\d{7}")


def _settings() -> Settings:
    return desk_settings("group-chat-admin").model_copy(update={"storage_url": "memory://"})


def _in_group(chat: Conversation, user: dict[str, str]) -> Conversation:
    chat.channel_id = "msteams"
    chat.conversation = {"conversationType": "groupChat", "isGroup": True, "tenantId": TEAMS_TENANT}
    chat.extra = {"channelData": {"tenant": {"id": TEAMS_TENANT}}}
    chat.connector.members.update(TEAMS_PROFILES)
    return chat.as_member(user)


def _numbers(activities: list[dict[str, Any]]) -> set[str]:
    return set(NUMBER.findall(json.dumps(activities)))


async def _numbers_of(admin: EmulatorAdmin, user_name: str) -> set[str]:
    rows = await admin.records("incident", f"caller_id.user_name={user_name}")
    cases = await admin.records("sn_hr_core_case", f"opened_for.user_name={user_name}")
    return {row["number"] for row in rows + cases}


async def test_two_employees_in_one_group_chat_never_see_each_others_records() -> None:
    """Beth: "my tickets" → her list in her personal chat, a pointer in the group. Abel: "my
    tickets", "status of <Beth's ticket>", "my HR cases", Beth's list card's buttons pressed
    by Abel, and a forged comment on Beth's ticket → nothing of Beth's reaches Abel or the
    group; Abel's own answers reach Abel's personal chat only."""
    async with bot_and_emulator(_settings()) as (chat, http):
        admin = EmulatorAdmin(http)
        abel, beth = _in_group(chat, ABEL), _in_group(chat, BETH)
        beths = await _numbers_of(admin, "beth.anglin")
        abels = await _numbers_of(admin, "abel.tuter")
        assert beths and abels and not beths & abels
        connector = chat.connector

        start = len(connector.activities)
        mention = {
            "type": "mention",
            "text": "<at>Snowdesk</at>",
            "mentioned": {"id": "bot", "name": "Snowdesk"},
        }
        said = beth.activity("message", text="<at>Snowdesk</at> my tickets", entities=[mention])
        assert (await beth.post(said)).status_code in (200, 201)
        pointer = connector.replies(start)
        beth_list = connector.in_conversation(f"personal-{BETH['id']}", start)
        assert [
            reply["text"] for reply in pointer if reply["_conversation"] == chat.conversation_id
        ]
        beth_card = card_of(beth_list[-1])
        assert _numbers(beth_list) <= beths and _numbers(beth_list)

        beth_ticket = sorted(n for n in beths if n.startswith("INC"))[0]
        button = next(
            item["selectAction"]["data"] for item in beth_card["body"] if "selectAction" in item
        )
        start = len(connector.activities)
        await abel.say("my tickets")
        await abel.say(f"status of {beth_ticket}")
        await abel.say("my HR cases")
        await abel.press(button)  # Beth's card, pressed by Abel
        await abel.press(
            {"verb": "it.update_ticket.comment", "number": beth_ticket, "comment": "hi"}
        )  # a forged submit without an owner
        to_abel = connector.in_conversation(f"personal-{ABEL['id']}", start)
        to_group = connector.in_conversation(chat.conversation_id, start)

        leaks = _numbers(to_abel + to_group) & beths
        assert leaks == set()
        assert _numbers(to_abel) & abels  # Abel did get his own records, privately
        assert not any(reply.get("attachments") for reply in to_group)
        assert any("made for someone else" in (r.get("text") or "") for r in to_abel)
        comments = await admin.records("sys_journal_field", "value=hi")
        assert comments == []


async def test_a_form_opened_in_a_group_chat_is_filled_in_privately() -> None:
    """Abel in the group: "my laptop won't boot" → the form arrives in his personal chat; his
    Submit there opens one ticket; Beth pressing Abel's form's Submit is refused."""
    async with bot_and_emulator(_settings()) as (chat, http):
        abel, beth = _in_group(chat, ABEL), _in_group(chat, BETH)
        connector = chat.connector
        start = len(connector.activities)
        await abel.say("my laptop won't boot")
        form = card_of(connector.in_conversation(f"personal-{ABEL['id']}", start)[-1])

        start = len(connector.activities)
        await beth.press(form_submit(form))
        refused = connector.in_conversation(f"personal-{BETH['id']}", start)
        assert [r["text"] for r in refused] == [NOT_YOUR_CARD]

        personal = abel.as_member(ABEL)
        personal.conversation_id = f"personal-{ABEL['id']}"
        personal.conversation = {"conversationType": "personal", "tenantId": TEAMS_TENANT}
        created = card_of((await personal.press(form_submit(form)))[-1])
        assert created["body"][0]["text"].startswith("I've opened INC")
        rows = await EmulatorAdmin(http).records(
            "incident", "caller_id.user_name=abel.tuter^short_descriptionLIKEwon't boot"
        )
        assert len(rows) == 1
