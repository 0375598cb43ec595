"""pysnow against the emulator over https: each test one kind of operation a pysnow user
performs, asserting what a real instance answers (demo facts as in test_pysnc_contract.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pysnow
import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from tests.servicenow.emulator.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, ThreadedEmulator

pytestmark = pytest.mark.clients
CLIENT_ID, CLIENT_SECRET = "snowdesk-bot", "snowdesk-secret"
ABEL_NUMBERS = [f"INC001000{n}" for n in range(1, 7)]
Connect = Callable[[str], pysnow.Client]
Closing = Callable[[requests.Session], requests.Session]


@pytest.fixture
def closing(https_emulator: ThreadedEmulator) -> Iterator[Closing]:
    """Registers sessions closed after the test, before the server stops."""
    opened: list[requests.Session] = []

    def keep(session: requests.Session) -> requests.Session:
        opened.append(session)
        return session

    yield keep
    for session in opened:
        session.close()


def host_of(server: ThreadedEmulator) -> str:
    return server.base_url.removeprefix("https://")


@pytest.fixture
def connect(https_emulator: ThreadedEmulator, closing: Closing) -> Connect:
    """`connect("abel.tuter")`: a pysnow client with basic auth over https."""

    def make(user: str) -> pysnow.Client:
        password = ADMIN_PASSWORD if user == "admin" else DEMO_PASSWORD
        client = pysnow.Client(host=host_of(https_emulator), user=user, password=password)
        closing(client.session)
        return client

    return make


def incidents(client: pysnow.Client) -> Any:
    return client.resource(api_path="/table/incident")


def refusal(call: Callable[[], object]) -> tuple[int, Any]:
    """The status and envelope of the HTTPError pysnow raises for any error status."""
    try:
        call()
    except requests.HTTPError as error:
        response = error.response
        assert response is not None
        body = response.json()
        response.close()
        return response.status_code, body
    raise AssertionError("no error raised")


def test_query_builder(connect: Connect):
    query = (
        pysnow.QueryBuilder()
        .field("caller_id.user_name")
        .equals("abel.tuter")
        .AND()
        .field("number")
        .starts_with("INC001000")
        .AND()
        .field("number")
        .order_ascending()
    )
    rows = incidents(connect("admin")).get(query=query, fields=["number"]).all()
    assert [row["number"] for row in rows] == ABEL_NUMBERS


def test_dict_query_and_one(connect: Connect):
    record = incidents(connect("admin")).get(query={"number": "INC0010003"}).one()
    assert record["number"] == "INC0010003" and len(record["sys_id"]) == 32


def test_between_dates_from_the_query_builder(connect: Connect):
    query = (
        pysnow.QueryBuilder()
        .field("sys_created_on")
        .between(datetime(2026, 1, 5), datetime(2026, 1, 7, 23, 59, 59))
    )
    between = incidents(connect("itil.agent")).get(query=query, fields=["number"]).all()
    explicit = (
        incidents(connect("admin"))
        .get(
            query="sys_created_on>=2026-01-05 00:00:00^sys_created_on<=2026-01-07 23:59:59",
            fields=["number"],
        )
        .all()
    )
    # itil.agent's time zone is Europe/London: in January that is UTC.
    assert between == explicit and between


def test_paging_with_limit_and_offset(connect: Connect):
    resource = incidents(connect("admin"))
    seen: list[str] = []
    for offset in range(0, 40, 8):
        page = resource.get(query="ORDERBYnumber", limit=8, offset=offset, fields=["number"])
        seen += [row["number"] for row in page.all()]
    assert seen == [f"INC00{10001 + n}" for n in range(33)]
    response = resource.get(query="ORDERBYnumber", limit=8, offset=8, fields=["number"])
    response.all()
    assert response.headers["X-Total-Count"] == "33"
    assert (
        'rel="next"' in response.headers["Link"] and "sysparm_offset=16" in response.headers["Link"]
    )


def test_display_values_and_dot_walks(connect: Connect):
    resource = incidents(connect("admin"))
    shown = resource.get(
        query={"number": "INC0010001"},
        fields=["state", "caller_id", "caller_id.email"],
        display_value=True,
    ).one()
    assert shown["state"] == "In Progress" and shown["caller_id"]["display_value"] == "Abel Tuter"
    assert shown["caller_id.email"] == "abel.tuter@example.com"
    both = resource.get(query={"number": "INC0010001"}, fields=["state"], display_value="all").one()
    assert both["state"] == {"display_value": "In Progress", "value": "2"}


def test_create_update_delete(connect: Connect):
    resource = incidents(connect("itil.agent"))
    created = resource.create(payload={"short_description": "Projector flickers", "urgency": "2"})
    record = created.one()
    assert record["number"].startswith("INC") and record["state"] == "1"
    updated = resource.update(query={"sys_id": record["sys_id"]}, payload={"state": "2"}).one()
    assert updated["state"] == "2" and updated["incident_state"] == "2"
    admin = incidents(connect("admin"))
    assert admin.delete(query={"sys_id": record["sys_id"]}) == {"status": "record deleted"}
    assert admin.get(query={"sys_id": record["sys_id"]}).all() == []


def test_journals_and_work_notes_acl(connect: Connect):
    agent = incidents(connect("itil.agent"))
    agent.update(
        query={"number": "INC0010002"},
        payload={"comments": "Try the new VPN profile", "work_notes": "Profile pushed by MDM"},
    )
    fields = ["comments", "work_notes", "comments_and_work_notes"]
    seen = agent.get(query={"number": "INC0010002"}, fields=fields, display_value=True).one()
    assert "Profile pushed by MDM" in seen["work_notes"]
    mine = (
        incidents(connect("abel.tuter"))
        .get(query={"number": "INC0010002"}, fields=fields, display_value=True)
        .one()
    )
    assert "Try the new VPN profile" in mine["comments_and_work_notes"]
    assert mine["work_notes"] == "" and "MDM" not in mine["comments_and_work_notes"]
    # pysnow keeps display_value on the resource once set: ask for values explicitly.
    raw = agent.get(query={"number": "INC0010002"}, fields=fields, display_value=False).one()
    assert raw == {"comments": "", "work_notes": "", "comments_and_work_notes": ""}


# pysnow's upload() opens the file without closing it.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_attachments_upload_list_and_download(connect: Connect, tmp_path: Path):
    client = connect("abel.tuter")
    resource = incidents(client)
    parent = resource.get(query={"number": "INC0010001"}, fields=["sys_id"]).one()["sys_id"]
    path = tmp_path / "error.log"
    path.write_text("disk full\n")
    uploaded = resource.attachments.upload(parent, str(path)).one()
    assert uploaded["file_name"] == "error.log" and uploaded["table_sys_id"] == parent
    listed = resource.attachments.get(parent)
    assert "error.log" in [item["file_name"] for item in listed]
    download = client.session.get(uploaded["download_link"])
    assert download.content == b"disk full\n"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_multipart_upload_through_the_pysnow_session(connect: Connect, tmp_path: Path):
    client = connect("abel.tuter")
    parent = incidents(client).get(query={"number": "INC0010001"}, fields=["sys_id"]).one()
    # pysnow's own `upload(multipart=True)` sends the raw file with a boundary-less
    # multipart Content-Type; a real instance refuses that, and so does the emulator.
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG fake")
    broken = incidents(client).attachments.upload(parent["sys_id"], str(path), multipart=True)
    status, body = refusal(broken.one)
    assert status == 400 and body["status"] == "failure"
    response = client.session.post(
        f"https://{host_of_client(client)}/api/now/attachment/upload",
        data={"table_name": "incident", "table_sys_id": parent["sys_id"]},
        files={"uploadFile": ("photo.png", b"\x89PNG fake", "image/png")},
        headers={"Content-Type": None},  # drop the session's JSON type: requests sets multipart
    )
    assert response.status_code == 201 and response.json()["result"]["content_type"] == "image/png"


def host_of_client(client: pysnow.Client) -> str:
    return str(client.base_url).removeprefix("https://")


def test_stats_through_pysnow(connect: Connect):
    client = connect("admin")
    plain = client.resource(api_path="/stats/incident")
    plain.parameters.add_custom({"sysparm_count": "true"})
    assert plain.get(query="active=true").one()["stats"]["count"].isdigit()
    grouped = client.resource(api_path="/stats/incident")
    grouped.parameters.add_custom({"sysparm_count": "true", "sysparm_group_by": "state"})
    counted = grouped.get().all()
    assert sum(int(group["stats"]["count"]) for group in counted) == 33


def test_batch_through_the_pysnow_session(connect: Connect):
    client = connect("admin")
    body = {
        "batch_request_id": "1",
        "rest_requests": [
            {"id": "a", "method": "GET", "url": "/api/now/table/incident?sysparm_limit=2"},
            {"id": "b", "method": "GET", "url": "/api/now/table/problem?sysparm_limit=1"},
        ],
    }
    response = client.session.post(f"{client.base_url}/api/now/v1/batch", json=body)
    served = {item["id"]: item["status_code"] for item in response.json()["serviced_requests"]}
    assert served == {"a": 200, "b": 200}


def test_long_queries(connect: Connect):
    resource = incidents(connect("admin"))
    ids = [row["sys_id"] for row in resource.get(fields=["sys_id"], limit=3).all()]
    padded = ",".join([*ids, *(f"{n:032x}" for n in range(400))])
    rows = resource.get(query=f"sys_idIN{padded}", fields=["sys_id"]).all()
    assert sorted(row["sys_id"] for row in rows) == sorted(ids)


def test_my_records_and_related_list_queries(connect: Connect):
    mine = incidents(connect("abel.tuter")).get(
        query="caller_id=javascript:gs.getUserID()^ORDERBYnumber", fields=["number"]
    )
    assert [row["number"] for row in mine.all()] == ABEL_NUMBERS
    users = connect("admin").resource(api_path="/table/sys_user")
    callers = users.get(query="RLQUERYincident.caller_id,=0^ENDRLQUERY^user_name=abel.tuter").all()
    assert callers == []


def test_errors_arrive_as_servicenow_envelopes(
    connect: Connect, closing: Closing, https_emulator: ThreadedEmulator
):
    admin = connect("admin")
    invalid = refusal(lambda: admin.resource(api_path="/table/no_such_table").get().all())
    assert invalid == (
        400,
        {"error": {"message": "Invalid table no_such_table", "detail": None}, "status": "failure"},
    )
    status, body = refusal(
        lambda: incidents(admin).get(query="sys_created_onRELATIVEGT@hour@ago@1").all()
    )
    assert status == 400 and "RELATIVEGT" in body["error"]["detail"]
    anonymous = pysnow.Client(host=host_of(https_emulator), user="admin", password="wrong")
    closing(anonymous.session)
    status, body = refusal(lambda: incidents(anonymous).get().all())
    assert status == 401 and body["error"]["message"] == "User is not authenticated"


def test_out_of_box_admin_and_problems(connect: Connect):
    client = connect("admin")
    users = client.resource(api_path="/table/sys_user")
    admin = users.get(query={"sys_id": "6816f79cc0a8016401c5a33be04be441"}).one()
    assert admin["user_name"] == "admin" and admin["user_password"] == "********"
    problems = client.resource(api_path="/table/problem").get(fields=["number"]).all()
    assert len(problems) == 3


def test_oauth_password_grant_and_refresh(https_emulator: ThreadedEmulator, closing: Closing):
    refreshed: list[dict[str, Any]] = []
    client = pysnow.OAuthClient(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_updater=refreshed.append,
        host=host_of(https_emulator),
    )
    token = client.generate_token("abel.tuter", DEMO_PASSWORD)
    assert {"access_token", "refresh_token", "token_type", "expires_in"} <= set(token)
    client.set_token(token)
    rows = incidents(client).get(query="ORDERBYnumber", fields=["number"]).all()
    assert [row["number"] for row in rows] == ABEL_NUMBERS
    closing(client.session)
    # An expired access token: requests-oauthlib refreshes it before the request is sent.
    client.set_token({**token, "expires_in": -60, "expires_at": time.time() - 60})
    again = incidents(client).get(query="ORDERBYnumber", fields=["number"]).all()
    closing(client.session)
    assert [row["number"] for row in again] == ABEL_NUMBERS
    assert refreshed and refreshed[-1]["access_token"] != token["access_token"]


def test_oauth_client_credentials_session(https_emulator: ThreadedEmulator, closing: Closing):
    session = OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID))
    closing(session)
    session.fetch_token(
        token_url=f"{https_emulator.base_url}/oauth_token.do",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    client = pysnow.Client(host=host_of(https_emulator), session=session)
    assert len(incidents(client).get(fields=["number"]).all()) == 33
