"""Auth (basic, each OAuth grant, expiry) and ACLs: employees see and change only their records."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from servicenow.emulator import RunningEmulator
from tests.servicenow.emulator.conftest import FakeClock

Client = Callable[[str | None], httpx.AsyncClient]
CLIENT = {"client_id": "snowdesk-bot", "client_secret": "snowdesk-secret"}


async def token(emulator: RunningEmulator, **form: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        return await client.post("/oauth_token.do", data={**CLIENT, **form})


async def get_with_bearer(emulator: RunningEmulator, access: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        headers = {"Authorization": f"Bearer {access}"}
        return await client.get("/api/now/table/incident?sysparm_limit=1", headers=headers)


async def test_no_or_wrong_credentials_are_401(client_for: Client, emulator: RunningEmulator):
    assert (await client_for(None).get("/api/now/table/incident")).status_code == 401
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=("abel.tuter", "nope")) as bad:
        assert (await bad.get("/api/now/table/incident")).status_code == 401


async def test_password_grant_then_expiry_then_refresh(emulator: RunningEmulator, clock: FakeClock):
    granted = (
        await token(emulator, grant_type="password", username="abel.tuter", password="Demo!2026")
    ).json()
    assert granted["expires_in"] == 60 and granted["token_type"] == "Bearer"
    assert (await get_with_bearer(emulator, granted["access_token"])).status_code == 200
    clock.now += 61
    assert (await get_with_bearer(emulator, granted["access_token"])).status_code == 401
    refreshed = await token(
        emulator, grant_type="refresh_token", refresh_token=granted["refresh_token"]
    )
    assert refreshed.status_code == 200
    assert (await get_with_bearer(emulator, refreshed.json()["access_token"])).status_code == 200


async def test_client_credentials_grant_has_no_refresh_token(emulator: RunningEmulator):
    granted = await token(emulator, grant_type="client_credentials")
    assert granted.status_code == 200 and "refresh_token" not in granted.json()
    assert (await get_with_bearer(emulator, granted.json()["access_token"])).status_code == 200


async def test_bad_secret_and_json_bodies_are_refused(emulator: RunningEmulator):
    wrong = await token(emulator, grant_type="client_credentials", client_secret="x")
    assert wrong.status_code == 401 and wrong.json()["error_description"] == "access_denied"
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        as_json = await client.post("/oauth_token.do", json={**CLIENT, "grant_type": "password"})
    assert as_json.status_code == 401


async def test_employee_sees_only_own_incidents_and_cases(client_for: Client):
    abel = client_for("abel.tuter")
    incidents = (await abel.get("/api/now/table/incident?sysparm_display_value=true")).json()
    assert len(incidents["result"]) == 6
    assert {row["caller_id"]["display_value"] for row in incidents["result"]} == {"Abel Tuter"}
    cases = (
        await abel.get("/api/now/table/sn_hr_core_case?sysparm_fields=opened_for.user_name")
    ).json()["result"]
    assert {row["opened_for.user_name"] for row in cases} == {"abel.tuter"}


async def test_employee_cannot_read_or_update_anothers_record(client_for: Client):
    beth_incident = (await client_for("beth.anglin").get("/api/now/table/incident")).json()[
        "result"
    ][0]
    abel = client_for("abel.tuter")
    url = f"/api/now/table/incident/{beth_incident['sys_id']}"
    assert (await abel.get(url)).status_code == 404
    assert (await abel.patch(url, json={"comments": "mine now"})).status_code == 404
    assert (await abel.delete(url)).status_code == 404


async def test_employee_updates_own_record_but_cannot_delete_it(client_for: Client):
    abel = client_for("abel.tuter")
    own = (await abel.get("/api/now/table/incident?sysparm_limit=1")).json()["result"][0]
    url = f"/api/now/table/incident/{own['sys_id']}"
    assert (await abel.patch(url, json={"comments": "Still broken"})).status_code == 200
    denied = await abel.delete(url)
    assert denied.status_code == 403 and denied.json()["error"]["message"] == "Operation Failed"


async def test_limit_applies_before_acls_and_count_ignores_them(client_for: Client):
    response = await client_for("abel.tuter").get(
        "/api/now/table/incident", params={"sysparm_limit": "1", "sysparm_offset": "10"}
    )
    assert response.json()["result"] == []
    assert int(response.headers["X-Total-Count"]) > 6


async def test_journal_table_is_empty_for_employees(client_for: Client):
    response = await client_for("abel.tuter").get("/api/now/table/sys_journal_field")
    assert response.status_code == 200 and response.json()["result"] == []


async def test_agents_see_their_area(client_for: Client):
    itil = (await client_for("itil.agent").get("/api/now/table/incident")).json()["result"]
    hr_on_incidents = (await client_for("hr.agent").get("/api/now/table/incident")).json()
    hr_cases = (await client_for("hr.agent").get("/api/now/table/sn_hr_core_case")).json()
    assert len(itil) > 30 and hr_on_incidents["result"] == []
    assert len(hr_cases["result"]) > 15


async def test_employee_work_notes_are_ignored(client_for: Client, admin: httpx.AsyncClient):
    abel = client_for("abel.tuter")
    own = (await abel.get("/api/now/table/incident?sysparm_limit=1")).json()["result"][0]
    await abel.patch(f"/api/now/table/incident/{own['sys_id']}", json={"work_notes": "sneaky"})
    notes = await admin.get(
        "/api/now/table/sys_journal_field", params={"sysparm_query": "value=sneaky"}
    )
    assert notes.json()["result"] == []


async def test_admin_provisions_a_user_who_can_then_sign_in(
    admin: httpx.AsyncClient, emulator: RunningEmulator
):
    body = {
        "user_name": "new.hire",
        "first_name": "New",
        "last_name": "Hire",
        "email": "new.hire@example.com",
        "user_password": "Welcome!1",
    }
    created = await admin.post("/api/now/table/sys_user", json=body)
    assert created.status_code == 201 and created.json()["result"]["user_password"] == "********"
    assert created.json()["result"]["name"] == "New Hire"
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=("new.hire", "Welcome!1")) as c:
        assert (await c.get("/api/now/table/incident")).json()["result"] == []


async def test_employees_cannot_provision_users(client_for: Client):
    response = await client_for("abel.tuter").post(
        "/api/now/table/sys_user", json={"user_name": "x"}
    )
    assert response.status_code == 403


async def test_emulator_admin_endpoints_need_admin(client_for: Client, admin: httpx.AsyncClient):
    assert (await client_for(None).get("/emulator/requests")).status_code == 401
    assert (await client_for("abel.tuter").get("/emulator/requests")).status_code == 403
    assert (await admin.get("/emulator/faults")).status_code == 200


async def test_work_notes_are_hidden_from_employees_on_their_own_records(
    client_for: Client, admin: httpx.AsyncClient
):
    abel = client_for("abel.tuter")
    own = (await abel.get("/api/now/table/incident?sysparm_limit=1")).json()["result"][0]
    path = f"/api/now/table/incident/{own['sys_id']}"
    await admin.patch(path, json={"work_notes": "Agent-only note", "comments": "Public reply"})
    fields = {"sysparm_fields": "comments,work_notes,comments_and_work_notes"}
    for mode in ("true", "all"):
        params = {**fields, "sysparm_display_value": mode}
        seen = json.dumps((await abel.get(path, params=params)).json()["result"])
        assert "Public reply" in seen and "Agent-only note" not in seen
        agent = json.dumps((await client_for("itil.agent").get(path, params=params)).json())
        assert "Public reply" in agent and "Agent-only note" in agent


async def test_client_authenticates_in_the_basic_header_for_every_grant(emulator: RunningEmulator):
    """RFC 6749 §2.3.1, what requests-oauthlib sends by default: the client's id and secret
    in an HTTP Basic header instead of the body."""
    client_auth = ("snowdesk-bot", "snowdesk-secret")
    async with httpx.AsyncClient(base_url=emulator.base_url) as http:
        password = await http.post(
            "/oauth_token.do",
            auth=client_auth,
            data={"grant_type": "password", "username": "abel.tuter", "password": "Demo!2026"},
        )
        assert password.status_code == 200
        refresh = await http.post(
            "/oauth_token.do",
            auth=client_auth,
            data={"grant_type": "refresh_token", "refresh_token": password.json()["refresh_token"]},
        )
        assert refresh.status_code == 200 and refresh.json()["access_token"]
        machine = await http.post(
            "/oauth_token.do", auth=client_auth, data={"grant_type": "client_credentials"}
        )
        assert machine.status_code == 200 and "refresh_token" not in machine.json()
        wrong = await http.post(
            "/oauth_token.do",
            auth=("snowdesk-bot", "wrong"),
            data={"grant_type": "client_credentials", "client_secret": "snowdesk-secret"},
        )
        assert wrong.status_code == 401 and wrong.json()["error_description"] == "access_denied"
