"""The IT topics' test bed: the real bot over HTTP, its embedded ServiceNow emulator, a file server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.servicenow_setup import ServiceNowConnection, connect
from servicenow.client import RetryPolicy
from tests.dialogs.it.files import FileServer, file_server
from tests.e2e.harness import Conversation, running_bot

ADMIN_PASSWORD = "it-topics-admin"
# One attempt per call: an injected fault reaches the topic at once, with no backoff to wait out.
ONE_ATTEMPT = RetryPolicy(attempts=1)


@dataclass
class Emulator:
    """Admin access to the bot's embedded ServiceNow emulator: records, faults, request log."""

    http: httpx.AsyncClient

    async def incidents(self, query: str) -> list[dict[str, Any]]:
        """Incidents matching an encoded query, as the admin sees them (display values)."""
        response = await self.http.get(
            "/api/now/table/incident",
            params={
                "sysparm_query": query,
                "sysparm_display_value": "true",
                "sysparm_exclude_reference_link": "true",
            },
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows

    async def patch_incident(self, sys_id: str, fields: dict[str, str]) -> None:
        """Change an incident as an agent would (work notes, state)."""
        response = await self.http.patch(f"/api/now/table/incident/{sys_id}", json=fields)
        response.raise_for_status()

    async def attachments(self, sys_id: str) -> list[dict[str, Any]]:
        """The files attached to a record."""
        response = await self.http.get(
            "/api/now/table/sys_attachment", params={"sysparm_query": f"table_sys_id={sys_id}"}
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows

    async def faults(self, **changes: Any) -> None:
        """Make the emulator misbehave (e.g. `error_next=50`), or behave again."""
        response = await self.http.post("/emulator/faults", json=changes)
        response.raise_for_status()


@dataclass
class ItBed:
    """One conversation with the bot plus the emulator behind it and a local file server."""

    chat: Conversation
    emulator: Emulator
    files: FileServer

    async def send(self, **fields: Any) -> list[dict[str, Any]]:
        """The user sends a message activity with these fields; returns the bot's replies."""
        since = len(self.chat.connector.activities)
        response = await self.chat.post(self.chat.activity("message", **fields))
        assert response.status_code in (200, 201), response.text
        return self.chat.connector.replies(since)


@pytest.fixture
async def bed() -> AsyncIterator[ItBed]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, storage_url="memory://", emulator_admin_password=ADMIN_PASSWORD
    )
    holder: list[ServiceNowConnection] = []

    async def keep(settings: Settings) -> ServiceNowConnection:
        connection = await connect(settings, policy=ONE_ATTEMPT)
        holder.append(connection)
        return connection

    async with file_server() as files, running_bot(settings, connect_servicenow=keep) as chat:
        base_url = holder[0].client.base_url
        auth = ("admin", ADMIN_PASSWORD)
        async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=10) as http:
            yield ItBed(chat, Emulator(http), files)
