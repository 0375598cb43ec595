"""Record pages for "Open in ServiceNow" links, and the CLI banner."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import httpx

from bot import emulator_cli as cli

Client = Callable[[str | None], httpx.AsyncClient]


async def test_record_list_and_portal_pages(client_for: Client, admin: httpx.AsyncClient):
    incident = (await admin.get("/api/now/table/incident?number=INC0010001")).json()["result"][0]
    case = (await admin.get("/api/now/table/sn_hr_core_case?number=HRC0001001")).json()["result"]
    anonymous = client_for(None)
    page = await anonymous.get(f"/incident.do?sys_id={incident['sys_id']}")
    assert page.status_code == 200 and "INC0010001" in page.text and "Abel Tuter" in page.text
    listing = await anonymous.get("/incident_list.do")
    assert "INC0010033" in listing.text
    portal = await anonymous.get(
        f"/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id={case[0]['sys_id']}"
    )
    assert "HRC0001001" in portal.text and "Verified employee record" not in portal.text
    hr_page = await anonymous.get(f"/sn_hr_core_case.do?sys_id={case[0]['sys_id']}")
    assert "Verified employee record" in hr_page.text


async def test_pages_escape_html(admin: httpx.AsyncClient, client_for: Client):
    created = await admin.post(
        "/api/now/table/incident", json={"short_description": "<script>alert(1)</script>"}
    )
    page = await client_for(None).get(f"/incident.do?sys_id={created.json()['result']['sys_id']}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_cli_options_and_banner():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--seed", "empty", "--error-rate", "0.1"])
    assert (args.port, args.seed, args.db, args.error_rate) == (0, "empty", ":memory:", 0.1)
    text = cli.banner("http://127.0.0.1:8090", "s3cret", configured=False)
    assert "http://127.0.0.1:8090" in text and "s3cret" in text and "snowdesk-bot" in text
    assert "s3cret" not in cli.banner("http://x", "s3cret", configured=True)
