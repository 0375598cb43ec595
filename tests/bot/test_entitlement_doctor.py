"""`snowdesk doctor` on ticketed access: the three ticket fields and the Graph token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.doctor import run_checks
from flows.templates import BUILTIN_DIR
from tests.fakes.microsoft import AUDIENCE, FakeMicrosoft
from tests.flows.conftest import emulator_settings, loopback

pytestmark = pytest.mark.integration
FIELDS = "access ticket fields exist"
TOKEN = "Graph token for entitlement management"


def access_settings(emulator: Any, fake: FakeMicrosoft, **changes: Any) -> Any:
    values = {
        "entra_authority_host": fake.authority_host,
        "entra_tenant_id": fake.tenant,
        "graph_client_id": fake.client_id,
        "graph_client_secret": fake.client_secret,
        "entitlement_audience": AUDIENCE,
    }
    return emulator_settings(emulator, **(values | changes))


async def checks_by_name(settings: Any) -> dict[str, Any]:
    return {check.name: check for check in await run_checks(settings, loopback())}


async def test_fields_and_token_pass_against_the_emulator_and_the_fake(
    servicenow_emulator: Any, microsoft: FakeMicrosoft
) -> None:
    checks = await checks_by_name(access_settings(servicenow_emulator, microsoft))
    assert checks[FIELDS].ok is True, checks[FIELDS].line()
    assert checks[TOKEN].ok is True, checks[TOKEN].line()
    assert "EntitlementManagement.ReadWrite.All" in checks[TOKEN].detail


async def test_a_wrong_secret_and_a_table_without_the_fields_are_named(
    servicenow_emulator: Any, microsoft: FakeMicrosoft, tmp_path: Path
) -> None:
    template = json.loads((BUILTIN_DIR / "Access.CreateRequest.json").read_text())
    template["Table"] = "sn_hr_core_case"
    (tmp_path / "Access.CreateRequest.json").write_text(json.dumps(template))
    settings = access_settings(
        servicenow_emulator, microsoft, graph_client_secret="wrong", templates_dir=tmp_path
    )
    checks = await checks_by_name(settings)
    assert checks[FIELDS].ok is False and "u_stage_instance_id" in checks[FIELDS].detail
    assert checks[TOKEN].ok is False and "invalid_client" in checks[TOKEN].detail
    assert "wrong" not in checks[TOKEN].line()


async def test_nothing_is_checked_when_ticketed_access_is_not_configured(
    servicenow_emulator: Any,
) -> None:
    checks = await checks_by_name(emulator_settings(servicenow_emulator))
    assert FIELDS not in checks and TOKEN not in checks
