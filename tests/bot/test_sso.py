"""Teams SSO pieces on their own: the token-exchange dedupe on every storage back end, the
on-behalf-of cache and its silent refresh, and whose credentials a call carries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import Storage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from botframework.connector.auth.user_token_client import UserTokenClient
from botframework.connector.token_api.models import TokenResponse

from bot.sso import SsoTokenExchange
from bot.storage import claims_for
from flows.models import Employee
from flows.orchestrator import Orchestrator
from servicenow.auth import (
    BasicAuth,
    NoServiceAccount,
    NotSignedIn,
    OnBehalfOf,
    acting_as,
    as_service,
)
from servicenow.client import ServiceNowClient
from servicenow.errors import SignInRequired
from tests.bot.test_storage import BACKENDS, _cleanup, _make
from tests.fakes.microsoft import SERVICENOW_SCOPE, FakeMicrosoft


class FakeTokenClient(UserTokenClient):
    """Exchanges any token but `refused`; counts the exchanges."""

    def __init__(self) -> None:
        self.exchanges = 0

    async def exchange_token(
        self, user_id: str, connection: str, channel: str, request: Any
    ) -> Any:
        self.exchanges += 1
        await asyncio.sleep(0)  # let a concurrent duplicate in
        return TokenResponse(token=None if request.token == "refused" else "user-token")

    async def get_user_token(self, *args: Any) -> Any:
        return None

    async def sign_out_user(self, *args: Any) -> None:
        return None

    async def get_token_status(self, *args: Any) -> Any:
        return []

    async def get_aad_tokens(self, *args: Any) -> Any:
        return {}

    async def get_sign_in_resource(self, *args: Any) -> Any:
        return None


def _invoke(exchange_id: str, token: str = "sso") -> Activity:
    return Activity(
        type=ActivityTypes.invoke,
        name="signin/tokenExchange",
        channel_id="msteams",
        id=f"activity-{token}-{exchange_id}",
        conversation=ConversationAccount(id="a:chat"),
        from_property=ChannelAccount(id="29:abel"),
        recipient=ChannelAccount(id="bot"),
        value={"id": exchange_id, "connectionName": "sso", "token": token},
    )


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    made = await _make(request.param, tmp_path)
    yield made
    await _cleanup(made)


async def _turn(
    middleware: SsoTokenExchange, activity: Activity, tokens: FakeTokenClient
) -> tuple[int, bool]:
    adapter = TestAdapter()
    context = TurnContext(adapter, activity)
    context.turn_state[UserTokenClient.__name__] = tokens
    ran = False

    async def logic() -> None:
        nonlocal ran
        ran = True

    await middleware.on_turn(context, logic)
    # CloudAdapter keeps the invoke answer in turn_state; TestAdapter keeps what was sent.
    answers = [a for a in adapter.activity_buffer if a.type == ActivityTypes.invoke_response]
    return (answers[0].value.status if answers else 0), ran


async def test_duplicate_exchanges_run_once_on_every_storage(storage: Storage) -> None:
    """Three Teams clients send the same sign-in at once: one runs, the others get a 200."""
    middleware = SsoTokenExchange(claims_for(storage), "sso")
    tokens = FakeTokenClient()
    results = await asyncio.gather(*(_turn(middleware, _invoke("same"), tokens) for _ in range(3)))
    assert sorted(ran for _, ran in results) == [False, False, True]
    assert [status for status, ran in results if not ran] == [200, 200]
    # Another sign-in (another value.id) is not a duplicate.
    assert (await _turn(middleware, _invoke("other"), tokens))[1] is True


async def test_a_token_that_cannot_be_exchanged_is_answered_412(storage: Storage) -> None:
    middleware = SsoTokenExchange(claims_for(storage), "sso")
    status, ran = await _turn(middleware, _invoke("x", token="refused"), FakeTokenClient())
    assert (status, ran) == (412, False)


def _obo(fake: FakeMicrosoft, clock: Any) -> OnBehalfOf:
    return OnBehalfOf(
        fake.tenant,
        fake.client_id,
        SERVICENOW_SCOPE,
        fake.client_secret,
        authority=f"{fake.authority_host}/{fake.tenant}",
        clock=clock,
    )


async def test_an_expiring_servicenow_token_is_renewed_silently(microsoft: FakeMicrosoft) -> None:
    """The employee's ServiceNow token is cached until a minute before it expires, then
    exchanged again with their SSO token, without asking them anything."""
    now = [1000.0]
    obo = _obo(microsoft, lambda: now[0])
    microsoft.obo_lifetime = 600
    employee = obo.for_employee("oid-abel", microsoft.sso_token("abel@x", "Abel", "oid-abel"))
    first = await employee.headers()
    now[0] += 500  # 100 s left: still served from the cache
    assert await employee.headers() == first
    assert len(microsoft.obo_requests) == 1
    now[0] += 60  # 40 s left: renewed
    await employee.headers()
    assert len(microsoft.obo_requests) == 2
    other = obo.for_employee("oid-beth", microsoft.sso_token("beth@x", "Beth", "oid-beth"))
    assert await other.headers() != first  # a cache entry per employee
    assert [r["oid"] for r in microsoft.obo_requests] == ["oid-abel", "oid-abel", "oid-beth"]


async def test_revoked_consent_is_a_sign_in_required(microsoft: FakeMicrosoft) -> None:
    obo = _obo(microsoft, lambda: 0.0)
    microsoft.revoked.add("oid-abel")
    employee = obo.for_employee("oid-abel", microsoft.sso_token("abel@x", "Abel", "oid-abel"))
    with pytest.raises(SignInRequired, match="sign in again"):
        await employee.headers()


def test_whose_credentials_a_call_carries() -> None:
    """Service mode: the client's own. A turn acting for an employee: theirs, also for shared
    metadata when there is no service account (user mode), the service account's for
    metadata in hybrid mode. Nobody signed in: refused, never the service account."""
    service = BasicAuth("integration", "secret")
    hybrid = ServiceNowClient("https://x.service-now.com", service)
    user_mode = ServiceNowClient("https://x.service-now.com", NoServiceAccount())
    employee = NotSignedIn()  # stands for any per-employee provider
    assert hybrid.current_auth() is service
    with acting_as(employee):
        assert hybrid.current_auth() is employee
        assert user_mode.current_auth() is employee
        with as_service():
            assert hybrid.current_auth() is service
            assert user_mode.current_auth() is employee
    assert user_mode.current_auth().label.startswith("no service account")


async def test_nobody_signed_in_sends_nothing() -> None:
    with pytest.raises(SignInRequired):
        await NotSignedIn().headers()
    with pytest.raises(SignInRequired):
        await NoServiceAccount().headers()


def test_service_mode_says_who_wrote_a_comment() -> None:
    abel = Employee(sys_id="1", user_name="abel.tuter", name="Abel Tuter")
    service = Orchestrator.__new__(Orchestrator)
    service.attribute_comments = True
    assert service.attributed(abel, "Still broken") == (
        "Written by Abel Tuter through Snowdesk:\nStill broken"
    )
    service.attribute_comments = False
    assert service.attributed(abel, "Still broken") == "Still broken"
