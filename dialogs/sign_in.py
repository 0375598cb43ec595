"""Signing in to ServiceNow with the employee's own identity (Teams SSO, else a sign-in card).

`SignInDialog` wraps botbuilder's `OAuthPrompt` on the configured OAuth connection. It keeps the
request that needed the sign-in (the activity's text and card data); once a token arrives —
silently by `signin/tokenExchange`, by the sign-in button (`signin/verifyState`) or by a
six-digit magic code typed in the chat — the router routes that request again. When silent
sign-in fails, Teams shows the card's sign-in button: the person is never left without a way on.
"""

from __future__ import annotations

from typing import Any, Protocol

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import OAuthPrompt, OAuthPromptSettings, PromptOptions

from dialogs.base import SIGNED_IN_RESULT
from i18n import N_, _

# turn_state keys the host (bot/sso.py) fills each turn.
SIGNED_IN = "snowdesk.signed_in"
SSO_CLAIMS = "snowdesk.sso_claims"
# The request to route again once signed in (set by the sign-in dialog or a topic).
RESUME = "snowdesk.resume"
SIGN_IN_TITLE = N_("Sign in")
SIGN_IN_TEXT = N_("Please sign in so I can work in ServiceNow as you.")
SIGNED_IN_TEXT = N_("Thanks, you're signed in.")
NOT_SIGNED_IN = N_(
    "I couldn't sign you in, so I haven't sent anything to ServiceNow. "
    "Ask me again when you're ready to sign in."
)
PROMPT_TIMEOUT_MS = 15 * 60 * 1000


class EmployeeSignIn(Protocol):
    """What the host does with a sign-in (bot/sso.py: EmployeeIdentity)."""

    connection_name: str

    def adopt(self, context: TurnContext, token: str) -> None:
        """The rest of the turn acts as the owner of `token`."""

    async def sign_out(self, context: TurnContext) -> None:
        """Forget the person's tokens."""


def kept_request(context: TurnContext) -> dict[str, Any]:
    """What the person asked for in this turn, to be asked again after sign-in."""
    activity = context.activity
    value = activity.value if isinstance(activity.value, dict) else None
    return {"text": activity.text or "", "value": value}


def is_signed_in(context: TurnContext) -> bool:
    """True when this turn carries the employee's identity (always, in service mode)."""
    return bool(context.turn_state.get(SIGNED_IN, True))


class SignInDialog(ComponentDialog):
    """OAuthPrompt, then the kept request is handed back to the router (`RESUME`)."""

    def __init__(self, identity: EmployeeSignIn) -> None:
        super().__init__(SignInDialog.__name__)
        self.identity = identity
        self.add_dialog(
            OAuthPrompt(
                OAuthPrompt.__name__,
                OAuthPromptSettings(
                    connection_name=identity.connection_name,
                    title=SIGN_IN_TITLE,
                    text=SIGN_IN_TEXT,
                    timeout=PROMPT_TIMEOUT_MS,
                ),
            )
        )
        self.add_dialog(WaterfallDialog("signIn", [self.ask, self.signed_in]))
        self.initial_dialog_id = "signIn"

    async def ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["kept"] = step.options if isinstance(step.options, dict) else {}
        prompt = MessageFactory.text(_(SIGN_IN_TEXT))
        return await step.prompt(OAuthPrompt.__name__, PromptOptions(prompt=prompt))

    async def signed_in(self, step: WaterfallStepContext) -> DialogTurnResult:
        token = getattr(step.result, "token", None)
        if not token:
            await step.context.send_activity(_(NOT_SIGNED_IN))
            return await step.end_dialog(None)
        self.identity.adopt(step.context, str(token))
        await step.context.send_activity(_(SIGNED_IN_TEXT))
        step.context.turn_state[RESUME] = step.values.get("kept") or {}
        return await step.end_dialog(SIGNED_IN_RESULT)
