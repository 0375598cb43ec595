"""What the HR and IT desk tests (and the desk benchmarks) share: the bot with its embedded
ServiceNow emulator, an admin's view of that emulator, and pressing a form's first button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.config import Settings
from bot.servicenow_setup import ServiceNowConnection, connect
from servicenow.client import DEFAULT_POLICY, RetryPolicy
from tests.e2e.harness import Conversation, running_bot
from tests.flows.conftest import loopback

# One attempt per call: an injected fault reaches the topic at once, with no backoff to wait out.
ONE_ATTEMPT = RetryPolicy(attempts=1)

# Two employees of the demo company as Teams members (ids, Entra object ids, the profiles the
# fake connector answers with), for group chats and refreshes seen by someone else.
TEAMS_TENANT = "tenant-1"
ABEL = {"id": "29:abel", "name": "Abel Tuter", "role": "user", "aadObjectId": "oid-abel"}
BETH = {"id": "29:beth", "name": "Beth Anglin", "role": "user", "aadObjectId": "oid-beth"}
TEAMS_PROFILES = {
    ABEL["id"]: {**ABEL, "email": "abel.tuter@example.com", "userPrincipalName": "abel.tuter"},
    BETH["id"]: {**BETH, "email": "beth.anglin@example.com", "userPrincipalName": "beth.anglin"},
}


def desk_settings(admin_password: str) -> Settings:
    """Anonymous local mode, memory state, the embedded emulator with this admin password."""
    return Settings(_env_file=None, storage_url="memory://", emulator_admin_password=admin_password)


@dataclass
class EmulatorAdmin:
    """What a tester sees behind the bot: the emulator's records, faults and people."""

    http: httpx.AsyncClient

    async def records(self, table: str, query: str) -> list[dict[str, Any]]:
        """Rows of a table matching an encoded query (display values)."""
        response = await self.http.get(
            f"/api/now/table/{table}",
            params={
                "sysparm_query": query,
                "sysparm_display_value": "true",
                "sysparm_exclude_reference_link": "true",
            },
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows

    async def patch(self, table: str, sys_id: str, fields: dict[str, str]) -> None:
        """Change a record as an agent would."""
        response = await self.http.patch(f"/api/now/table/{table}/{sys_id}", json=fields)
        response.raise_for_status()

    async def user_sys_id(self, user_name: str) -> str:
        """The sys_id of a seeded person."""
        params = {"sysparm_query": f"user_name={user_name}", "sysparm_fields": "sys_id"}
        response = await self.http.get("/api/now/table/sys_user", params=params)
        response.raise_for_status()
        sys_id: str = response.json()["result"][0]["sys_id"]
        return sys_id

    async def faults(self, **changes: Any) -> None:
        """Make the emulator fail (e.g. `error_next=50`), or behave again (`error_next=0`)."""
        response = await self.http.post("/emulator/faults", json=changes)
        response.raise_for_status()


@asynccontextmanager
async def admin_client(
    connection: ServiceNowConnection, password: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client signed in as the emulator's admin (plain loopback HTTP)."""
    base_url = connection.client.base_url
    auth = ("admin", password)
    async with httpx.AsyncClient(
        base_url=base_url, auth=auth, timeout=10, transport=loopback()
    ) as http:
        yield http


@asynccontextmanager
async def bot_and_emulator(
    settings: Settings, policy: RetryPolicy = DEFAULT_POLICY
) -> AsyncIterator[tuple[Conversation, httpx.AsyncClient]]:
    """The real bot over HTTP with its embedded emulator, and an admin client for that emulator."""
    holder: list[ServiceNowConnection] = []

    async def keep(settings: Settings) -> ServiceNowConnection:
        holder.append(await connect(settings, transport=loopback(), policy=policy))
        return holder[0]

    password = settings.emulator_admin_password
    # The second context is entered after the bot has started, so holder[0] exists by then.
    async with (
        running_bot(settings, connect_servicenow=keep) as chat,
        admin_client(holder[0], password) as http,
    ):
        yield chat, http


def form_inputs(card: dict[str, Any]) -> dict[str, Any]:
    """A form card's input values by id, as a user pressing Submit unchanged would send them."""
    return {item["id"]: item.get("value", "") for item in card["body"] if "id" in item}


def form_submit(card: dict[str, Any], **values: Any) -> dict[str, Any]:
    """What pressing the form's first button sends: its data plus the inputs (prefilled or given)."""
    return {**card["actions"][0]["data"], **form_inputs(card), **values}
