"""Encoded queries over real HTTP: every operator, precedence, ordering, paging, dot-walks, quirks."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

Client = Callable[[str | None], httpx.AsyncClient]


async def numbers(admin: httpx.AsyncClient, query: str, table: str = "incident") -> list[str]:
    response = await admin.get(
        f"/api/now/table/{table}", params={"sysparm_query": query, "sysparm_fields": "number"}
    )
    assert response.status_code == 200
    return [row["number"] for row in response.json()["result"]]


async def count(admin: httpx.AsyncClient, query: str, table: str = "incident") -> int:
    response = await admin.get(
        f"/api/now/table/{table}", params={"sysparm_query": query, "sysparm_limit": "1"}
    )
    return int(response.headers["X-Total-Count"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("number=INC0010002", ["INC0010002"]),
        ("caller_id.user_name=abel.tuter^number!=INC0010001^state=1", ["INC0010002"]),
        ("number<INC0010003", ["INC0010001", "INC0010002"]),
        ("number<=INC0010002", ["INC0010001", "INC0010002"]),
        ("number>INC0010032", ["INC0010033"]),
        ("number>=INC0010032", ["INC0010032", "INC0010033"]),
        ("short_descriptionLIKEvpn^caller_id.user_name=abel.tuter", ["INC0010002"]),
        ("short_descriptionSTARTSWITHcrm dash", ["INC0010004"]),
        ("short_descriptionENDSWITHmy password", ["INC0010003"]),
        ("numberININC0010001,INC0010003", ["INC0010001", "INC0010003"]),
        (
            "caller_id.user_name=abel.tuter^numberNOT ININC0010001,INC0010002,INC0010003",
            ["INC0010004", "INC0010005", "INC0010006"],
        ),
        (
            "caller_id.user_name=abel.tuter^short_descriptionNOT LIKEvpn",
            ["INC0010001", "INC0010003", "INC0010004", "INC0010005", "INC0010006"],
        ),
    ],
)
async def test_operators(admin: httpx.AsyncClient, query: str, expected: list[str]):
    assert await numbers(admin, query) == expected


async def test_numeric_choices_compare_as_numbers(admin: httpx.AsyncClient):
    states = await admin.get(
        "/api/now/table/sn_hr_core_case",
        params={"sysparm_query": "state>=10", "sysparm_fields": "state"},
    )
    assert {row["state"] for row in states.json()["result"]} <= {"10", "16", "18", "20", "24"}


async def test_emptiness_and_anything(admin: httpx.AsyncClient):
    total = await count(admin, "")
    empty = await count(admin, "assigned_toISEMPTY")
    assert 0 < empty < total
    assert await count(admin, "assigned_toISNOTEMPTY") == total - empty
    assert await count(admin, "assigned_toANYTHING") == total


async def test_and_binds_looser_than_or_and_nq_unions(admin: httpx.AsyncClient):
    found = await numbers(admin, "number=INC0010001^ORnumber=INC0010002^state=1")
    assert found == ["INC0010002"]
    union = await numbers(admin, "number=INC0010001^NQnumber=INC0010005")
    assert union == ["INC0010001", "INC0010005"]


async def test_ordering_and_paging(admin: httpx.AsyncClient):
    query = "caller_id.user_name=abel.tuter^ORDERBYDESCnumber"
    page1 = await admin.get(
        "/api/now/table/incident",
        params={"sysparm_query": query, "sysparm_limit": "4", "sysparm_fields": "number"},
    )
    page2 = await admin.get(
        "/api/now/table/incident",
        params={
            "sysparm_query": query,
            "sysparm_limit": "4",
            "sysparm_offset": "4",
            "sysparm_fields": "number",
        },
    )
    first = [row["number"] for row in page1.json()["result"]]
    second = [row["number"] for row in page2.json()["result"]]
    assert first == ["INC0010006", "INC0010005", "INC0010004", "INC0010003"]
    assert second == ["INC0010002", "INC0010001"]
    assert 'sysparm_offset=4>;rel="next"' in page1.headers["Link"]
    assert 'sysparm_offset=0>;rel="prev"' in page2.headers["Link"]
    assert 'rel="next"' not in page2.headers["Link"]


async def test_invalid_terms_are_ignored_not_rejected(admin: httpx.AsyncClient):
    total = await count(admin, "")
    assert await count(admin, "caller_idd=nobody") == total
    assert await count(admin, "impactBETWEEN1@2^number=INC0010001") == 1
    assert await count(admin, "bogus.field=1^ORDERBYnothing") == total


async def test_a_caret_inside_a_value_is_read_as_servicenow_reads_it(admin: httpx.AsyncClient):
    """Why the client's builder refuses '^': it would turn one value into an OR that widens."""
    widened = await count(admin, "short_description=x^ORnumberSTARTSWITHINC")
    assert widened == await count(admin, "")


async def test_reference_equality_uses_sys_id_and_like_uses_display(admin: httpx.AsyncClient):
    assert await count(admin, "caller_id=abel.tuter@example.com") == 0
    assert await count(admin, "caller_id.email=abel.tuter@example.com") == 6
    assert await count(admin, "caller_idSTARTSWITHAbel") == 6


async def test_name_value_pairs_filter_when_there_is_no_query(admin: httpx.AsyncClient):
    response = await admin.get("/api/now/table/incident?number=INC0010003&sysparm_fields=number")
    assert response.json()["result"] == [{"number": "INC0010003"}]


async def test_child_coe_tables_and_the_base_table(admin: httpx.AsyncClient):
    payroll = await numbers(admin, "", "sn_hr_core_case_payroll")
    everything = await numbers(admin, "", "sn_hr_core_case")
    assert payroll and set(payroll) < set(everything)


async def test_display_values_and_journals(admin: httpx.AsyncClient):
    params = {"sysparm_query": "number=INC0010003", "sysparm_fields": "state,comments,caller_id"}
    plain = (await admin.get("/api/now/table/incident", params=params)).json()["result"][0]
    shown = (
        await admin.get(
            "/api/now/table/incident", params={**params, "sysparm_display_value": "true"}
        )
    ).json()["result"][0]
    both = (
        await admin.get(
            "/api/now/table/incident", params={**params, "sysparm_display_value": "all"}
        )
    ).json()["result"][0]
    assert plain["comments"] == "" and plain["state"] == "3"
    assert shown["state"] == "On Hold" and set(shown["caller_id"]) == {"display_value", "link"}
    assert shown["comments"].index("(Additional comments)\nCould you tell me") < shown[
        "comments"
    ].index("(Additional comments)\nOutlook keeps")
    assert both["state"] == {"display_value": "On Hold", "value": "3"}
    assert set(both["caller_id"]) == {"display_value", "link", "value"}


async def test_journal_writes_append_rows_and_stay_off_the_record(admin: httpx.AsyncClient):
    sys_id = (await admin.get("/api/now/table/incident?number=INC0010002")).json()["result"][0][
        "sys_id"
    ]
    await admin.patch(f"/api/now/table/incident/{sys_id}", json={"comments": "Any news?"})
    rows = (
        await admin.get(
            "/api/now/table/sys_journal_field",
            params={"sysparm_query": f"element_id={sys_id}^ORDERBYDESCsys_created_on"},
        )
    ).json()["result"]
    assert rows[0]["value"] == "Any news?" and rows[0]["sys_created_by"] == "admin"
    assert rows[0]["element"] == "comments"


async def test_input_display_value(admin: httpx.AsyncClient):
    response = await admin.post(
        "/api/now/table/incident?sysparm_input_display_value=true&sysparm_display_value=all",
        json={"short_description": "By name", "caller_id": "Abel Tuter", "urgency": "1 - High"},
    )
    result = response.json()["result"]
    assert result["caller_id"]["display_value"] == "Abel Tuter"
    assert result["urgency"]["value"] == "1"


async def test_incident_business_rules(admin: httpx.AsyncClient):
    created = (
        await admin.post(
            "/api/now/table/incident", json={"short_description": "rules", "correlation_id": "a1"}
        )
    ).json()["result"]
    url = f"/api/now/table/incident/{created['sys_id']}"
    assert created["priority"] == "5" and created["correlation_id"] == "a1"
    resolved = (
        await admin.patch(
            url, json={"state": "6", "close_code": "Solution provided", "close_notes": "ok"}
        )
    ).json()["result"]
    assert resolved["incident_state"] == "6" and resolved["resolved_at"]
    closed = (await admin.patch(url, json={"state": "7"})).json()["result"]
    assert closed["active"] == "false" and closed["closed_at"] and closed["sys_mod_count"] == "2"


async def test_attachments_round_trip(admin: httpx.AsyncClient):
    sys_id = (await admin.get("/api/now/table/incident?number=INC0010001")).json()["result"][0][
        "sys_id"
    ]
    uploaded = await admin.post(
        "/api/now/attachment/file",
        params={"table_name": "incident", "table_sys_id": sys_id, "file_name": "log.txt"},
        content=b"hello",
        headers={"Content-Type": "text/plain"},
    )
    assert uploaded.status_code == 201
    meta = uploaded.json()["result"]
    assert meta["size_bytes"] == "5" and meta["table_sys_id"] == sys_id
    listed = await admin.get(
        "/api/now/attachment", params={"sysparm_query": f"table_sys_id={sys_id}"}
    )
    assert [row["file_name"] for row in listed.json()["result"]] == ["log.txt"]
    data = await admin.get(f"/api/now/attachment/{meta['sys_id']}/file")
    assert data.content == b"hello" and data.headers["Content-Type"].startswith("text/plain")
