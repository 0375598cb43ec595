"""The IT topics' test bed: the real bot over HTTP, its embedded ServiceNow emulator, a file server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.desk import ONE_ATTEMPT, EmulatorAdmin, bot_and_emulator, desk_settings
from tests.dialogs.it.files import EmulatorFiles
from tests.e2e.harness import Conversation

ADMIN_PASSWORD = "it-topics-admin"


class ItAdmin(EmulatorAdmin):
    """The emulator's incidents and their files, as an IT agent sees and changes them."""

    async def incidents(self, query: str) -> list[dict[str, Any]]:
        """Incidents matching an encoded query, as the admin sees them (display values)."""
        return await self.records("incident", query)

    async def patch_incident(self, sys_id: str, fields: dict[str, str]) -> None:
        """Change an incident as an agent would (work notes, state)."""
        await self.patch("incident", sys_id, fields)

    async def attachments(self, sys_id: str) -> list[dict[str, Any]]:
        """The files attached to a record."""
        response = await self.http.get(
            "/api/now/table/sys_attachment", params={"sysparm_query": f"table_sys_id={sys_id}"}
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows


@dataclass
class ItBed:
    """One conversation with the bot plus the emulator behind it and a local file server."""

    chat: Conversation
    emulator: ItAdmin
    files: EmulatorFiles

    async def send(self, **fields: Any) -> list[dict[str, Any]]:
        """The user sends a message activity with these fields; returns the bot's replies."""
        since = len(self.chat.connector.activities)
        response = await self.chat.post(self.chat.activity("message", **fields))
        assert response.status_code in (200, 201), response.text
        return self.chat.connector.replies(since)


@pytest.fixture
async def bed() -> AsyncIterator[ItBed]:
    settings = desk_settings(ADMIN_PASSWORD)
    async with bot_and_emulator(settings, ONE_ATTEMPT) as (chat, http):
        yield ItBed(chat, ItAdmin(http), EmulatorFiles(chat.connector))
