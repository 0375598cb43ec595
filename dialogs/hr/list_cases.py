"""My cases: open ones by default, closed or all on request, five per page, each row opens it."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.hr import case_list_card
from dialogs.answering import PAGE_SIZE, list_filter, list_offset
from dialogs.base import TopicOptions, send_card, user_zone
from dialogs.hr._common import HRTopic
from flows import hr
from topics import HR_LIST_CASES


class ListCases(HRTopic):
    """One page of the user's HR cases; the card's buttons page and switch the filter."""

    topic = HR_LIST_CASES
    action_verbs = HR_LIST_CASES.action_verbs

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        user = await self.employee(dc)
        page = await hr.list_cases(
            self.deps.orchestrator, user, list_filter(options), list_offset(options), PAGE_SIZE
        )
        await send_card(dc.context, case_list_card(page, tz=user_zone(dc.context)))
        return True
