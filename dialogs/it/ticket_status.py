"""Ticket status: "what's the status of INC0010023?" / "status of my ticket" → one line + Details."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.common import message_card, submit
from cards.it import status_line
from dialogs.base import TopicOptions, record_number, send_card, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_TICKET_DETAILS, IT_TICKET_STATUS


class TicketStatus(ITTopic):
    """One sentence about the named ticket (or the user's latest): state, holder, last update."""

    topic = IT_TICKET_STATUS

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        ticket = await self.read(dc, it.get_ticket_status, record_number(options))
        line = status_line(ticket, user_zone(dc.context))
        await send_card(
            dc.context,
            message_card(line, [submit("Details", IT_TICKET_DETAILS.verb, number=ticket.number)]),
        )
        return True
