"""Case details: "show my HR case" → the latest one; "details of HRC0001234" → that one, if theirs.

The details card's "Add a comment" sends `hr.case_details.comment` with the case number, the
comment and a per-card key; the comment is added once, however often it is delivered.
"""

from __future__ import annotations

import secrets

from botbuilder.dialogs import DialogContext

from cards.common import SUMMARY_VIEW
from cards.hr import case_card, case_details_card
from dialogs.base import TopicOptions, plain, record_number, send_card, user_zone
from dialogs.hr._common import COMMENT_VERB, CommentingHRTopic
from flows import hr
from topics import HR_CASE_DETAILS


class CaseDetails(CommentingHRTopic):
    """Show one of the user's HR cases; add a comment to it from its card."""

    topic = HR_CASE_DETAILS
    action_verbs = HR_CASE_DETAILS.action_verbs

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        if options.verb == COMMENT_VERB:
            await self.add_comment(dc, options, plain(options.data, "comment"))
        elif options.entities.get("comment") and not options.verb:
            await self.confirm_typed_comment(dc, options)
        else:
            await self._show(dc, options)
        return True

    async def refresh(self, dc: DialogContext, options: TopicOptions) -> None:
        """The case's card (the one that was opened, or its details) as the case is now."""
        number = record_number(options)
        if number is None:
            return
        user = await self.employee(dc)
        case = await hr.get_case_details(self.deps.orchestrator, user, number)
        tz = user_zone(dc.context)
        if plain(options.data, "view") == SUMMARY_VIEW:
            card = case_card(case, tz=tz)
        else:
            card = case_details_card(case, comment_key=secrets.token_hex(8), tz=tz)
        await send_card(dc.context, card)

    async def _show(self, dc: DialogContext, options: TopicOptions) -> None:
        case = await self.read(dc, hr.get_case_details, options)
        card = case_details_card(case, comment_key=secrets.token_hex(8), tz=user_zone(dc.context))
        await send_card(dc.context, card)
