"""Teams SSO end to end over loopback: the real bot app in identity mode `user`, its embedded
ServiceNow emulator trusting the fake Entra's key (its OIDC provider), a fake Bot Framework token
service (`OAUTH_URL`), the fake Entra token endpoint for on-behalf-of and a fake Teams connector.

What ServiceNow saw is read from the emulator itself (`/emulator/requests`, the journal).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiohttp import web

from bot.app import SERVICENOW, create_app
from bot.config import Settings
from dialogs.sign_in import SIGNED_IN_TEXT
from tests.desk import form_submit
from tests.e2e.harness import (
    Conversation,
    card_of,
    default_recognizer,
    fake_connector,
    served,
    texts_of,
)
from tests.fakes.microsoft import SERVICENOW_SCOPE, FakeMicrosoft
from tests.fakes.token_service import FakeTokenService, fake_token_service

CONNECTION = "snowdesk-sso"
OAUTH_CARD = "application/vnd.microsoft.card.oauth"
ABEL_OID = "aaaaaaaa-0000-0000-0000-00000000abe1"
ABEL = {"id": "29:abel", "name": "Abel Tuter", "role": "user", "aadObjectId": ABEL_OID}


@dataclass
class Bed:
    app: web.Application
    chat: Conversation
    entra: FakeMicrosoft
    tokens: FakeTokenService
    http: httpx.AsyncClient

    @property
    def servicenow_url(self) -> str:
        return self.app[SERVICENOW].client.base_url

    def abel_token(self) -> str:
        """Abel's token for the bot's API, as the token service hands it back."""
        return self.entra.sso_token("abel.tuter@example.com", "Abel Tuter", ABEL_OID)

    async def exchange(self, sso_token: str, exchange_id: str = "") -> httpx.Response:
        """Teams' silent sign-in: a `signin/tokenExchange` invoke with its SSO token."""
        value = {
            "id": exchange_id or str(uuid.uuid4()),
            "connectionName": CONNECTION,
            "token": sso_token,
        }
        return await self.chat.post(
            self.chat.activity("invoke", name="signin/tokenExchange", value=value)
        )

    async def servicenow_requests(self) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.servicenow_url}/emulator/requests", auth=("admin", "sso-admin")
        )
        response.raise_for_status()
        body = response.json()
        rows: list[dict[str, Any]] = body["result"] if isinstance(body, dict) else body
        return rows

    async def comments_on(self, sys_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.servicenow_url}/api/now/table/sys_journal_field",
            params={"sysparm_query": f"element_id={sys_id}^element=comments"},
            auth=("admin", "sso-admin"),
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["result"]
        return rows


@asynccontextmanager
async def sso_bed(entra: FakeMicrosoft, **changes: Any) -> AsyncIterator[Bed]:
    async with fake_token_service() as tokens, fake_connector() as connector:
        settings = Settings(
            _env_file=None,
            storage_url="memory://",
            emulator_admin_password="sso-admin",
            ack_seconds=10,  # a slow shared machine must not turn these turns into background ones
            oauth_connection=CONNECTION,
            identity_mode=changes.pop("identity_mode", "user"),
            oauth_url=tokens.url,
            entra_authority_host=entra.authority_host,
            entra_tenant_id=entra.tenant,
            entra_client_id=entra.client_id,
            entra_client_secret=entra.client_secret,
            servicenow_entra_scope=SERVICENOW_SCOPE,
            emulator_oidc_metadata=f"{entra.issuer}/.well-known/openid-configuration",
            emulator_oidc_user_claim="email",
            emulator_oidc_user_field="email",
            user_match_field="email",
            **changes,
        )
        app = create_app(settings, recognizer=default_recognizer())
        async with served(app) as url, httpx.AsyncClient(timeout=30) as http:
            chat = Conversation(
                bot_url=url,
                connector=connector,
                http=http,
                channel_id="msteams",
                conversation_id=f"a:{uuid.uuid4()}",
                user=ABEL,
                conversation={"conversationType": "personal", "tenantId": entra.tenant},
            )
            yield Bed(app, chat, entra, tokens, http)


def oauth_card(replies: list[dict[str, Any]]) -> dict[str, Any]:
    for reply in replies:
        for attachment in reply.get("attachments") or []:
            if attachment.get("contentType") == OAUTH_CARD:
                content: dict[str, Any] = attachment["content"]
                return content
    raise AssertionError(f"no sign-in card in {[r.get('text') for r in replies]}")


def ticket_rows(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item["selectAction"]["data"]
        for item in listing["body"]
        if item.get("selectAction", {}).get("data", {}).get("number")
    ]


async def test_silent_sign_in_then_a_comment_authored_by_the_employee(
    microsoft: FakeMicrosoft,
) -> None:
    """User: "show my tickets" → sign-in card (nothing sent to ServiceNow); Teams exchanges the
    SSO token silently → "signed in" and the list, read as Abel; a comment through the bot →
    ServiceNow's journal names abel.tuter as its author."""
    async with sso_bed(microsoft) as bed:
        sso = "teams-sso-token-abel"
        bed.tokens.exchangeable[sso] = bed.abel_token()
        card = oauth_card(await bed.chat.say("show my tickets"))
        assert card["connectionName"] == CONNECTION and card["tokenExchangeResource"]
        assert [r for r in await bed.servicenow_requests() if r["path"].startswith("/api/")] == []

        since = len(bed.chat.connector.activities)
        answer = await bed.exchange(sso)
        assert answer.status_code == 200, answer.text
        replies = bed.chat.connector.replies(since)
        assert replies[0]["text"] == SIGNED_IN_TEXT
        listing = card_of(replies[-1])
        row = ticket_rows(listing)[0]

        details = card_of((await bed.chat.press(row))[-1])
        comment = {**details["actions"][0]["card"]["actions"][0]["data"], "comment": "Still broken"}
        commented = await bed.chat.press(comment)
        assert commented[0]["text"].startswith("Thanks, I've added your comment")

        served = [r for r in await bed.servicenow_requests() if r["path"].startswith("/api/now")]
        assert served and {r["user"] for r in served} == {"abel.tuter"}
        assert len(microsoft.obo_requests) == 1  # one exchange, cached for the later calls
        assert microsoft.obo_requests[0]["scope"] == SERVICENOW_SCOPE
        ticket = next(r for r in served if r["method"] == "PATCH")
        sys_id = ticket["path"].rsplit("/", 1)[-1]
        journal = await bed.comments_on(sys_id)
        mine = [entry for entry in journal if entry["value"] == "Still broken"]
        assert [entry["sys_created_by"] for entry in mine] == ["abel.tuter"]


async def test_duplicate_exchange_invokes_are_answered_once(microsoft: FakeMicrosoft) -> None:
    """Two signed-in Teams clients send the same `signin/tokenExchange` (same value.id): the
    request is done once, and both invokes get a 200."""
    async with sso_bed(microsoft) as bed:
        sso = "teams-sso-token-abel"
        bed.tokens.exchangeable[sso] = bed.abel_token()
        oauth_card(await bed.chat.say("show my tickets"))
        since = len(bed.chat.connector.activities)
        first = await bed.exchange(sso, "exchange-1")
        second = await bed.exchange(sso, "exchange-1")
        assert first.status_code == second.status_code == 200
        texts = [r.get("text") for r in bed.chat.connector.replies(since)]
        assert texts.count(SIGNED_IN_TEXT) == 1
        assert len([r for r in bed.chat.connector.replies(since) if r.get("attachments")]) == 1


async def test_failed_exchange_shows_sign_in_and_the_request_resumes_after_it(
    microsoft: FakeMicrosoft,
) -> None:
    """Silent SSO fails (consent needed) → 412, so Teams shows the card's sign-in button; the
    employee signs in by hand (`signin/verifyState` with the code) → the kept "show my tickets"
    is answered."""
    async with sso_bed(microsoft) as bed:
        oauth_card(await bed.chat.say("show my tickets"))
        refused = await bed.exchange("teams-sso-token-without-consent")
        assert refused.status_code == 412
        assert refused.json()["failureDetail"]

        bed.tokens.magic_codes["123456"] = (ABEL["id"], bed.abel_token())
        since = len(bed.chat.connector.activities)
        verify = bed.chat.activity("invoke", name="signin/verifyState", value={"state": "123456"})
        answer = await bed.chat.post(verify)
        assert answer.status_code == 200, answer.text
        replies = bed.chat.connector.replies(since)
        assert replies[0]["text"] == SIGNED_IN_TEXT
        assert ticket_rows(card_of(replies[-1]))


async def test_user_mode_without_consent_sends_nothing_to_servicenow(
    microsoft: FakeMicrosoft,
) -> None:
    """Nobody signed in: asking for tickets, HR cases or a ticket's status gets the sign-in card
    and ServiceNow sees no request at all (no fallback to a service account)."""
    async with sso_bed(microsoft) as bed:
        for text in ("show my tickets", "my HR cases", "status of INC0010001"):
            oauth_card(await bed.chat.say(text))
        assert [r for r in await bed.servicenow_requests() if r["path"].startswith("/api/")] == []
        assert microsoft.obo_requests == []


async def test_revoked_consent_leads_back_to_sign_in_with_the_request_kept(
    microsoft: FakeMicrosoft,
) -> None:
    """Signed in, then consent is revoked in Entra: the next request is met with "sign in
    again" and the sign-in card; after signing in again it is answered."""
    async with sso_bed(microsoft) as bed:
        bed.tokens.tokens[(ABEL["id"], CONNECTION)] = bed.abel_token()
        assert ticket_rows(card_of((await bed.chat.say("show my tickets"))[-1]))
        microsoft.revoked.add(ABEL_OID)
        bed.app[SERVICENOW].employee_auth.forget(ABEL_OID)  # type: ignore[union-attr]
        replies = await bed.chat.say("show my HR cases")
        assert any("sign in again" in str(r.get("text")) for r in replies)
        oauth_card(replies)
        microsoft.revoked.clear()
        bed.tokens.magic_codes["654321"] = (ABEL["id"], bed.abel_token())
        since = len(bed.chat.connector.activities)
        await bed.chat.post(
            bed.chat.activity("invoke", name="signin/verifyState", value={"state": "654321"})
        )
        replies = bed.chat.connector.replies(since)
        assert replies[0]["text"] == SIGNED_IN_TEXT
        assert any("HR" in text for text in texts_of(card_of(replies[-1])))
        assert len(microsoft.obo_requests) == 3  # the refused exchange, then a fresh one


async def test_sign_out_forgets_the_tokens(microsoft: FakeMicrosoft) -> None:
    """ "sign out" → the token service forgets the token; the next request asks to sign in."""
    async with sso_bed(microsoft) as bed:
        bed.tokens.tokens[(ABEL["id"], CONNECTION)] = bed.abel_token()
        assert ticket_rows(card_of((await bed.chat.say("show my tickets"))[-1]))
        replies = await bed.chat.say("sign out")
        assert replies[-1]["text"].startswith("You're signed out")
        assert ("SignOut", ABEL["id"]) in bed.tokens.calls
        oauth_card(await bed.chat.say("show my tickets"))


async def test_hybrid_mode_reads_metadata_with_the_service_account_only(
    microsoft: FakeMicrosoft,
) -> None:
    """Hybrid: the ticket form's categories (shared metadata) come through the integration
    account; everything about Abel's records goes as Abel."""
    async with sso_bed(microsoft, identity_mode="hybrid") as bed:
        bed.tokens.tokens[(ABEL["id"], CONNECTION)] = bed.abel_token()
        form = card_of((await bed.chat.say("my laptop won't boot, it's urgent"))[-1])
        created = card_of((await bed.chat.press(form_submit(form)))[-1])
        assert texts_of(created)[0].startswith("I've opened INC")
        served = [r for r in await bed.servicenow_requests() if r["path"].startswith("/api/now")]
        by_table = {(r["path"].split("/")[4], r["user"]) for r in served}
        assert ("sys_choice", "admin") in by_table
        assert {user for table, user in by_table if table != "sys_choice"} == {"abel.tuter"}


async def test_the_emulator_refuses_a_token_signed_by_another_key(
    microsoft: FakeMicrosoft,
) -> None:
    """An Entra-style token the emulator's OIDC provider did not sign gets a 401, and one it
    did sign acts as the user its claim names."""
    from tests.fakes.microsoft import _rsa_key

    async with sso_bed(microsoft) as bed:
        url = f"{bed.servicenow_url}/api/now/table/sys_user"
        params = {
            "sysparm_query": "sys_id=javascript:gs.getUserID()",
            "sysparm_fields": "user_name",
        }
        good = microsoft.callout_token(
            audience="api://servicenow-fake", email="abel.tuter@example.com"
        )
        forged = microsoft.callout_token(
            audience="api://servicenow-fake", email="abel.tuter@example.com", key=_rsa_key()
        )
        ok = await bed.http.get(url, params=params, headers={"Authorization": f"Bearer {good}"})
        assert ok.status_code == 200 and ok.json()["result"] == [{"user_name": "abel.tuter"}]
        refused = await bed.http.get(
            url, params=params, headers={"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401


async def test_an_expiring_servicenow_token_is_renewed_without_asking(
    microsoft: FakeMicrosoft,
) -> None:
    """ServiceNow tokens that live less than the renewal margin are exchanged again for each
    request, silently: the employee never sees a sign-in card."""
    async with sso_bed(microsoft) as bed:
        microsoft.obo_lifetime = 30  # below the one-minute margin: always due for renewal
        bed.tokens.tokens[(ABEL["id"], CONNECTION)] = bed.abel_token()
        for _ in range(2):
            replies = await bed.chat.say("show my tickets")
            assert ticket_rows(card_of(replies[-1]))
            assert not any(
                a.get("contentType") == OAUTH_CARD
                for r in replies
                for a in r.get("attachments") or []
            )
        assert len(microsoft.obo_requests) >= 2
