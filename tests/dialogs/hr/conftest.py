"""The HR topics' test bed: the real bot over HTTP and its embedded ServiceNow emulator, as the IT
topics' bed (tests/dialogs/it/conftest.py) is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.desk import ONE_ATTEMPT, EmulatorAdmin, bot_and_emulator, desk_settings
from tests.e2e.harness import Conversation

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
    """One conversation with the bot plus the emulator behind it."""

    chat: Conversation
    emulator: HRAdmin


def actions(card_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A card's top-level buttons by title."""
    return {action["title"]: action for action in card_json.get("actions", [])}


@pytest.fixture
async def bed() -> AsyncIterator[HRBed]:
    settings = desk_settings(ADMIN_PASSWORD)
    async with bot_and_emulator(settings, ONE_ATTEMPT) as (chat, http):
        yield HRBed(chat, HRAdmin(http))
