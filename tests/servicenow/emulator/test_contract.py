"""Contract: the emulator answers like the real Table API bodies in ../shared/fixtures/servicenow.

For each captured body, the emulator's answer to the same kind of request must have the same
envelope, the same keys (every key the fixture shows that the emulated table has) and the same
value shapes: plain strings, `{link, value}`, `{display_value, link}`, `{display_value, value}`...
An empty string matches any shape, because an empty reference is `""` in every mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from servicenow.emulator import RunningEmulator
from tests.helpers import shared_path

Client = Callable[[str | None], httpx.AsyncClient]
ABEL_FIRST = "INC0010001"


def fixture(name: str) -> Any:
    return json.loads(shared_path("fixtures", "servicenow", name).read_text())


def exchange(name: str) -> dict[str, Any]:
    entries = json.loads(shared_path("fixtures", "servicenow", "exchanges.json").read_text())
    return next(entry for entry in entries if entry["file"] == name)


def shape(value: Any) -> str:
    """A value's kind: `str`, or the sorted keys of an object."""
    if isinstance(value, dict):
        return "{" + ",".join(sorted(value)) + "}"
    return type(value).__name__


def assert_same_shape(expected: dict[str, Any], actual: dict[str, Any], keys: set[str]) -> None:
    """Every key in `keys` is present with a compatible shape."""
    for key in sorted(keys):
        assert key in actual, f"missing key {key}"
        mine, theirs = actual[key], expected[key]
        if mine == "" or theirs == "":
            continue
        assert shape(mine) == shape(theirs), f"{key}: {shape(mine)} != {shape(theirs)}"


async def abel_incident(admin: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await admin.get(
        "/api/now/table/incident", params={"sysparm_query": f"number={ABEL_FIRST}", **params}
    )
    assert response.status_code == 200
    return response.json()["result"][0]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("docs/get-incident-by-sys_id.json", {}),
        ("captures/talend-put-incident-200.json", {"sysparm_exclude_reference_link": "true"}),
        ("captures/swimlane-patch-incident-display-true.json", {"sysparm_display_value": "true"}),
        (
            "captures/copilot-lab-incident-display-true-no-links-record.json",
            {"sysparm_display_value": "true", "sysparm_exclude_reference_link": "true"},
        ),
        ("synthesized/incident-get-display-all-INC0000060.json", {"sysparm_display_value": "all"}),
    ],
)
async def test_incident_records_have_the_captured_shape(
    admin: httpx.AsyncClient, name: str, params: dict[str, str]
):
    body = fixture(name)
    expected = body.get("result", body)
    actual = await abel_incident(admin, **params)
    emulated = {key for key in expected if key in actual or not key.startswith(("u_", "x_"))}
    known = emulated & set(actual)
    assert len(known) >= 0.8 * len(expected), sorted(set(expected) - set(actual))
    assert_same_shape(expected, actual, known)


async def test_every_talend_incident_key_is_emulated(admin: httpx.AsyncClient):
    expected = fixture("captures/talend-post-incident-201.json")["result"]
    actual = await abel_incident(admin, sysparm_exclude_reference_link="true")
    assert set(expected) <= set(actual)
    assert_same_shape(expected, actual, set(expected))


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("docs/post-incident.json", {}),
        ("captures/swimlane-post-incident-201.json", {}),
        ("captures/talend-post-incident-201.json", {"sysparm_exclude_reference_link": "true"}),
    ],
)
async def test_post_incident_answers_201_with_location_and_the_whole_record(
    admin: httpx.AsyncClient, name: str, params: dict[str, str]
):
    expected = fixture(name)["result"]
    body = {"short_description": "Printer offline", "urgency": "2", "impact": "2"}
    response = await admin.post("/api/now/v2/table/incident", params=params, json=body)
    assert response.status_code == 201
    actual = response.json()["result"]
    assert response.headers["Location"].endswith(f"/api/now/v2/table/incident/{actual['sys_id']}")
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert_same_shape(expected, actual, set(expected) & set(actual))
    assert actual["priority"] == "3" and actual["state"] == "1" and actual["category"] == "inquiry"
    assert actual["number"].startswith("INC00100")


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_update_with_a_comment_reads_back_empty_in_value_mode(
    admin: httpx.AsyncClient, method: str
):
    expected = fixture(f"docs/{method.lower()}-incident.json")["result"]
    sys_id = (await abel_incident(admin))["sys_id"]
    body = {"urgency": "1", "comments": "Elevating urgency"}
    response = await admin.request(method, f"/api/now/table/incident/{sys_id}", json=body)
    assert response.status_code == 200
    actual = response.json()["result"]
    assert actual["comments"] == "" and expected["comments"] == ""
    assert_same_shape(expected, actual, set(expected) & set(actual))


async def test_hr_case_post_has_the_synthesized_shape(admin: httpx.AsyncClient):
    expected = fixture("synthesized/sn_hr_core_case-post-201-display-false.json")["result"]
    services = await admin.get(
        "/api/now/table/sn_hr_core_service",
        params={"sysparm_query": "name=Parental Leave", "sysparm_fields": "sys_id"},
    )
    service_id = services.json()["result"][0]["sys_id"]
    abel = await admin.get(
        "/api/now/table/sys_user", params={"sysparm_query": "user_name=abel.tuter"}
    )
    body = {
        "hr_service": service_id,
        "opened_for": abel.json()["result"][0]["sys_id"],
        "short_description": "Request for parental leave information",
        "contact_type": "self-service",
    }
    response = await admin.post("/api/now/table/sn_hr_core_case", json=body)
    assert response.status_code == 201
    actual = response.json()["result"]
    assert set(expected) <= set(actual)
    assert_same_shape(expected, actual, set(expected))
    assert actual["number"].startswith("HRC") and actual["state"] == "10"


async def test_hr_case_list_display_true_no_links(admin: httpx.AsyncClient):
    expected = fixture("synthesized/sn_hr_core_case-list-display-true-no-links.json")["result"]
    fields = ",".join(expected[0])
    response = await admin.get(
        "/api/now/table/sn_hr_core_case",
        params={
            "sysparm_fields": fields,
            "sysparm_display_value": "true",
            "sysparm_exclude_reference_link": "true",
            "sysparm_query": "opened_for.user_name=abel.tuter",
        },
    )
    actual = response.json()["result"]
    assert actual and set(actual[0]) == set(expected[0])
    assert_same_shape(expected[0], actual[0], set(expected[0]))
    assert {row["opened_for"] for row in actual} == {"Abel Tuter"}


async def test_dot_walked_fields_are_flat_keys(admin: httpx.AsyncClient):
    expected = fixture("docs/get-sys_user_has_role-dotwalk-display-true.json")["result"][0]
    response = await admin.get(
        "/api/now/table/sys_user_grmember",
        params={
            "sysparm_fields": "user,user.name,user.sys_id,user.department,group,group.name",
            "sysparm_display_value": "true",
            "sysparm_limit": "1",
        },
    )
    actual = response.json()["result"][0]
    assert shape(actual["user"]) == shape(expected["user"])
    assert shape(actual["user.department"]) == shape(expected["user.department"])
    assert isinstance(actual["user.name"], str) and len(actual["user.sys_id"]) == 32
    assert "group.name" in actual


async def test_journal_rows_have_the_captured_columns(admin: httpx.AsyncClient):
    expected = fixture("journal/rapid7-sys_journal_field-rows.json")["result"]
    sys_id = (await abel_incident(admin))["sys_id"]
    response = await admin.get(
        "/api/now/table/sys_journal_field",
        params={
            "sysparm_query": f"element_id={sys_id}^ORDERBYDESCsys_created_on",
            "sysparm_fields": ",".join(expected[0]),
        },
    )
    actual = response.json()["result"]
    assert {row["element"] for row in actual} == {"comments", "work_notes"}
    assert set(actual[0]) == set(expected[0])
    assert actual[0]["name"] == "incident" and actual[0]["element_id"] == sys_id
    assert actual[0]["sys_created_on"] >= actual[-1]["sys_created_on"]


async def test_choice_rows_have_the_synthesized_columns(admin: httpx.AsyncClient):
    expected = fixture("synthesized/sys_choice-sn_hr_core_case-state-UNVERIFIED.json")["result"]
    response = await admin.get(
        "/api/now/table/sys_choice",
        params={
            "sysparm_query": "name=sn_hr_core_case^element=state^ORDERBYsequence",
            "sysparm_fields": ",".join(expected[0]),
        },
    )
    assert response.json()["result"] == expected


async def test_fields_come_back_in_the_server_order(admin: httpx.AsyncClient):
    response = await admin.get(
        "/api/now/table/incident",
        params={"sysparm_fields": "short_description,active,number,bogus", "sysparm_limit": "1"},
    )
    assert list(response.json()["result"][0]) == ["number", "short_description", "active"]


async def test_empty_result_is_200_with_zero_count_and_no_link(admin: httpx.AsyncClient):
    assert fixture("captures/talend-get-no-match-empty-result.json") == {"result": []}
    response = await admin.get(
        "/api/now/v2/table/incident", params={"sysparm_query": "number=ImpossibleNumber007"}
    )
    assert response.status_code == 200 and response.json() == {"result": []}
    assert response.headers["X-Total-Count"] == "0" and "Link" not in response.headers


async def test_link_header_first_next_last_without_prev(admin: httpx.AsyncClient):
    captured = exchange("captures/ess-get-sys_user-page1.json")["headers"]["Link"]
    query = "sysparm_query=active=true&sysparm_limit=5&sysparm_fields=user_name,name,active,roles"
    response = await admin.get(f"/api/now/table/sys_user?{query}")
    total = int(response.headers["X-Total-Count"])
    link = response.headers["Link"]
    assert [part.split(";")[1] for part in link.split(",<")] == [
        part.split(";")[1] for part in captured.split(",<")
    ]
    base = f"{admin.base_url}/api/now/table/sys_user?{query}"
    last = (total - 1) // 5 * 5
    assert link == (
        f'<{base}&sysparm_offset=0>;rel="first",<{base}&sysparm_offset=5>;rel="next",'
        f'<{base}&sysparm_offset={last}>;rel="last"'
    )


async def test_link_header_prev_minus_one_quirk_with_limit_one(admin: httpx.AsyncClient):
    captured = exchange("captures/gist-get-incident-fields-number-limit1.json")["headers"]["Link"]
    response = await admin.get("/api/now/table/incident?sysparm_limit=1&sysparm_fields=number")
    rels = [part.rsplit(";", 1)[1] for part in response.headers["Link"].split(",")]
    assert rels == [part.rsplit(";", 1)[1] for part in captured.split(",")]
    assert 'sysparm_offset=-1>;rel="prev"' in response.headers["Link"]


async def test_single_page_has_no_link_but_a_count(admin: httpx.AsyncClient):
    response = await admin.get(
        "/api/now/table/sys_user", params={"sysparm_query": "user_name=abel.tuter"}
    )
    assert response.headers["X-Total-Count"] == "1" and "Link" not in response.headers


async def test_unknown_parameters_are_ignored_and_echoed_in_links(admin: httpx.AsyncClient):
    response = await admin.get(
        "/api/now/v2/table/incident?query=number%3DINC0000040&display_value=True&sysparm_limit=1"
    )
    assert int(response.headers["X-Total-Count"]) > 1
    assert "query=number%3DINC0000040&display_value=True" in response.headers["Link"]
    assert "/api/now/v2/table/incident" in response.headers["Link"]
    assert isinstance(response.json()["result"][0]["caller_id"], dict)


async def test_suppressed_pagination_keeps_the_count(admin: httpx.AsyncClient):
    response = await admin.get(
        "/api/now/table/incident?sysparm_limit=1&sysparm_suppress_pagination_header=true"
    )
    assert "Link" not in response.headers and int(response.headers["X-Total-Count"]) > 1


async def test_errors_use_the_captured_envelopes(client_for: Client, admin: httpx.AsyncClient):
    invalid = await admin.get("/api/now/table/ss")
    assert (invalid.status_code, invalid.json()) == (400, fixture("errors/400-invalid-table.json"))
    missing = await admin.delete("/api/now/v2/table/incident/NoId")
    assert (missing.status_code, missing.json()) == (
        404,
        fixture("errors/404-no-record-found.json"),
    )
    anonymous = await client_for(None).get("/api/now/table/oauth_entity?sysparm_limit=1")
    assert anonymous.status_code == 401
    assert anonymous.json() == fixture("errors/401-user-is-not-authenticated-2026.json")
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="Service-now"'


async def test_duplicate_sys_id_insert_is_403(admin: httpx.AsyncClient):
    expected = fixture("errors/403-operation-failed-insert.json")
    existing = await abel_incident(admin)
    body = {"sys_id": existing["sys_id"], "number": "2135483521432"}
    response = await admin.post("/api/now/table/incident", json=body)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == expected["error"]["message"]
    assert response.json()["error"]["detail"] == "Error during insert of incident (2135483521432)"


async def test_resolving_without_resolution_fields_is_a_data_policy_403(admin: httpx.AsyncClient):
    expected = fixture("errors/403-data-policy-mandatory-fields.json")
    sys_id = (await abel_incident(admin))["sys_id"]
    response = await admin.patch(f"/api/now/table/incident/{sys_id}", json={"state": "6"})
    assert (response.status_code, response.json()) == (403, expected)


async def test_delete_is_204_without_body(admin: httpx.AsyncClient):
    created = await admin.post("/api/now/table/incident", json={"short_description": "tmp"})
    sys_id = created.json()["result"]["sys_id"]
    response = await admin.delete(f"/api/now/v2/table/incident/{sys_id}")
    assert response.status_code == 204 and response.content == b""
    assert (await admin.get(f"/api/now/table/incident/{sys_id}")).status_code == 404


async def test_no_response_body_header(admin: httpx.AsyncClient):
    response = await admin.post(
        "/api/now/v2/table/incident",
        json={"short_description": "quiet"},
        headers={"X-no-response-body": "true"},
    )
    assert response.status_code == 201 and response.content == b""
    assert "/api/now/v2/table/incident/" in response.headers["Location"]


async def test_token_responses_have_the_documented_shape(emulator: RunningEmulator):
    expected = fixture("auth/oauth-token-response-docs.json")
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        granted = await client.post(
            "/oauth_token.do",
            data={
                "grant_type": "password",
                "client_id": "snowdesk-bot",
                "client_secret": "snowdesk-secret",
                "username": "abel.tuter",
                "password": "Demo!2026",
            },
        )
        refused = await client.post(
            "/oauth_token.do", data={"grant_type": "password", "client_id": "snowdesk-bot"}
        )
    assert granted.status_code == 200
    assert {key: shape(value) for key, value in granted.json().items()} == {
        key: shape(value) for key, value in expected.items()
    }
    assert refused.status_code == 401
    assert refused.json() == fixture("auth/oauth-token-error-access-denied.json")
