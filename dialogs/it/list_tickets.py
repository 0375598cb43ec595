"""My tickets: open ones by default, closed or all on request, five per page, each row opens it."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.common import filter_buttons, message_card
from cards.it import empty_list_text, ticket_list_card
from dialogs.answering import PAGE_SIZE, list_filter, list_offset
from dialogs.base import TopicOptions, send_card, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_LIST_TICKETS


class ListTickets(ITTopic):
    """One page of the user's IT tickets; the card's buttons page and switch the filter."""

    topic = IT_LIST_TICKETS
    action_verbs = IT_LIST_TICKETS.action_verbs

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        user = await self.employee(dc)
        which = list_filter(options)
        page = await it.list_tickets(
            self.deps.orchestrator, user, which, list_offset(options), PAGE_SIZE
        )
        if page.items:
            await send_card(dc.context, ticket_list_card(page, tz=user_zone(dc.context)))
            return True
        actions = [
            self.desk.create_button(),
            *filter_buttons(which, IT_LIST_TICKETS.action("page")),
        ]
        await send_card(dc.context, message_card(empty_list_text(which), actions))
        return True
