"""pysnc (ServiceNow's own Python client, GlideRecord over REST) against the emulator over https.

Each test is one kind of operation a pysnc user performs, asserting what a real instance
answers. The demo company's facts used here: Abel Tuter is the caller of INC0010001-INC0010006,
the instance has INC0010001-INC0010033, and itil.agent works the incidents.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pysnc
import pytest
from pysnc.auth import ServiceNowClientCredentialsFlow, ServiceNowPasswordGrantFlow
from pysnc.exceptions import AuthenticationException, InstanceException, RequestException

from tests.servicenow.emulator.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, ThreadedEmulator

pytestmark = pytest.mark.clients
CLIENT_ID, CLIENT_SECRET = "snowdesk-bot", "snowdesk-secret"
ABEL_NUMBERS = [f"INC001000{n}" for n in range(1, 7)]
Connect = Callable[[str], pysnc.ServiceNowClient]
Closing = Callable[[pysnc.ServiceNowClient], pysnc.ServiceNowClient]


@pytest.fixture
def closing(https_emulator: ThreadedEmulator) -> Iterator[Closing]:
    """Registers clients whose sessions are closed after the test (before the server stops)."""
    opened: list[pysnc.ServiceNowClient] = []

    def keep(client: pysnc.ServiceNowClient) -> pysnc.ServiceNowClient:
        opened.append(client)
        return client

    yield keep
    for client in opened:
        client.session.close()


@pytest.fixture
def connect(
    https_emulator: ThreadedEmulator,
    closing: Callable[[pysnc.ServiceNowClient], pysnc.ServiceNowClient],
) -> Connect:
    """`connect("abel.tuter")`: a pysnc client signed in with basic auth."""

    def make(user: str) -> pysnc.ServiceNowClient:
        password = ADMIN_PASSWORD if user == "admin" else DEMO_PASSWORD
        return closing(
            pysnc.ServiceNowClient(
                https_emulator.base_url, (user, password), verify=str(https_emulator.cert)
            )
        )

    return make


def numbers(gr: pysnc.GlideRecord) -> list[str]:
    return [record.get_value("number") for record in gr]


def test_pysnc_refuses_plain_http(https_emulator: ThreadedEmulator):
    with pytest.raises(InstanceException):
        pysnc.ServiceNowClient(https_emulator.base_url.replace("https", "http"), ("a", "b"))


def test_query_building_with_conditions_and_order(connect: Connect):
    gr = connect("admin").GlideRecord("incident")
    gr.add_query("caller_id.user_name", "abel.tuter")
    condition = gr.add_query("number", "INC0010001")
    condition.add_or_condition("number", "INC0010004")
    gr.order_by_desc("number")
    gr.query()
    assert numbers(gr) == ["INC0010004", "INC0010001"]


def test_encoded_query_and_row_count(connect: Connect):
    gr = connect("admin").GlideRecord("incident")
    gr.add_encoded_query("caller_id.user_name=abel.tuter^ORDERBYnumber")
    gr.query()
    assert gr.get_row_count() == len(ABEL_NUMBERS) and numbers(gr) == ABEL_NUMBERS


def test_paging_across_pages(connect: Connect):
    gr = connect("admin").GlideRecord("incident", batch_size=7)
    gr.order_by("number")
    gr.query()
    seen = numbers(gr)
    assert seen == [f"INC00{10001 + n}" for n in range(33)] and gr.get_row_count() == 33


def test_limit_across_pages(connect: Connect):
    gr = connect("admin").GlideRecord("incident", batch_size=5)
    gr.order_by("number")
    gr.limit = 12
    gr.query()
    assert numbers(gr) == [f"INC00{10001 + n}" for n in range(12)]


def test_display_values_and_references(connect: Connect):
    gr = connect("admin").GlideRecord("incident")
    assert gr.get("number", "INC0010001")
    assert gr.get_value("state") == "2" and gr.get_display_value("state") == "In Progress"
    assert gr.get_display_value("caller_id") == "Abel Tuter"
    assert len(gr.get_value("caller_id")) == 32


def test_dot_walked_fields(connect: Connect):
    gr = connect("admin").GlideRecord("incident")
    gr.fields = ["number", "caller_id.email"]
    gr.add_query("number", "INC0010002")
    gr.query()
    assert gr.next() and gr.get_value("caller_id.email") == "abel.tuter@example.com"


def test_get_by_sys_id_and_missing_record(connect: Connect):
    client = connect("admin")
    first = client.GlideRecord("incident")
    assert first.get("number", "INC0010003")
    again = client.GlideRecord("incident")
    assert again.get(first.sys_id) and again.get_value("number") == "INC0010003"
    assert not client.GlideRecord("incident").get("0" * 32)


def test_insert_update_delete(connect: Connect):
    client = connect("itil.agent")
    gr = client.GlideRecord("incident")
    gr.initialize()
    gr.short_description = "Printer on floor 3 jams"
    gr.urgency = "1"
    gr.impact = "1"
    sys_id = gr.insert()
    assert sys_id and gr.get_value("number").startswith("INC")
    assert gr.get_value("priority") == "1" and gr.get_value("state") == "1"
    gr.state = "2"
    assert gr.update() == sys_id
    read = client.GlideRecord("incident")
    assert read.get(sys_id) and read.get_display_value("state") == "In Progress"
    admin_view = connect("admin").GlideRecord("incident")
    assert admin_view.get(sys_id) and admin_view.delete()
    assert not connect("admin").GlideRecord("incident").get(sys_id)


def test_journals_and_work_notes_acl(connect: Connect):
    agent = connect("itil.agent").GlideRecord("incident")
    assert agent.get("number", "INC0010005")
    agent.comments = "We ordered a replacement"
    agent.work_notes = "Vendor ticket 4471"
    agent.update()
    shown = connect("itil.agent").GlideRecord("incident")
    assert shown.get("number", "INC0010005")
    assert "Vendor ticket 4471" in shown.get_display_value("work_notes")
    employee = connect("abel.tuter").GlideRecord("incident")
    assert employee.get("number", "INC0010005")
    both = employee.get_display_value("comments_and_work_notes")
    assert "We ordered a replacement" in both and "Vendor ticket 4471" not in both
    assert employee.get_display_value("work_notes") == ""
    journal = connect("itil.agent").GlideRecord("sys_journal_field")
    journal.add_query("element_id", shown.sys_id)
    journal.query()
    assert {entry.get_value("element") for entry in journal} >= {"comments", "work_notes"}


def test_attachments_upload_list_read(connect: Connect):
    client = connect("abel.tuter")
    gr = client.GlideRecord("incident")
    assert gr.get("number", "INC0010001")
    location = gr.add_attachment("screen.txt", b"blue screen", "text/plain")
    assert "/api/now/v1/attachment/" in location and location.endswith("/file")
    attachments = gr.get_attachments()
    names = []
    for attachment in attachments:
        names.append(attachment.file_name)
        if attachment.file_name == "screen.txt":
            assert attachment.read() == b"blue screen"
    assert "screen.txt" in names


def test_batch_update_and_delete_multiple(connect: Connect):
    client = connect("admin")
    for text in ("batch one", "batch two", "batch three"):
        new = client.GlideRecord("incident")
        new.initialize()
        new.short_description = text
        new.insert()
    gr = client.GlideRecord("incident")
    gr.add_query("short_description", "STARTSWITH", "batch ")
    gr.query()
    for record in gr:
        record.urgency = "2"
    assert gr.update_multiple()
    check = client.GlideRecord("incident")
    check.add_encoded_query("short_descriptionSTARTSWITHbatch ^urgency=2")
    check.query()
    assert check.get_row_count() == 3
    doomed = client.GlideRecord("incident")
    doomed.add_query("short_description", "STARTSWITH", "batch ")
    assert doomed.delete_multiple()
    gone = client.GlideRecord("incident")
    gone.add_query("short_description", "STARTSWITH", "batch ")
    gone.query()
    assert gone.get_row_count() == 0


def test_long_queries_directly_and_through_the_batch_api(connect: Connect):
    client = connect("admin")
    real = client.GlideRecord("incident")
    real.fields = ["sys_id"]
    real.query()
    ids = [str(record.sys_id) for record in real]
    for padding in (250, 400):  # ~8.6 kB: a plain GET; ~13.5 kB: pysnc switches to batch
        gr = client.GlideRecord("incident")
        gr.add_query("sys_id", "IN", ",".join([*ids[:3], *(f"{n:032x}" for n in range(padding))]))
        gr.query()
        assert sorted(str(record.sys_id) for record in gr) == sorted(ids[:3])


def test_my_records_and_related_list_queries(connect: Connect):
    mine = connect("abel.tuter").GlideRecord("incident")
    mine.add_encoded_query("caller_id=javascript:gs.getUserID()^ORDERBYnumber")
    mine.query()
    assert numbers(mine) == ABEL_NUMBERS
    callers = connect("admin").GlideRecord("sys_user")
    callers.add_encoded_query("RLQUERYincident.caller_id,>=1^ENDRLQUERY^user_name=abel.tuter")
    callers.query()
    assert callers.get_row_count() == 1
    unsupported = connect("admin").GlideRecord("incident")
    unsupported.add_encoded_query("sys_created_onRELATIVEGT@hour@ago@1")
    with pytest.raises(RequestException):
        unsupported.query()


def test_stats_through_the_pysnc_session(connect: Connect):
    client = connect("admin")
    response = client.session.get(
        f"{client.instance}/api/now/stats/incident",
        params={"sysparm_count": "true", "sysparm_group_by": "priority"},
    )
    groups = response.json()["result"]
    assert sum(int(group["stats"]["count"]) for group in groups) == 33


def test_out_of_box_admin_and_problems(connect: Connect):
    client = connect("admin")
    admin = client.GlideRecord("sys_user")
    assert admin.get("6816f79cc0a8016401c5a33be04be441") and admin.get_value("user_name") == "admin"
    assert admin.get_value("user_password") == "********"
    problems = client.GlideRecord("problem")
    problems.query()
    assert problems.get_row_count() == 3


def test_wrong_password_and_invalid_table(
    connect: Connect, closing: Closing, https_emulator: ThreadedEmulator
):
    wrong = closing(pysnc.ServiceNowClient(https_emulator.base_url, ("admin", "nope")))
    with pytest.raises(AuthenticationException):
        wrong.GlideRecord("incident").get("0" * 32)
    with pytest.raises(RequestException):
        connect("admin").GlideRecord("no_such_table").query()


def test_oauth_password_grant_and_refresh(closing: Closing, https_emulator: ThreadedEmulator):
    flow = ServiceNowPasswordGrantFlow("abel.tuter", DEMO_PASSWORD, CLIENT_ID, CLIENT_SECRET)
    client = closing(pysnc.ServiceNowClient(https_emulator.base_url, flow))
    gr = client.GlideRecord("incident")
    gr.order_by("number")
    gr.query()
    assert numbers(gr) == ABEL_NUMBERS
    first_token = client.session.token["access_token"]
    # An access token past its expiry: pysnc refreshes it with the refresh_token grant. pysnc
    # 1.2.1 then sends the request that noticed the expiry without any token (API._send does
    # not re-add it), so that one request fails as it would on a real instance; later ones
    # carry the new token.
    client.session.token = {**client.session.token, "expires_at": time.time() - 60}
    with pytest.raises(AuthenticationException):
        client.GlideRecord("incident").query()
    assert client.session.token["access_token"] != first_token
    again = client.GlideRecord("incident")
    again.order_by("number")
    again.query()
    assert numbers(again) == ABEL_NUMBERS


def test_oauth_client_credentials(closing: Closing, https_emulator: ThreadedEmulator):
    flow = ServiceNowClientCredentialsFlow(CLIENT_ID, CLIENT_SECRET)
    client = closing(pysnc.ServiceNowClient(https_emulator.base_url, flow))
    gr = client.GlideRecord("incident")
    gr.query()
    assert gr.get_row_count() == 33
    refused = ServiceNowClientCredentialsFlow(CLIENT_ID, "wrong")
    with pytest.raises(AuthenticationException):
        pysnc.ServiceNowClient(https_emulator.base_url, refused)
