"""Teams single sign-on: the employee's own token for the turn, and duplicate exchanges answered once.

- `SsoTokenExchange` is botbuilder's `TeamsSSOTokenExchangeMiddleware` with a real dedupe: the
  first `signin/tokenExchange` invoke of one sign-in (`value.id`) claims it through the bot's
  `ClaimStore` (atomic on memory, SQLite and Redis), every later one is answered 200 and
  dropped. A token that cannot be exchanged (consent needed) is answered 412, so Teams shows the
  sign-in button instead (the OAuth card stays; never a dead end).
- `EmployeeIdentity` gives each turn its identity in modes `user` and `hybrid`: the employee's
  token from the Bot Framework token service (it caches and refreshes it) is bound to the
  on-behalf-of provider for the turn's ServiceNow calls (`servicenow.auth.acting_auth`); a
  person who is not signed in acts as `NotSignedIn`, so no call falls back to the service
  account. Tokens never reach a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import jwt
from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, SignInConstants, TokenExchangeInvokeResponse
from botframework.connector.auth.user_token_client import UserTokenClient
from botframework.connector.token_api.models import TokenExchangeRequest

from bot.storage import ClaimStore
from dialogs.sign_in import SIGNED_IN, SSO_CLAIMS
from servicenow.auth import NotSignedIn, OnBehalfOf, acting_auth

log = logging.getLogger(__name__)

EXCHANGE_CLAIM_TTL_S = 3600.0
CANNOT_EXCHANGE = "The bot is unable to exchange token. Proceed with regular login."


def _token_client(context: TurnContext) -> UserTokenClient | None:
    client = context.turn_state.get(UserTokenClient.__name__)
    return client if isinstance(client, UserTokenClient) else None


class SsoTokenExchange(Middleware):
    """Exchange a Teams SSO token once per sign-in, whatever the storage back end."""

    def __init__(self, claims: ClaimStore, connection_name: str) -> None:
        self._claims = claims
        self._connection = connection_name

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.name != SignInConstants.token_exchange_operation_name or activity.type != (
            ActivityTypes.invoke
        ):
            await logic()
            return
        value: dict[str, Any] = activity.value if isinstance(activity.value, dict) else {}
        exchange_id = str(value.get("id") or "")
        if not await self._exchanges(context, value):
            await _invoke_response(
                context,
                HTTPStatus.PRECONDITION_FAILED,
                TokenExchangeInvokeResponse(
                    id=exchange_id, connection_name=self._connection, failure_detail=CANNOT_EXCHANGE
                ),
            )
            return
        conversation = activity.conversation.id if activity.conversation else ""
        key = f"sso-exchange/{activity.channel_id}/{conversation}/{exchange_id}"
        if not await self._claims.claim(key, EXCHANGE_CLAIM_TTL_S):
            # Another Teams client of the same person sent this sign-in: it is answered there.
            log.info("sso.exchange_duplicate", extra={"conversation_id": conversation})
            await _invoke_response(context, HTTPStatus.OK)
            return
        await logic()

    async def _exchanges(self, context: TurnContext, value: dict[str, Any]) -> bool:
        client = _token_client(context)
        sender = context.activity.from_property
        if client is None or sender is None or not value.get("token"):
            return False
        try:
            response = await client.exchange_token(
                sender.id,
                str(value.get("connectionName") or self._connection),
                context.activity.channel_id,
                TokenExchangeRequest(token=str(value["token"])),
            )
        except Exception as error:  # the token service refused or is down: sign in by hand
            log.warning("sso.exchange_failed", extra={"error_type": type(error).__name__})
            return False
        return bool(getattr(response, "token", None))


async def _invoke_response(context: TurnContext, status: int, body: object = None) -> None:
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )


class EmployeeIdentity:
    """Which identity one turn's ServiceNow calls carry (modes `user` and `hybrid`)."""

    def __init__(self, connection_name: str, obo: OnBehalfOf) -> None:
        self.connection_name = connection_name
        self._obo = obo

    async def begin_turn(self, context: TurnContext) -> None:
        """Bind the employee's token when the token service has one; else `NotSignedIn`."""
        acting_auth.set(NotSignedIn())
        context.turn_state[SIGNED_IN] = False
        client, sender = _token_client(context), context.activity.from_property
        if client is None or sender is None or not self.connection_name:
            return
        try:
            response = await client.get_user_token(
                sender.id, self.connection_name, context.activity.channel_id, None
            )
        except Exception as error:  # token service away: the person is asked to sign in
            log.warning("sso.token_unavailable", extra={"error_type": type(error).__name__})
            return
        if response is not None and getattr(response, "token", None):
            self.adopt(context, str(response.token))

    def adopt(self, context: TurnContext, token: str) -> None:
        """The turn acts as the owner of `token` from now on (after sign-in, too)."""
        claims = _claims(token)
        user_key = str(claims.get("oid") or claims.get("sub") or "")
        if not user_key:
            log.warning("sso.token_without_subject")
            return
        acting_auth.set(self._obo.for_employee(user_key, token))
        context.turn_state[SIGNED_IN] = True
        context.turn_state[SSO_CLAIMS] = claims

    async def sign_out(self, context: TurnContext) -> None:
        """Forget the employee's tokens: the token service's and the cached ServiceNow one."""
        claims = context.turn_state.get(SSO_CLAIMS) or {}
        user_key = str(claims.get("oid") or claims.get("sub") or "")
        if user_key:
            self._obo.forget(user_key)
        client, sender = _token_client(context), context.activity.from_property
        if client is not None and sender is not None:
            await client.sign_out_user(sender.id, self.connection_name, context.activity.channel_id)
        acting_auth.set(NotSignedIn())
        context.turn_state[SIGNED_IN] = False
        context.turn_state.pop(SSO_CLAIMS, None)


def _claims(token: str) -> dict[str, Any]:
    """The SSO token's claims. Not verified here: it came from the Bot Framework token service
    over its authenticated channel, and Entra verifies it again in the on-behalf-of exchange."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims
