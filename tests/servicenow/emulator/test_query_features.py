"""Encoded-query features real clients send: javascript: helpers, BETWEEN, JOIN, RLQUERY, text
search — evaluated, or refused with a 400; never silently dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.servicenow.emulator.conftest import FakeClock

Client = Callable[[str | None], httpx.AsyncClient]


async def ids(client: httpx.AsyncClient, table: str, query: str) -> set[str]:
    response = await client.get(
        f"/api/now/table/{table}", params={"sysparm_query": query, "sysparm_fields": "sys_id"}
    )
    assert response.status_code == 200, response.text
    return {row["sys_id"] for row in response.json()["result"]}


async def test_get_user_id_is_the_caller(client_for: Client, admin: httpx.AsyncClient):
    mine = await ids(client_for("abel.tuter"), "incident", "caller_id=javascript:gs.getUserID()")
    expected = await ids(admin, "incident", "caller_id.user_name=abel.tuter")
    assert mine == expected and mine


async def test_between_with_date_generate(admin: httpx.AsyncClient):
    between = await ids(
        admin,
        "incident",
        "sys_created_onBETWEENjavascript:gs.dateGenerate('2026-01-05','start')"
        "@javascript:gs.dateGenerate('2026-01-07','end')",
    )
    explicit = await ids(
        admin,
        "incident",
        "sys_created_on>=2026-01-05 00:00:00^sys_created_on<=2026-01-07 23:59:59",
    )
    assert between == explicit and between
    everything = await ids(admin, "incident", "")
    assert between < everything


async def test_days_ago_and_today_follow_the_clock(admin: httpx.AsyncClient, clock: FakeClock):
    now = datetime.fromtimestamp(clock.now, UTC)
    cutoff = (now - timedelta(days=150)).strftime("%Y-%m-%d %H:%M:%S")
    recent = await ids(admin, "incident", "sys_created_on>javascript:gs.daysAgo(150)")
    assert recent == await ids(admin, "incident", f"sys_created_on>{cutoff}")
    today = "sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()"
    assert await ids(admin, "incident", today) == set()
    created = await admin.post("/api/now/table/incident", json={"short_description": "today"})
    assert await ids(admin, "incident", today) == {created.json()["result"]["sys_id"]}


async def test_related_list_queries_count_referencing_rows(admin: httpx.AsyncClient):
    callers = await ids(admin, "sys_user", "RLQUERYincident.caller_id,>=1^ENDRLQUERY")
    others = await ids(admin, "sys_user", "RLQUERYincident.caller_id,=0^ENDRLQUERY")
    everyone = await ids(admin, "sys_user", "")
    assert callers and others and callers | others == everyone and not callers & others
    abel = await ids(admin, "sys_user", "user_name=abel.tuter")
    assert abel <= callers
    urgent = await ids(
        admin, "sys_user", "RLQUERYincident.caller_id,>=1^priority=1^ENDRLQUERY^active=true"
    )
    assert urgent <= callers


async def test_join_filters_on_the_other_table(admin: httpx.AsyncClient):
    joined = await ids(admin, "sys_user", "JOINsys_user.sys_id=incident.caller_id!state=1")
    callers_of_new = {
        row["caller_id"]["value"]
        for row in (
            await admin.get(
                "/api/now/table/incident",
                params={"sysparm_query": "state=1", "sysparm_fields": "caller_id"},
            )
        ).json()["result"]
        if row["caller_id"]
    }
    assert joined == callers_of_new


async def test_text_query_searches_text_fields(admin: httpx.AsyncClient):
    found = await ids(admin, "incident", "123TEXTQUERY321=vpn")
    assert found == await ids(admin, "incident", "short_descriptionLIKEvpn^ORdescriptionLIKEvpn")


@pytest.mark.parametrize(
    "query",
    [
        "sys_created_onRELATIVEGT@hour@ago@1",
        "caller_id=javascript:gs.getUser().getManagerID()",
        "SUBQUERYsys_id,caller_id,incident^active=true^ENDSUBQUERY",
        "assigned_toDYNAMIC90d1921e5f510100a9ad2572f2b477fe",
    ],
)
async def test_unsupported_features_are_refused_loudly(admin: httpx.AsyncClient, query: str):
    response = await admin.get("/api/now/table/incident", params={"sysparm_query": query})
    assert response.status_code == 400
    assert response.json()["status"] == "failure" and response.json()["error"]["detail"]


async def test_unknown_fields_are_still_ignored_as_servicenow_does(admin: httpx.AsyncClient):
    assert await ids(admin, "incident", "no_such_field=1") == await ids(admin, "incident", "")
