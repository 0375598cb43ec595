"""The HR topics' test bed: botbuilder's TestAdapter driving the real router, recogniser and topics,
through the real orchestrator, against the embedded ServiceNow emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
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
from dialogs.topics import build_topics
from flows.models import Employee
from servicenow.client import RetryPolicy

ADMIN_PASSWORD = "hr-topics-admin"
# One attempt per call: an injected fault reaches the topic at once, with no backoff to wait out.
ONE_ATTEMPT = RetryPolicy(attempts=1)


@dataclass
class EmulatorAdmin:
    """What a tester sees behind the bot: the emulator's records, faults and request log."""

    http: httpx.AsyncClient

    async def cases(self, query: str) -> list[dict[str, Any]]:
        """HR cases matching an encoded query (display values)."""
        response = await self.http.get(
            "/api/now/table/sn_hr_core_case",
            params={
                "sysparm_query": query,
                "sysparm_display_value": "true",
                "sysparm_exclude_reference_link": "true",
            },
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows

    async def update_case(self, number: str, fields: dict[str, str]) -> None:
        """Change a case as an HR agent would."""
        case = (await self.cases(f"number={number}"))[0]
        response = await self.http.patch(
            f"/api/now/table/sn_hr_core_case/{case['sys_id']}", json=fields
        )
        response.raise_for_status()

    async def user_sys_id(self, user_name: str) -> str:
        """The sys_id of a seeded person."""
        params = {"sysparm_query": f"user_name={user_name}", "sysparm_fields": "sys_id"}
        response = await self.http.get("/api/now/table/sys_user", params=params)
        response.raise_for_status()
        sys_id: str = response.json()["result"][0]["sys_id"]
        return sys_id

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
        response = await self.http.get(
            "/api/now/table/sys_journal_field",
            params={
                "sysparm_query": f"element_id={case['sys_id']}^element=comments"
                "^ORDERBYDESCsys_created_on"
            },
        )
        response.raise_for_status()
        return [row["value"] for row in response.json()["result"]]

    async def faults(self, **changes: Any) -> None:
        """Make the emulator fail (e.g. `error_next=50`), or behave again (`error_next=0`)."""
        response = await self.http.post("/emulator/faults", json=changes)
        response.raise_for_status()


@dataclass
class HRBed:
    """One conversation with the bot through the TestAdapter, plus the emulator behind it."""

    adapter: TestAdapter
    emulator: EmulatorAdmin
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


def inputs(card_json: dict[str, Any]) -> dict[str, Any]:
    """A form card's input values by id, as a user pressing Submit unchanged would send them."""
    return {
        e["id"]: e.get("value", "") for e in card_json["body"] if e["type"].startswith("Input.")
    }


def _employee_resolver(settings: Settings, deps: list[TopicDeps]) -> Any:
    known: dict[str, Employee] = {}

    async def current_employee(context: TurnContext) -> Employee:
        conversation = context.activity.conversation.id
        if conversation not in known:
            known[conversation] = await resolve_employee(context, deps[0].orchestrator, settings)
        return known[conversation]

    return current_employee


@pytest.fixture
async def bed() -> AsyncIterator[HRBed]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, storage_url="memory://", emulator_admin_password=ADMIN_PASSWORD
    )
    async with await connect(settings, policy=ONE_ATTEMPT) as connection:
        holder: list[TopicDeps] = []
        deps = TopicDeps(settings, connection.orchestrator, _employee_resolver(settings, holder))
        holder.append(deps)
        storage = MemoryStorage()
        main = MainDialog(build_topics(deps), Recognizer.load(settings.triggers_dir))
        bot = SnowdeskBot(ConversationState(storage), UserState(storage), main)
        base_url = str(connection.client.base_url)
        auth = ("admin", ADMIN_PASSWORD)
        async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=10) as http:
            yield HRBed(TestAdapter(bot.on_turn), EmulatorAdmin(http))
