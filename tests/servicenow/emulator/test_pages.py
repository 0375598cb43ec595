"""Record pages for "Open in ServiceNow" links, and the CLI banner."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import httpx

from bot import emulator_cli as cli
from servicenow.emulator import RunningEmulator
from tests.servicenow.emulator.conftest import ADMIN_PASSWORD

Client = Callable[[str | None], httpx.AsyncClient]


async def test_record_list_and_portal_pages(admin: httpx.AsyncClient):
    incident = (await admin.get("/api/now/table/incident?number=INC0010001")).json()["result"][0]
    case = (await admin.get("/api/now/table/sn_hr_core_case?number=HRC0001001")).json()["result"]
    page = await admin.get(f"/incident.do?sys_id={incident['sys_id']}")
    assert page.status_code == 200 and "INC0010001" in page.text and "Abel Tuter" in page.text
    listing = await admin.get("/incident_list.do")
    assert "INC0010033" in listing.text
    portal = await admin.get(
        f"/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id={case[0]['sys_id']}"
    )
    assert "HRC0001001" in portal.text and "Verified employee record" not in portal.text
    hr_page = await admin.get(f"/sn_hr_core_case.do?sys_id={case[0]['sys_id']}")
    assert "Verified employee record" in hr_page.text


async def test_pages_escape_html(admin: httpx.AsyncClient):
    created = await admin.post(
        "/api/now/table/incident", json={"short_description": "<script>alert(1)</script>"}
    )
    page = await admin.get(f"/incident.do?sys_id={created.json()['result']['sys_id']}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


async def test_pages_need_a_sign_in(client_for: Client, emulator: RunningEmulator):
    anonymous = client_for(None)
    for path in ("/incident_list.do", "/sys_journal_field_list.do", "/sys_user.do?sys_id=x"):
        refused = await anonymous.get(path)
        assert refused.status_code == 302
        assert refused.headers["Location"].startswith("/login.do?sysparm_goto=")
    assert (await anonymous.get("/emulator/requests")).status_code == 401
    form = await anonymous.get("/login.do")
    assert form.status_code == 200 and "user_password" in form.text
    async with httpx.AsyncClient(base_url=emulator.base_url) as browser:
        wrong = await browser.post("/login.do", data={"user_name": "admin", "user_password": "x"})
        assert wrong.status_code == 401 and "SESSIONID" not in str(browser.cookies)
        signed_in = await browser.post(
            "/login.do",
            data={
                "user_name": "admin",
                "user_password": ADMIN_PASSWORD,
                "sysparm_goto": "/incident_list.do",
            },
        )
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/incident_list.do"
        assert "INC0010033" in (await browser.get("/incident_list.do")).text
        assert (await browser.get("/emulator/requests")).status_code == 200
        await browser.get("/logout.do")
        assert (await browser.get("/incident_list.do")).status_code == 302
        offsite = await browser.post(
            "/login.do",
            data={"user_name": "admin", "user_password": ADMIN_PASSWORD, "sysparm_goto": "//x.io"},
        )
        assert offsite.headers["Location"] == "/incident_list.do"


async def test_an_employee_sees_only_their_own_pages(client_for: Client, admin: httpx.AsyncClient):
    abel = client_for("abel.tuter")
    own = (await admin.get("/api/now/table/incident?number=INC0010001")).json()["result"][0]
    other = (await admin.get("/api/now/table/incident?number=INC0010033")).json()["result"][0]
    await admin.patch(f"/api/now/table/incident/{own['sys_id']}", json={"work_notes": "Agent only"})
    mine = await abel.get(f"/incident.do?sys_id={own['sys_id']}")
    assert "INC0010001" in mine.text and "Agent only" not in mine.text
    assert "INC0010033" not in (await abel.get(f"/incident.do?sys_id={other['sys_id']}")).text
    listing = (await abel.get("/incident_list.do")).text
    assert "INC0010001" in listing and "INC0010033" not in listing
    assert "<td>" not in (await abel.get("/sys_journal_field_list.do")).text
    users = (await abel.get("/sys_user_list.do")).text
    assert "Abel Tuter" in users and "Beth Anglin" not in users


def test_cli_options_and_banner():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--seed", "empty", "--error-rate", "0.1"])
    assert (args.port, args.seed, args.db, args.error_rate) == (0, "empty", ":memory:", 0.1)
    text = cli.banner("http://127.0.0.1:8090", "s3cret", configured=False)
    assert "http://127.0.0.1:8090" in text and "s3cret" in text and "snowdesk-bot" in text
    assert "s3cret" not in cli.banner("http://x", "s3cret", configured=True)
