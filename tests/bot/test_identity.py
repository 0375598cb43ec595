"""Identity resolution paths: Emulator demo user, Teams match fields, provisioning, unknown."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botbuilder.schema.teams import TeamsChannelAccount

from bot.config import Settings
from bot.identity import resolve_employee
from bot.servicenow_setup import connect
from flows.errors import UnknownEmployee
from flows.orchestrator import Orchestrator
from tests.flows.conftest import FAST, emulator_settings, loopback


@pytest.fixture
async def orch(servicenow_emulator: Any) -> AsyncIterator[Orchestrator]:
    async with await connect(
        emulator_settings(servicenow_emulator), transport=loopback(), policy=FAST
    ) as opened:
        yield opened.orchestrator


@pytest.fixture
def settings(servicenow_emulator: Any) -> Settings:
    return emulator_settings(servicenow_emulator)


def turn(channel: str) -> TurnContext:
    activity = Activity(
        type="message",
        text="hi",
        channel_id=channel,
        service_url="https://smba.example.test/",
        from_property=ChannelAccount(id="29:member", name="Someone", aad_object_id="oid-x"),
        conversation=ConversationAccount(id="conv-1"),
        recipient=ChannelAccount(id="28:bot"),
    )
    return TurnContext(TestAdapter(), activity)


@pytest.fixture
def teams_member(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the Teams roster answers for the sender (the Teams service is not reachable here)."""
    profile: dict[str, str] = {}

    async def get_member(turn_context: TurnContext, member_id: str) -> TeamsChannelAccount:
        return TeamsChannelAccount(id=member_id, **profile)

    monkeypatch.setattr(TeamsInfo, "get_member", get_member)
    return profile


async def test_the_emulator_channel_acts_as_the_demo_user(orch: Orchestrator, settings: Settings):
    employee = await resolve_employee(turn("emulator"), orch, settings)
    assert employee.email == "abel.tuter@example.com" and employee.name == "Abel Tuter"


async def test_a_missing_demo_user_is_a_clear_error(orch: Orchestrator, settings: Settings):
    broken = settings.model_copy(update={"demo_user": "nobody@example.com"})
    with pytest.raises(UnknownEmployee, match="email"):
        await resolve_employee(turn("emulator"), orch, broken)


async def test_a_teams_member_is_matched_by_email(
    orch: Orchestrator, settings: Settings, teams_member: dict[str, str]
):
    teams_member |= {"email": "beth.anglin@example.com", "name": "Beth Anglin"}
    employee = await resolve_employee(turn("msteams"), orch, settings)
    assert employee.user_name == "beth.anglin"


async def test_a_teams_member_is_matched_by_upn_when_configured(
    orch: Orchestrator, settings: Settings, teams_member: dict[str, str]
):
    teams_member |= {"user_principal_name": "beth.anglin", "email": "other@example.com"}
    by_upn = settings.model_copy(update={"user_match_field": "user_name"})
    employee = await resolve_employee(turn("msteams"), orch, by_upn)
    assert employee.email == "beth.anglin@example.com"


async def test_an_unknown_member_is_provisioned_once_on_the_embedded_emulator(
    orch: Orchestrator, settings: Settings, teams_member: dict[str, str]
):
    object_id = str(uuid.uuid4())
    email = f"new.hire.{object_id[:8]}@example.com"
    teams_member |= {
        "email": email,
        "user_principal_name": email,
        "given_name": "New",
        "surname": "Hire",
        "name": "New Hire",
        "aad_object_id": object_id,
    }
    embedded = settings.model_copy(update={"servicenow_instance": ""})
    first = await resolve_employee(turn("msteams"), orch, embedded)
    again = await resolve_employee(turn("msteams"), orch, embedded)
    assert first.sys_id == again.sys_id
    assert (first.email, first.user_name, first.name) == (email, email, "New Hire")
    by_oid = settings.model_copy(update={"user_match_field": "u_entra_object_id"})
    assert (await resolve_employee(turn("msteams"), orch, by_oid)).sys_id == first.sys_id


async def test_an_unknown_member_on_a_real_instance_is_refused_with_an_admin_log_line(
    orch: Orchestrator,
    settings: Settings,
    teams_member: dict[str, str],
    caplog: pytest.LogCaptureFixture,
):
    teams_member |= {"email": "stranger@example.com"}
    caplog.set_level(logging.WARNING, logger="bot.identity")
    with pytest.raises(UnknownEmployee) as caught:
        await resolve_employee(turn("msteams"), orch, settings)
    assert caught.value.field == "email"
    [record] = [r for r in caplog.records if r.getMessage() == "identity.unknown"]
    assert record.match_field == "email"  # type: ignore[attr-defined]
    assert "stranger@example.com" not in caplog.text


async def test_a_roster_failure_falls_back_to_the_activitys_object_id(
    orch: Orchestrator, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    async def failing(turn_context: TurnContext, member_id: str) -> TeamsChannelAccount:
        raise RuntimeError("roster unavailable")

    monkeypatch.setattr(TeamsInfo, "get_member", failing)
    by_oid = settings.model_copy(update={"user_match_field": "u_entra_object_id"})
    with pytest.raises(UnknownEmployee, match="u_entra_object_id"):
        await resolve_employee(turn("msteams"), orch, by_oid)
