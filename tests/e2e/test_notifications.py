"""Notifications end to end over loopback HTTP: the real bot app, its embedded ServiceNow
emulator (which fires the signed webhook at the bot when a record changes) and a fake Teams
connector. An agent works a ticket through the emulator's Table API as `itil.agent`.

No test waits for a clock: the poller is driven by calling one cycle, and proactive cards are
awaited with `FakeConnector.message_where` (a condition on what arrived).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.app import SERVICENOW, create_app
from bot.config import Settings
from bot.notifications import (
    NOTIFICATIONS,
    PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK,
    Notifications,
)
from bot.storage import ClaimingMemoryStorage
from servicenow.emulator import RunningEmulator
from servicenow.emulator.seed import DEMO_PASSWORD
from servicenow.emulator.webhook import event_body, sign
from tests.e2e.harness import (
    Conversation,
    card_of,
    default_recognizer,
    fake_connector,
    served,
    texts_of,
)
from topics import HR_CASE_DETAILS, HR_CASE_UPDATES, IT_TICKET_DETAILS, IT_TICKET_UPDATES

AGENT = ("itil.agent", DEMO_PASSWORD)


@dataclass
class Bed:
    app: web.Application
    url: str
    chat: Conversation
    http: httpx.AsyncClient

    @property
    def emulator(self) -> RunningEmulator:
        emulator = self.app[SERVICENOW].emulator
        assert emulator is not None
        return emulator

    @property
    def notifications(self) -> Notifications:
        return self.app[NOTIFICATIONS]

    @property
    def servicenow_url(self) -> str:
        return self.app[SERVICENOW].client.base_url

    def webhook_on(self) -> None:
        self.emulator.send_changes_to(self.url + PATH, self.app[WEBHOOK].secret)

    def webhook_off(self) -> None:
        self.emulator.send_changes_to("", "")

    async def settled(self) -> None:
        """Wait until the emulator's events were delivered and the bot handled them."""
        await asyncio.gather(*list(self.emulator.state.webhook.tasks))
        await asyncio.gather(*list(self.app[WEBHOOK].tasks))

    async def incident_of(self, user_name: str) -> dict[str, Any]:
        """An active incident whose caller is `user_name`."""
        response = await self.http.get(
            f"{self.servicenow_url}/api/now/table/incident",
            params={
                "sysparm_query": f"caller_id.user_name={user_name}^active=true^ORDERBYnumber",
                "sysparm_fields": "sys_id,number,sys_mod_count",
                "sysparm_limit": "1",
            },
            auth=AGENT,
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        assert rows, f"the demo seed has no open incident of {user_name}"
        return rows[0]

    async def agent_patch(self, sys_id: str, **values: str) -> dict[str, Any]:
        response = await self.http.patch(
            f"{self.servicenow_url}/api/now/table/incident/{sys_id}", json=values, auth=AGENT
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    async def post_event(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post(self.url + PATH, content=body, headers=headers)

    def signed(self, body: bytes, at: float | None = None, secret: str = "") -> dict[str, str]:
        timestamp = str(int(time.time() if at is None else at))
        return {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret or self.app[WEBHOOK].secret, timestamp, body),
        }


@pytest.fixture
async def bed() -> AsyncIterator[Bed]:
    settings = Settings(_env_file=None, storage_url="memory://", notify_poll_seconds=0)
    async with fake_connector() as connector:
        app = create_app(settings, recognizer=default_recognizer())
        async with served(app) as url, httpx.AsyncClient(timeout=30) as http:
            chat = Conversation(bot_url=url, connector=connector, http=http)
            bed = Bed(app, url, chat, http)
            bed.webhook_on()  # the bot's port is known only now
            # Abel (the demo user) opens his chat: his conversation reference is stored.
            await chat.join()
            yield bed


def _is_notification(number: str, words: str) -> Any:
    def matches(activity: dict[str, Any]) -> bool:
        return number in str(activity.get("text")) and words in str(activity.get("text"))

    return matches


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions") or [])


async def test_an_agents_comment_reaches_the_employee_as_a_card_through_the_webhook(
    bed: Bed,
) -> None:
    """Script: Abel joins → itil.agent comments on Abel's incident in ServiceNow → the emulator
    fires the signed webhook → Abel gets a card (comment, Details, Stop updates, Open)."""
    incident = await bed.incident_of("abel.tuter")
    since = len(bed.chat.connector.activities)
    started = time.perf_counter()
    await bed.agent_patch(incident["sys_id"], comments="Could you restart it and tell me?")
    message = await bed.chat.connector.message_where(
        _is_notification(incident["number"], "commented"), since=since
    )
    latency = time.perf_counter() - started
    print(f"\nnotification latency, webhook path: {latency * 1000:.0f} ms")
    assert message["_conversation"] == bed.chat.conversation_id
    card = card_of(message)
    assert "Could you restart it and tell me?" in " ".join(texts_of(card))
    verbs = [a.get("data", {}).get("verb") for a in _actions(card)]
    assert verbs[:2] == [IT_TICKET_DETAILS.verb, IT_TICKET_UPDATES.action("mute")]
    urls = [a.get("url") for a in _actions(card) if a["type"] == "Action.OpenUrl"]
    assert urls == [f"{bed.servicenow_url}/incident.do?sys_id={incident['sys_id']}"]
    assert latency < 60


async def test_the_webhook_accepts_a_good_signature_once_and_refuses_the_rest(bed: Bed) -> None:
    bed.webhook_off()  # the test signs its own events
    incident = await bed.incident_of("abel.tuter")
    row = await bed.agent_patch(incident["sys_id"], comments="Your new laptop is ready.")
    body = event_body("incident", row, ["comments"], "itil.agent")
    since = len(bed.chat.connector.activities)

    good = await bed.post_event(body, bed.signed(body))
    assert good.status_code == 202, good.text
    await bed.settled()
    await bed.chat.connector.message_where(
        _is_notification(incident["number"], "commented"), since=since
    )
    # The same event again (a retried or replayed delivery): nothing twice.
    duplicate = await bed.post_event(body, bed.signed(body))
    assert duplicate.status_code == 200 and duplicate.json()["status"] == "duplicate"

    other = event_body("incident", {**row, "sys_mod_count": "999"}, ["comments"], "itil.agent")
    refused = [
        await bed.post_event(other, bed.signed(other, secret="not-the-secret")),
        await bed.post_event(other, {"Content-Type": "application/json"}),
        await bed.post_event(other + b" ", bed.signed(other)),  # body changed after signing
        await bed.post_event(other, bed.signed(other, at=time.time() - 3600)),  # replayed late
    ]
    assert [r.status_code for r in refused] == [401, 401, 401, 401]
    assert all("secret" not in r.text.lower() for r in refused)
    await bed.settled()
    assert len(bed.chat.connector.in_conversation(bed.chat.conversation_id, since)) == 1


async def test_the_poller_catches_a_change_made_while_the_webhook_was_off(bed: Bed) -> None:
    """Script: webhook off → the agent puts Abel's incident on hold awaiting him → one poll
    cycle → Abel is asked for his answer; a second cycle sends nothing more."""
    bed.webhook_off()
    incident = await bed.incident_of("abel.tuter")
    since = len(bed.chat.connector.activities)
    started = time.perf_counter()
    await bed.agent_patch(
        incident["sys_id"], state="3", hold_reason="1", comments="Which room are you in?"
    )
    report = await bed.notifications.poll_once()
    message = await bed.chat.connector.message_where(
        _is_notification(incident["number"], "needs your answer"), since=since
    )
    latency = time.perf_counter() - started
    print(f"\nnotification latency, poller path (one cycle): {latency * 1000:.0f} ms")
    assert incident["number"] in report.notified
    assert "Which room are you in?" in " ".join(texts_of(card_of(message)))
    again = await bed.notifications.poll_once()
    assert again.notified == []


async def test_a_change_both_sources_report_notifies_once(bed: Bed) -> None:
    incident = await bed.incident_of("abel.tuter")
    since = len(bed.chat.connector.activities)
    await bed.agent_patch(incident["sys_id"], comments="Parts are ordered.")
    await bed.settled()
    report = await bed.notifications.poll_once()
    assert report.notified == []
    assert len(bed.chat.connector.in_conversation(bed.chat.conversation_id, since)) == 1


async def test_stop_updates_mutes_that_record(bed: Bed) -> None:
    """Script: a notification → Abel presses Stop updates → the agent comments again → no
    card; the ticket's updates still answer when asked."""
    incident = await bed.incident_of("abel.tuter")
    since = len(bed.chat.connector.activities)
    await bed.agent_patch(incident["sys_id"], comments="First answer.")
    message = await bed.chat.connector.message_where(
        _is_notification(incident["number"], "commented"), since=since
    )
    stop = next(
        a for a in _actions(card_of(message)) if a.get("title", "").startswith("Stop updates")
    )
    replies = await bed.chat.press(stop["data"])
    assert any("won't send you updates" in str(r.get("text")) for r in replies)

    since = len(bed.chat.connector.activities)
    await bed.agent_patch(incident["sys_id"], comments="Second answer.")
    await bed.settled()
    await bed.notifications.poll_once()
    assert bed.chat.connector.in_conversation(bed.chat.conversation_id, since) == []


async def test_only_the_records_owner_is_notified(bed: Bed) -> None:
    """Beth's incident changes: Abel, whose chat is the only one known, hears nothing."""
    incident = await bed.incident_of("beth.anglin")
    since = len(bed.chat.connector.activities)
    await bed.agent_patch(incident["sys_id"], comments="Beth, your screen is on its way.")
    await bed.settled()
    await bed.notifications.poll_once()
    assert bed.chat.connector.replies(since) == []


async def test_a_429_from_teams_is_retried_after_its_retry_after(
    bed: Bed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.conversations")
    incident = await bed.incident_of("abel.tuter")
    bed.chat.connector.throttle = 2
    since = len(bed.chat.connector.activities)
    await bed.agent_patch(
        incident["sys_id"],
        state="6",
        close_code="Solution provided",
        close_notes="Replaced the disk",
    )
    message = await bed.chat.connector.message_where(
        _is_notification(incident["number"], "resolved"), since=since
    )
    assert bed.chat.connector.throttled == 2
    waits = [r for r in caplog.records if r.getMessage() == "notification.throttled"]
    assert [getattr(r, "wait_s", None) for r in waits] == [0.0, 0.0]  # Retry-After: 0
    assert json.dumps(card_of(message))  # the card itself came through whole


async def test_an_hr_agents_comment_reaches_the_employee_with_the_hr_buttons(bed: Bed) -> None:
    response = await bed.http.get(
        f"{bed.servicenow_url}/api/now/table/sn_hr_core_case",
        params={
            "sysparm_query": "opened_for.user_name=abel.tuter^active=true^ORDERBYnumber",
            "sysparm_fields": "sys_id,number",
            "sysparm_limit": "1",
        },
        auth=("hr.agent", DEMO_PASSWORD),
    )
    (case,) = response.json()["result"]
    since = len(bed.chat.connector.activities)
    patched = await bed.http.patch(
        f"{bed.servicenow_url}/api/now/table/sn_hr_core_case/{case['sys_id']}",
        json={"comments": "We corrected your tax class."},
        auth=("hr.agent", DEMO_PASSWORD),
    )
    assert patched.status_code == 200, patched.text
    message = await bed.chat.connector.message_where(
        _is_notification(case["number"], "commented on your HR case"), since=since
    )
    verbs = [a.get("data", {}).get("verb") for a in _actions(card_of(message))]
    assert verbs[:2] == [HR_CASE_DETAILS.verb, HR_CASE_UPDATES.action("mute")]


async def test_conversation_references_survive_a_restart() -> None:
    """Abel talks to one bot process; the next process (same storage) can still tell him."""
    storage = ClaimingMemoryStorage()
    settings = Settings(_env_file=None, storage_url="memory://", notify_poll_seconds=0)
    async with fake_connector() as connector:
        for life in ("before", "after"):
            app = create_app(settings, storage=storage, recognizer=default_recognizer())
            async with served(app) as url, httpx.AsyncClient(timeout=30) as http:
                bed = Bed(app, url, Conversation(url, connector, http), http)
                if life == "before":
                    await bed.chat.join()
                    conversation_id = bed.chat.conversation_id
                    continue
                bed.webhook_on()
                incident = await bed.incident_of("abel.tuter")
                await bed.agent_patch(incident["sys_id"], comments="Back after the restart.")
                message = await connector.message_where(
                    _is_notification(incident["number"], "commented")
                )
                assert message["_conversation"] == conversation_id
