"""The "sign out" topic: forget the employee's tokens; the next request asks them to sign in."""

from __future__ import annotations

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.sign_in import EmployeeSignIn
from i18n import N_, _

SIGNED_OUT = N_("You're signed out. I'll ask you to sign in again next time I need ServiceNow.")
NOTHING_TO_SIGN_OUT = N_(
    "I use Snowdesk's own ServiceNow account here, so there's nothing to sign out of."
)


class SignOutDialog(Dialog):
    """One turn: the token service forgets the person's token, Snowdesk its ServiceNow token."""

    def __init__(self, identity: EmployeeSignIn | None) -> None:
        super().__init__(SignOutDialog.__name__)
        self.identity = identity

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        if self.identity is None:
            await dialog_context.context.send_activity(_(NOTHING_TO_SIGN_OUT))
        else:
            await self.identity.sign_out(dialog_context.context)
            await dialog_context.context.send_activity(_(SIGNED_OUT))
        return await dialog_context.end_dialog()
