"""`snowdesk doctor` against the emulator: a healthy setup, and deliberately broken ones."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.doctor import Check, report, run_checks
from flows.templates import BUILTIN_DIR
from tests.flows.conftest import emulator_settings, loopback


async def doctor(servicenow_emulator: Any, **changes: Any) -> tuple[int, str, list[Check]]:
    checks = await run_checks(emulator_settings(servicenow_emulator, **changes), loopback())
    out = io.StringIO()
    return report(checks, out), out.getvalue(), checks


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_a_healthy_setup_passes_every_check(servicenow_emulator: Any):
    code, text, checks = await doctor(servicenow_emulator)
    assert code == 0, text
    assert [c.name for c in checks] == [
        "settings complete",
        "template configurations",
        "instance reachable",
        "credentials accepted",
        "table read access",
        "fields and choice values exist",
        "dry run of a read scenario",
    ]
    assert all(line.startswith("✓") for line in text.splitlines())


async def test_a_wrong_password_is_named_and_later_checks_are_skipped(servicenow_emulator: Any):
    code, text, checks = await doctor(servicenow_emulator, servicenow_password="wrong")
    assert code == 1
    creds = by_name(checks)["credentials accepted"]
    assert creds.ok is False and "SERVICENOW_PASSWORD" in creds.fix
    assert by_name(checks)["table read access"].ok is None
    assert "✗ credentials accepted" in text and "wrong" not in creds.detail


async def test_oauth_tells_a_bad_client_secret_from_a_bad_password(servicenow_emulator: Any):
    oauth = {
        "servicenow_auth": "oauth2",
        "servicenow_client_id": "snowdesk-bot",
        "servicenow_client_secret": "snowdesk-secret",
    }
    _, _, checks = await doctor(servicenow_emulator, **oauth)
    assert by_name(checks)["credentials accepted"].ok is True
    _, _, checks = await doctor(servicenow_emulator, **oauth | {"servicenow_client_secret": "x"})
    assert "client id/secret is wrong" in by_name(checks)["credentials accepted"].fix
    _, _, checks = await doctor(servicenow_emulator, **oauth | {"servicenow_password": "x"})
    assert "user name or password is wrong" in by_name(checks)["credentials accepted"].fix


async def test_an_unreachable_instance(servicenow_emulator: Any):
    code, _, checks = await doctor(servicenow_emulator, servicenow_instance="http://127.0.0.1:1")
    reach = by_name(checks)["instance reachable"]
    assert code == 1 and reach.ok is False and "SERVICENOW_INSTANCE" in reach.fix


@pytest.mark.parametrize("instance", ["https://contoso.service-now.com/now/nav", "con toso"])
async def test_a_malformed_instance_name(servicenow_emulator: Any, instance: str):
    code, text, checks = await doctor(servicenow_emulator, servicenow_instance=instance)
    assert code == 1 and [c.name for c in checks] == ["settings complete"]
    assert "`contoso`" in checks[0].fix


def override(tmp_path: Path, scenario: str, **changes: Any) -> Path:
    document = json.loads((BUILTIN_DIR / f"{scenario}.json").read_text()) | changes
    (tmp_path / f"{scenario}.json").write_text(json.dumps(document))
    return tmp_path


async def test_a_misspelt_field_is_named_with_its_scenario(servicenow_emulator: Any, tmp_path):
    template = json.loads((BUILTIN_DIR / "ITSM.GetUserTickets.json").read_text())
    template["OutputFieldMapping"][2]["FieldName"] = "short_descripton"
    (tmp_path / "tickets.json").write_text(json.dumps(template))
    code, _, checks = await doctor(servicenow_emulator, templates_dir=tmp_path)
    fields = by_name(checks)["fields and choice values exist"]
    assert code == 1 and fields.ok is False
    assert "ITSM.GetUserTickets: incident.short_descripton does not exist" in fields.detail


async def test_an_invalid_choice_value_is_reported(servicenow_emulator: Any, tmp_path: Path):
    globals_ = [{"ParameterName": "C", "FieldName": "contact_type", "Value": "pigeon"}]
    override(tmp_path, "ITSM.CreateTicket", GlobalParameters=globals_)
    code, _, checks = await doctor(servicenow_emulator, templates_dir=tmp_path)
    assert code == 1
    assert (
        "'pigeon' is not a choice of incident.contact_type"
        in by_name(checks)["fields and choice values exist"].detail
    )


async def test_a_broken_template_file_stops_at_settings(servicenow_emulator: Any, tmp_path):
    (tmp_path / "bad.json").write_text('{"Scenario": "X", "Table": "incident"}')
    code, _, checks = await doctor(servicenow_emulator, templates_dir=tmp_path)
    assert code == 1 and "bad.json: Operation: Field required" in checks[0].detail


async def test_ess_samples_load_with_their_pitfall_as_a_warning(servicenow_emulator: Any):
    from tests.helpers import shared_path

    ess = shared_path("fixtures", "servicenow", "ess-templates")
    _, _, checks = await doctor(servicenow_emulator, templates_dir=ess)
    templates = by_name(checks)["template configurations"]
    assert templates.ok is True and "opened_for.email" in templates.detail
