"""Ticketed access end to end over loopback HTTP: the real bot app, its embedded ServiceNow
emulator, a fake Teams connector and a fake Microsoft Entra ID + Graph (tests/fakes/microsoft.py).

The poller is driven by calling one poll cycle directly: no test waits for a clock.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from aiohttp import web

from bot.access_requests import DAY_S, AccessRequests
from bot.app import SERVICENOW, create_app
from bot.config import Settings
from bot.entitlement import ACCESS_REQUESTS, ENTITLEMENT, GRAPH_CLIENT, PATH
from bot.graph import RetryPolicy
from bot.notifications import PATH as NOTIFICATIONS_PATH
from bot.notifications import WEBHOOK
from servicenow.emulator.seed import DEMO_PASSWORD
from tests.e2e.harness import Conversation, default_recognizer, fake_connector, served
from tests.fakes.microsoft import AUDIENCE, FakeMicrosoft, _rsa_key

FIELDS = (
    "u_access_package_assignment_request_id",
    "u_access_package_assignment_stage",
    "u_stage_instance_id",
)


@dataclass
class Bed:
    app: web.Application
    url: str
    chat: Conversation
    fake: FakeMicrosoft
    http: httpx.AsyncClient

    @property
    def access(self) -> AccessRequests:
        return self.app[ACCESS_REQUESTS]

    @property
    def servicenow_url(self) -> str:
        return self.app[SERVICENOW].client.base_url

    async def callout(self, payload: dict[str, Any], token: str | None = None) -> httpx.Response:
        token = self.fake.callout_token() if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(f"{self.url}{PATH}", json=payload, headers=headers)

    async def settled(self) -> None:
        """Wait for the tickets the accepted callouts open in the background."""
        await asyncio.gather(*list(self.app[ENTITLEMENT].tasks))

    async def tickets(self, stage_instance_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.servicenow_url}/api/now/table/incident",
            params={
                "sysparm_query": f"u_stage_instance_id={stage_instance_id}",
                "sysparm_fields": ",".join(("sys_id", "number", "caller_id", "state", *FIELDS)),
            },
            auth=("itil.agent", DEMO_PASSWORD),
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows

    async def agent_sets_state(self, sys_id: str, state: str) -> None:
        """An IT agent resolves (6), closes (7) or cancels (8) the ticket in ServiceNow."""
        response = await self.http.patch(
            f"{self.servicenow_url}/api/now/table/incident/{sys_id}",
            json={"state": state, "close_code": "Solution provided", "close_notes": "Access given"},
            auth=("itil.agent", DEMO_PASSWORD),
        )
        assert response.status_code == 200, response.text

    def notifications(self, since: int = 0) -> list[str]:
        return [str(a.get("text")) for a in self.chat.connector.replies(since) if a.get("text")]


@asynccontextmanager
async def access_bed(fake: FakeMicrosoft, **changes: Any) -> AsyncIterator[Bed]:
    settings = Settings(
        _env_file=None,
        storage_url="memory://",
        entra_authority_host=fake.authority_host,
        graph_url=fake.graph_url,
        entra_tenant_id=fake.tenant,
        graph_client_id=fake.client_id,
        graph_client_secret=fake.client_secret,
        entitlement_audience=AUDIENCE,
        entitlement_poll_seconds=3600,  # cycles are run by the tests
        **changes,
    )
    async with fake_connector() as connector:
        app = create_app(settings, recognizer=default_recognizer())
        async with served(app) as url, httpx.AsyncClient(timeout=30) as http:
            # The Graph client is made when the app starts.
            app[GRAPH_CLIENT].policy = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05)
            chat = Conversation(bot_url=url, connector=connector, http=http)
            yield Bed(app, url, chat, fake, http)


def callout_payload(
    stage_instance_id: str | None = None, package: str = "Sales Analytics", pascal: bool = False
) -> dict[str, Any]:
    """A callout as entitlement management sends it when a request is approved."""
    request_id = str(uuid.uuid4())
    data = {
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCalloutData",
        "stage": "assignmentRequestApproved",
        "customExtensionStageInstanceId": stage_instance_id or str(uuid.uuid4()),
        "accessPackageAssignmentRequestId": request_id,
        "callbackUriPath": f"/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/{request_id}/resume",
        "state": "delivering",
        "requestType": "userAdd",
        "accessPackage": {"id": str(uuid.uuid4()), "displayName": package},
        "accessPackageCatalog": {"id": str(uuid.uuid4()), "displayName": "General"},
        "assignment": {
            "id": str(uuid.uuid4()),
            "state": "delivering",
            "target": {
                "objectId": str(uuid.uuid4()),
                "displayName": "Abel Tuter",
                "email": "abel.tuter@example.com",
            },
            "assignmentPolicy": {"id": str(uuid.uuid4()), "displayName": "Employees, approved"},
        },
        "requestor": {
            "objectId": str(uuid.uuid4()),
            "displayName": "Abel Tuter",
            "email": "abel.tuter@example.com",
        },
    }
    if pascal:
        data = {key[0].upper() + key[1:] if key[0] != "@" else key: v for key, v in data.items()}
    return {
        "source": "EntitlementManagement",
        "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestApproved",
        "data": data,
    }


async def open_ticket(bed: Bed, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = callout_payload(**options)
    response = await bed.callout(payload)
    assert response.status_code == 202, response.text
    await bed.settled()
    data = payload["data"]
    stage_instance_id = (
        data.get("customExtensionStageInstanceId") or data["CustomExtensionStageInstanceId"]
    )
    tickets = await bed.tickets(stage_instance_id)
    assert len(tickets) == 1
    return payload, tickets[0]


async def test_callout_ticket_close_resume_granted(microsoft: FakeMicrosoft) -> None:
    """Abel opens his chat with the bot; Entra calls the custom extension → 202; one ticket
    with the three fields, raised for Abel → "Your access to Sales Analytics is waiting on INC…";
    an agent resolves the ticket → one poll cycle → one Graph resume with the callback data →
    "Your access to Sales Analytics is granted."; a later cycle resumes nothing again."""
    async with access_bed(microsoft) as bed:
        await bed.chat.join()
        since = len(bed.chat.connector.activities)
        payload, ticket = await open_ticket(bed)
        data = payload["data"]
        assert (
            ticket["u_access_package_assignment_request_id"]
            == data["accessPackageAssignmentRequestId"]
        )
        assert ticket["u_access_package_assignment_stage"] == "assignmentRequestApproved"
        assert ticket["u_stage_instance_id"] == data["customExtensionStageInstanceId"]
        assert ticket["caller_id"]["value"], "the requestor is the ticket's caller"
        assert bed.notifications(since) == [
            f"Your access to Sales Analytics is waiting on {ticket['number']}."
        ]

        nothing = await bed.access.poll_once()
        assert nothing.closed == [] and microsoft.resumes == []

        since = len(bed.chat.connector.activities)
        await bed.agent_sets_state(ticket["sys_id"], "6")
        closed_at = time.perf_counter()
        report = await bed.access.poll_once()
        assert report.closed == [ticket["number"]]
        assert len(microsoft.resumes) == 1
        resume = microsoft.resumes[0]
        close_to_resume_ms = (resume.at - closed_at) * 1000
        print(f"\nticket close → Graph resume: {close_to_resume_ms:.1f} ms (one poll cycle + call)")
        assert resume.request_id == data["accessPackageAssignmentRequestId"]
        assert resume.body == {
            "source": "ServiceNow",
            "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestApproved",
            "data": {
                "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCallbackData",
                "stage": "assignmentRequestApproved",
                "customExtensionStageInstanceId": data["customExtensionStageInstanceId"],
                "customExtensionStageInstanceDetail": f"{ticket['number']} was resolved in ServiceNow",
            },
        }
        assert bed.notifications(since) == ["Your access to Sales Analytics is granted."]

        again = await bed.access.poll_once()
        assert again.closed == [] and len(microsoft.resumes) == 1
        # A record-changed event for the same ticket later does nothing either.
        assert not await bed.access.on_record_changed(ticket["sys_id"])
        assert len(microsoft.resumes) == 1


async def test_the_notifications_webhook_resumes_a_closed_access_ticket_at_once(
    microsoft: FakeMicrosoft,
) -> None:
    """The embedded emulator fires the notifications webhook when the agent resolves the
    ticket: the request is granted with no poll cycle, and a later cycle does nothing."""
    async with access_bed(microsoft, notify_poll_seconds=0) as bed:
        await bed.chat.join()
        _, ticket = await open_ticket(bed)
        emulator = bed.app[SERVICENOW].emulator
        assert emulator is not None
        emulator.send_changes_to(bed.url + NOTIFICATIONS_PATH, bed.app[WEBHOOK].secret)
        since = len(bed.chat.connector.activities)
        await bed.agent_sets_state(ticket["sys_id"], "6")
        await bed.chat.connector.message_where(
            lambda a: a.get("text") == "Your access to Sales Analytics is granted.", since=since
        )
        assert len(microsoft.resumes) == 1
        assert (await bed.access.poll_once()).closed == []


def _none_token() -> str:
    claims = {"aud": AUDIENCE, "exp": int(time.time()) + 600}
    return jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake: "", id="no token"),
        pytest.param(lambda fake: "not-a-jwt", id="garbage"),
        pytest.param(lambda fake: fake.callout_token(key=_rsa_key()), id="forged signature"),
        pytest.param(lambda fake: fake.callout_token(expires_in=-3600), id="expired"),
        pytest.param(
            lambda fake: fake.callout_token(audience="api://someone-else"), id="wrong audience"
        ),
        pytest.param(
            lambda fake: fake.callout_token(issuer="https://evil.example/v2.0"), id="wrong issuer"
        ),
        pytest.param(lambda fake: fake.callout_token(kid="unknown-key"), id="unknown key"),
        pytest.param(lambda fake: _none_token(), id="alg none"),
    ],
)
async def test_refused_callout_tokens_get_401_and_no_ticket(
    microsoft: FakeMicrosoft, forge: Any
) -> None:
    async with access_bed(microsoft) as bed:
        payload = callout_payload()
        response = await bed.callout(payload, token=forge(microsoft) or "")
        assert response.status_code == 401, response.text
        assert "credentials were not accepted" in response.text
        assert not bed.app[ENTITLEMENT].tasks
        assert await bed.tickets(payload["data"]["customExtensionStageInstanceId"]) == []


async def test_duplicate_callouts_open_one_ticket(microsoft: FakeMicrosoft) -> None:
    """Entra retries a callout (three at once, then one more later): one ticket, one message."""
    async with access_bed(microsoft) as bed:
        await bed.chat.join()
        since = len(bed.chat.connector.activities)
        payload = callout_payload()
        responses = await asyncio.gather(*(bed.callout(payload) for _ in range(3)))
        assert [r.status_code for r in responses] == [202, 202, 202]
        await bed.settled()
        assert (await bed.callout(payload)).status_code == 202
        await bed.settled()
        tickets = await bed.tickets(payload["data"]["customExtensionStageInstanceId"])
        assert len(tickets) == 1
        assert len(bed.notifications(since)) == 1


async def test_graph_429_and_503_are_retried_and_resume_happens_once(
    microsoft: FakeMicrosoft,
) -> None:
    async with access_bed(microsoft) as bed:
        _, ticket = await open_ticket(bed)
        await bed.agent_sets_state(ticket["sys_id"], "7")
        microsoft.faults = [429, 503]
        report = await bed.access.poll_once()
        assert report.closed == [ticket["number"]]
        assert microsoft.resume_attempts == 3
        assert len(microsoft.resumes) == 1
        await bed.access.poll_once()
        assert len(microsoft.resumes) == 1


async def test_graph_down_for_a_whole_cycle_is_resumed_by_the_next(
    microsoft: FakeMicrosoft,
) -> None:
    async with access_bed(microsoft) as bed:
        _, ticket = await open_ticket(bed)
        await bed.agent_sets_state(ticket["sys_id"], "6")
        microsoft.faults = [503] * 5
        report = await bed.access.poll_once()
        assert report.failed == [ticket["number"]] and microsoft.resumes == []
        report = await bed.access.poll_once()
        assert report.closed == [ticket["number"]] and len(microsoft.resumes) == 1


async def test_a_cancelled_ticket_declines_the_request(microsoft: FakeMicrosoft) -> None:
    async with access_bed(microsoft) as bed:
        await bed.chat.join()
        payload, ticket = await open_ticket(bed, package="Finance Reports", pascal=True)
        since = len(bed.chat.connector.activities)
        await bed.agent_sets_state(ticket["sys_id"], "8")
        await bed.access.poll_once()
        assert len(microsoft.resumes) == 1
        data = microsoft.resumes[0].body["data"]
        assert data["state"] == "denied"
        assert (
            data["customExtensionStageInstanceId"]
            == payload["data"]["CustomExtensionStageInstanceId"]
        )
        assert bed.notifications(since) == ["Your request for Finance Reports was declined."]


async def test_a_ticket_open_too_long_warns_group_and_employee_once(
    microsoft: FakeMicrosoft,
) -> None:
    async with access_bed(microsoft, entitlement_warn_days=10) as bed:
        await bed.chat.join()
        _, ticket = await open_ticket(bed)
        since = len(bed.chat.connector.activities)
        bed.access.clock = lambda: time.time() + 11 * DAY_S
        report = await bed.access.poll_once()
        assert report.warned == [ticket["number"]]
        again = await bed.access.poll_once()
        assert again.warned == []
        assert bed.notifications(since) == [
            f"Your access to Sales Analytics is still waiting on {ticket['number']} after 10 days; "
            "IT has been reminded."
        ]
        notes = await bed.http.get(
            f"{bed.servicenow_url}/api/now/table/incident/{ticket['sys_id']}",
            params={"sysparm_fields": "work_notes", "sysparm_display_value": "true"},
            auth=("itil.agent", DEMO_PASSWORD),
        )
        assert "stops waiting after 14 days" in notes.json()["result"]["work_notes"]
        assert microsoft.resumes == []


async def test_no_conversation_reference_means_undeliverable_not_failure(
    microsoft: FakeMicrosoft, caplog: pytest.LogCaptureFixture
) -> None:
    async with access_bed(microsoft) as bed:
        caplog.set_level("INFO")
        _, ticket = await open_ticket(bed)  # nobody has talked to the bot yet
        assert any(r.getMessage() == "notification.undeliverable" for r in caplog.records)
        assert ticket["number"]


async def test_invalid_payloads_get_400(microsoft: FakeMicrosoft) -> None:
    async with access_bed(microsoft) as bed:
        bad = callout_payload()
        bad["data"]["customExtensionStageInstanceId"] = "x^active=true"
        response = await bed.callout(bad)
        assert response.status_code == 400 and "customExtensionStageInstanceId" in response.text
        response = await bed.http.post(
            f"{bed.url}{PATH}",
            content=b"{not json",
            headers={"Authorization": f"Bearer {microsoft.callout_token()}"},
        )
        assert response.status_code == 400


async def test_the_endpoint_says_when_it_is_not_configured() -> None:
    settings = Settings(_env_file=None, storage_url="memory://")
    app = create_app(settings, recognizer=default_recognizer())
    async with served(app) as url, httpx.AsyncClient() as http:
        response = await http.post(url + PATH, json={})
    assert response.status_code == 503 and "ENTRA_TENANT_ID" in response.text


async def test_a_record_changed_event_completes_the_request_like_the_poller(
    microsoft: FakeMicrosoft,
) -> None:
    """What the notifications webhook will call: an open ticket does nothing; once closed,
    one resume; the poller (and a repeated event) then find nothing left to do."""
    async with access_bed(microsoft) as bed:
        _, ticket = await open_ticket(bed)
        assert not await bed.access.on_record_changed(ticket["sys_id"])
        await bed.agent_sets_state(ticket["sys_id"], "7")
        assert await bed.access.on_record_changed(ticket["sys_id"])
        assert not await bed.access.on_record_changed(ticket["sys_id"])
        assert (await bed.access.poll_once()).closed == []
        assert len(microsoft.resumes) == 1
