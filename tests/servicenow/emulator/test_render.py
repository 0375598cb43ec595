"""How records read back in each display mode: journals, time zones, hidden fields, field lists.

The renderer caches field layouts per table and `sysparm_fields`, journal entries per record and
time-zone conversions; these tests pin what a caller sees so those shortcuts cannot change it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Client = Callable[[str | None], httpx.AsyncClient]
JOURNALS = "comments,work_notes,comments_and_work_notes"


async def read(client: httpx.AsyncClient, sys_id: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/api/now/table/incident/{sys_id}", params=params)
    assert response.status_code == 200
    return response.json()["result"]


async def new_incident(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/now/table/incident", json={"short_description": "Printer"})
    assert created.status_code == 201
    return str(created.json()["result"]["sys_id"])


async def test_each_journal_field_shows_its_own_entries(admin: httpx.AsyncClient):
    sys_id = await new_incident(admin)
    await admin.patch(f"/api/now/table/incident/{sys_id}", json={"comments": "Toner is low"})
    await admin.patch(f"/api/now/table/incident/{sys_id}", json={"work_notes": "Ordered toner"})

    shown = await read(admin, sys_id, sysparm_display_value="true", sysparm_fields=JOURNALS)
    plain = await read(admin, sys_id, sysparm_fields=JOURNALS)

    assert "Toner is low" in shown["comments"] and "Ordered toner" not in shown["comments"]
    assert "Ordered toner" in shown["work_notes"] and "Toner is low" not in shown["work_notes"]
    both = shown["comments_and_work_notes"]
    assert both.index("(Work notes)\nOrdered toner") < both.index("(Additional comments)\nToner")
    assert plain == {"comments": "", "work_notes": "", "comments_and_work_notes": ""}


async def test_datetimes_display_in_the_readers_time_zone(
    client_for: Client, admin: httpx.AsyncClient
):
    abel = client_for("abel.tuter")  # Europe/London; the test clock is 2026-05-28 20:26:40 UTC
    sys_id = await new_incident(abel)

    for _ in range(2):  # a second read answers the same
        his = await read(abel, sys_id, sysparm_display_value="all")
        assert his["sys_created_on"] == {
            "display_value": "2026-05-28 21:26:40",
            "value": "2026-05-28 20:26:40",
        }
    utc = await read(admin, sys_id, sysparm_display_value="true")
    assert utc["sys_created_on"] == "2026-05-28 20:26:40"


async def test_passwords_read_back_masked_even_when_asked(admin: httpx.AsyncClient):
    sys_id = await new_incident(admin)
    fields = "number,opened_by.user_password,opened_by.user_name"
    for mode in ("false", "true"):
        shown = await read(admin, sys_id, sysparm_display_value=mode, sysparm_fields=fields)
        assert shown["opened_by.user_password"] == "********"
    users = await admin.get(
        "/api/now/table/sys_user", params={"sysparm_query": "user_name=abel.tuter"}
    )
    assert users.json()["result"][0]["user_password"] == "********"


async def test_each_field_list_answers_its_own_fields(admin: httpx.AsyncClient):
    sys_id = await new_incident(admin)
    first = await read(admin, sys_id, sysparm_fields="state,number")
    second = await read(admin, sys_id, sysparm_fields="short_description,caller_id.name,number")
    everything = await read(admin, sys_id)

    assert list(first) == ["number", "state"]
    assert list(second) == ["number", "short_description", "caller_id.name"]
    assert len(everything) > 80 and "caller_id.name" not in everything
