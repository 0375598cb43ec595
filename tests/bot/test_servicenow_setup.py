"""connect(): the embedded emulator when no instance is set, a real URL otherwise."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.servicenow_setup import connect
from flows import it
from flows.identity import get_user
from flows.models import TicketDraft
from servicenow.errors import ConfigurationError
from tests.flows.conftest import loopback


async def test_no_instance_starts_the_embedded_emulator_end_to_end():
    settings = Settings(
        servicenow_instance="", emulator_admin_password="local-admin", storage_url="memory://"
    )
    async with await connect(settings, transport=loopback()) as connection:
        assert connection.backend_label.startswith("embedded emulator at http://127.0.0.1:")
        orch = connection.orchestrator
        abel = await get_user(orch, "email", settings.demo_user)
        assert abel is not None
        ticket = await it.create_ticket(
            orch, abel, TicketDraft(short_description="Mouse broken"), "embedded-1"
        )
        assert (await it.get_ticket_details(orch, abel, None)).number == ticket.number


async def test_a_real_instance_is_labelled_with_host_and_auth():
    settings = Settings(
        servicenow_instance="contoso",
        servicenow_auth="oauth2",
        servicenow_client_id="id",
        servicenow_client_secret="secret",
        servicenow_oauth_grant="client_credentials",
        storage_url="memory://",
    )
    async with await connect(settings, transport=loopback()) as connection:
        assert connection.backend_label == "contoso.service-now.com (oauth2)"
        assert connection.client.base_url == "https://contoso.service-now.com"


async def test_missing_credentials_are_a_configuration_error():
    settings = Settings(servicenow_instance="contoso", servicenow_auth="basic")
    with pytest.raises(ConfigurationError, match="SERVICENOW_USERNAME"):
        await connect(settings, transport=loopback())
