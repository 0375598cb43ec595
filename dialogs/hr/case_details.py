"""Case details: "show my HR case" → the latest one; "details of HRC0001234" → that one, if theirs.

The details card's "Add a comment" sends `hr.case_details.comment` with the case number, the
comment and a per-card key; the comment is added once, however often it is delivered.
"""

from __future__ import annotations

import secrets

from botbuilder.dialogs import DialogContext

from cards.common import COMMENT_MAX
from cards.hr import case_details_card
from dialogs.base import TopicOptions, plain, record_number, send_card, user_zone
from dialogs.forms import clean_text, comment_key
from dialogs.hr._common import HRTopic
from flows import hr
from i18n import N_, _
from topics import HR_CASE_DETAILS

ASK_FOR_NUMBER = N_("Which HR case should I add the comment to? Please tell me its number.")


class CaseDetails(HRTopic):
    """Show one of the user's HR cases; add a comment to it from its card."""

    topic = HR_CASE_DETAILS

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        if options.verb == HR_CASE_DETAILS.action("comment") or (
            options.entities.get("comment") and record_number(options)
        ):
            await self._add_comment(dc, options)
        else:
            await self._show(dc, record_number(options))
        return True

    async def _show(self, dc: DialogContext, number: str | None) -> None:
        case = await self.read(dc, hr.get_case_details, number)
        card = case_details_card(case, comment_key=secrets.token_hex(8), tz=user_zone(dc.context))
        await send_card(dc.context, card)

    async def _add_comment(self, dc: DialogContext, options: TopicOptions) -> None:
        number = record_number(options)
        if number is None:
            await dc.context.send_activity(_(ASK_FOR_NUMBER))
            return
        raw = plain(options.data, "comment") or options.entities.get("comment", "")
        try:
            text = clean_text(raw, field=N_("Your comment"), max_length=COMMENT_MAX, required=True)
        except ValueError as problem:
            await dc.context.send_activity(str(problem))
            return
        await self.show_typing(dc.context)
        user = await self.employee(dc)
        key = comment_key(
            plain(options.data, "comment_key") or dc.context.activity.id, number, text
        )
        case = await hr.add_case_comment(self.deps.orchestrator, user, number, text, key)
        await dc.context.send_activity(
            _("Thanks, I've added your comment to {number}.").format(number=case.number)
        )
        card = case_details_card(case, comment_key=secrets.token_hex(8), tz=user_zone(dc.context))
        await send_card(dc.context, card)
