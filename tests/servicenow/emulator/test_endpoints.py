"""Endpoints beyond the Table API, and the envelope of every failure, as a real instance answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx

Client = Callable[[str | None], httpx.AsyncClient]


async def incident_ids(admin: httpx.AsyncClient, limit: int) -> list[str]:
    response = await admin.get(
        "/api/now/table/incident", params={"sysparm_limit": str(limit), "sysparm_fields": "sys_id"}
    )
    return [row["sys_id"] for row in response.json()["result"]]


async def test_stats_count_group_by_and_numeric_aggregates(admin: httpx.AsyncClient):
    total = int(
        (await admin.get("/api/now/table/incident", params={"sysparm_limit": "1"})).headers[
            "X-Total-Count"
        ]
    )
    plain = await admin.get(
        "/api/now/stats/incident",
        params={
            "sysparm_count": "true",
            "sysparm_sum_fields": "reassignment_count",
            "sysparm_max_fields": "priority",
            "sysparm_min_fields": "priority",
            "sysparm_avg_fields": "priority",
        },
    )
    stats = plain.json()["result"]["stats"]
    assert stats["count"] == str(total)
    assert stats["min"]["priority"] == "1" and stats["max"]["priority"] == "5"
    assert 1 <= float(stats["avg"]["priority"]) <= 5 and stats["sum"]["reassignment_count"]
    grouped = await admin.get(
        "/api/now/v1/stats/incident",
        params={
            "sysparm_count": "true",
            "sysparm_group_by": "state",
            "sysparm_display_value": "all",
        },
    )
    groups = grouped.json()["result"]
    assert sum(int(group["stats"]["count"]) for group in groups) == total
    new = next(group for group in groups if group["groupby_fields"][0]["value"] == "1")
    assert new["groupby_fields"][0] == {"field": "state", "value": "1", "display_value": "New"}


async def test_stats_refuses_what_it_cannot_answer_truthfully(client_for: Client):
    admin, employee = client_for("admin"), client_for("abel.tuter")
    text_sum = await admin.get("/api/now/stats/incident", params={"sysparm_sum_fields": "number"})
    assert text_sum.status_code == 400
    # Aggregates need read access to every record counted: an employee counts only their own.
    everything = await employee.get("/api/now/stats/incident", params={"sysparm_count": "true"})
    assert everything.status_code == 403
    own = await employee.get(
        "/api/now/stats/incident",
        params={"sysparm_count": "true", "sysparm_query": "caller_id=javascript:gs.getUserID()"},
    )
    assert own.status_code == 200 and int(own.json()["result"]["stats"]["count"]) > 0


async def test_batch_serves_each_request_with_base64_bodies(admin: httpx.AsyncClient):
    first, second = await incident_ids(admin, 2)
    patch = base64.b64encode(json.dumps({"short_description": "batched"}).encode()).decode()
    body = {
        "batch_request_id": "b1",
        "rest_requests": [
            {"id": "get", "method": "GET", "url": f"/api/now/table/incident/{first}"},
            {
                "id": "patch",
                "method": "PATCH",
                "url": f"/api/now/table/incident/{second}",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "body": patch,
                "exclude_response_headers": True,
            },
            {"id": "missing", "method": "GET", "url": "/api/now/table/incident/" + "0" * 32},
        ],
    }
    response = await admin.post("/api/now/v1/batch", json=body)
    answer = response.json()
    assert answer["batch_request_id"] == "b1" and answer["unserviced_requests"] == []
    by_id = {item["id"]: item for item in answer["serviced_requests"]}
    assert [by_id[name]["status_code"] for name in ("get", "patch", "missing")] == [200, 200, 404]
    read = json.loads(base64.b64decode(by_id["get"]["body"]))
    assert read["result"]["sys_id"] == first
    assert {"name": "Content-Type", "value": "application/json;charset=UTF-8"} in by_id["get"][
        "headers"
    ]
    assert "headers" not in by_id["patch"]
    changed = await admin.get(f"/api/now/table/incident/{second}")
    assert changed.json()["result"]["short_description"] == "batched"


async def test_long_queries_fit_in_the_request_line(admin: httpx.AsyncClient):
    ids = await incident_ids(admin, 3) + [f"{n:032x}" for n in range(400)]
    response = await admin.get(
        "/api/now/table/incident",
        params={"sysparm_query": "sys_idIN" + ",".join(ids), "sysparm_fields": "sys_id"},
    )
    assert response.status_code == 200 and len(response.json()["result"]) == 3


async def test_multipart_upload_and_location(admin: httpx.AsyncClient):
    (parent,) = await incident_ids(admin, 1)
    response = await admin.post(
        "/api/now/attachment/upload",
        data={"table_name": "incident", "table_sys_id": parent},
        files={"uploadFile": ("notes.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 201
    created = response.json()["result"]
    assert created["file_name"] == "notes.txt" and created["size_bytes"] == "5"
    assert response.headers["Location"].endswith(f"/api/now/v1/attachment/{created['sys_id']}/file")
    download = await admin.get(f"/api/now/attachment/{created['sys_id']}/file")
    assert download.content == b"hello"
    empty = await admin.post(
        "/api/now/attachment/upload",
        content=b"--x\r\n\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert empty.status_code == 400 and empty.json()["status"] == "failure"


async def test_every_failure_is_a_json_envelope(client_for: Client, admin: httpx.AsyncClient):
    unknown = await admin.get("/api/now/nothing/here")
    assert unknown.status_code == 400 and unknown.json()["status"] == "failure"
    page = await admin.get("/no/such/page")
    assert page.status_code == 404 and page.json()["error"]["message"]
    wrong_method = await admin.put("/api/now/attachment/file")
    assert wrong_method.status_code == 405 and wrong_method.json()["status"] == "failure"
    huge = await admin.get("/api/now/table/incident", params={"sysparm_limit": "9" * 30})
    assert huge.status_code == 200
    anonymous = await client_for(None).get("/api/now/table/incident")
    assert anonymous.status_code == 401 and anonymous.headers["X-Is-Logged-In"] == "false"


async def test_sys_id_sits_where_a_real_instance_puts_it(admin: httpx.AsyncClient):
    record = (await admin.get("/api/now/table/incident", params={"sysparm_limit": "1"})).json()
    keys = list(record["result"][0])
    assert keys[keys.index("sys_id") + 1] == "contact_type"


async def test_out_of_box_records_clients_assume(client_for: Client, admin: httpx.AsyncClient):
    stock_admin = await admin.get("/api/now/table/sys_user/6816f79cc0a8016401c5a33be04be441")
    assert stock_admin.json()["result"]["user_name"] == "admin"
    problems = (await client_for("itil.agent").get("/api/now/table/problem")).json()["result"]
    assert len(problems) == 3 and all(row["number"].startswith("PRB") for row in problems)
    assert (await client_for("abel.tuter").get("/api/now/table/problem")).json()["result"] == []
