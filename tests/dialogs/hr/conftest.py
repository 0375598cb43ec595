"""The HR topics' test bed: botbuilder's TestAdapter driving the real router, recogniser and topics,
through the real orchestrator, against the embedded ServiceNow emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes

from bot.config import Settings
from bot.handler import SnowdeskBot
from bot.identity import resolve_employee
from bot.servicenow_setup import connect
from dialogs.base import TopicDeps
from dialogs.main import MainDialog
from dialogs.recognizer import Recognizer
from dialogs.search import RecordSearch
from dialogs.topics import build_topics
from flows.models import Employee
from flows.orchestrator import Orchestrator
from tests.desk import ONE_ATTEMPT, EmulatorAdmin, admin_client, desk_settings
from tests.flows.conftest import loopback

ADMIN_PASSWORD = "hr-topics-admin"


class HRAdmin(EmulatorAdmin):
    """The emulator's HR cases, as an HR agent sees and changes them."""

    async def cases(self, query: str) -> list[dict[str, Any]]:
        """HR cases matching an encoded query (display values)."""
        return await self.records("sn_hr_core_case", query)

    async def update_case(self, number: str, fields: dict[str, str]) -> None:
        """Change a case as an HR agent would."""
        case = (await self.cases(f"number={number}"))[0]
        await self.patch("sn_hr_core_case", case["sys_id"], fields)

    async def create_case_for(self, user_sys_id: str, subject: str) -> None:
        """Open a case for an employee, as an HR agent would on the phone."""
        service = (await self.http.get("/api/now/table/sn_hr_core_service?sysparm_limit=1")).json()
        fields = {
            "opened_for": user_sys_id,
            "subject_person": user_sys_id,
            "short_description": subject,
            "hr_service": service["result"][0]["sys_id"],
        }
        response = await self.http.post("/api/now/table/sn_hr_core_case", json=fields)
        response.raise_for_status()

    async def journal(self, number: str) -> list[str]:
        """The customer-visible comments of a case, newest first."""
        case = (await self.cases(f"number={number}"))[0]
        query = f"element_id={case['sys_id']}^element=comments^ORDERBYDESCsys_created_on"
        return [row["value"] for row in await self.records("sys_journal_field", query)]


@dataclass
class HRBed:
    """One conversation with the bot through the TestAdapter, plus the emulator behind it."""

    adapter: TestAdapter
    emulator: HRAdmin
    timezone: str | None = None
    sent: list[Activity] = field(default_factory=list)

    async def say(self, text: str) -> list[Activity]:
        """The user types a message; returns the bot's messages (typing indicators kept aside)."""
        return await self._turn(Activity(type=ActivityTypes.message, text=text))

    async def press(self, data: dict[str, Any]) -> list[Activity]:
        """The user presses an Action.Submit carrying `data` (its verb, ids and input values)."""
        return await self._turn(Activity(type=ActivityTypes.message, value=data))

    async def _turn(self, activity: Activity) -> list[Activity]:
        activity.local_timezone = self.timezone
        await self.adapter.receive_activity(activity)
        replies: list[Activity] = []
        while self.adapter.activity_buffer:
            reply = self.adapter.activity_buffer.pop(0)
            self.sent.append(reply)
            if reply.type == ActivityTypes.message:
                replies.append(reply)
        return replies


def card(reply: Activity) -> dict[str, Any]:
    """The Adaptive Card a reply carries (fails when it is plain text)."""
    assert reply.attachments, f"expected a card, got {reply.text!r}"
    content: dict[str, Any] = reply.attachments[0].content
    return content


def actions(card_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A card's top-level buttons by title."""
    return {action["title"]: action for action in card_json.get("actions", [])}


def _employee_resolver(settings: Settings, orchestrator: Orchestrator) -> Any:
    known: dict[str, Employee] = {}

    async def current_employee(context: TurnContext) -> Employee:
        conversation = context.activity.conversation.id
        if conversation not in known:
            known[conversation] = await resolve_employee(context, orchestrator, settings)
        return known[conversation]

    return current_employee


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    """The built-in trigger phrases, learnt once (~0.3 s); recognising never changes it."""
    return Recognizer.load(desk_settings(ADMIN_PASSWORD).triggers_dir)


@pytest.fixture
async def bed(recognizer: Recognizer) -> AsyncIterator[HRBed]:
    settings = desk_settings(ADMIN_PASSWORD)
    async with await connect(settings, transport=loopback(), policy=ONE_ATTEMPT) as connection:
        resolver = _employee_resolver(settings, connection.orchestrator)
        deps = TopicDeps(orchestrator=connection.orchestrator, current_employee=resolver)
        storage = MemoryStorage()
        main = MainDialog(build_topics(deps), recognizer)
        state = ConversationState(storage)
        bot = SnowdeskBot(state, state, UserState(storage), main, RecordSearch(deps))
        async with admin_client(connection, ADMIN_PASSWORD) as http:
            yield HRBed(TestAdapter(bot.on_turn), HRAdmin(http))
