"""Ticket status: "what's the status of INC0010023?" / "status of my ticket" → one line + Details."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.it import ticket_status_card
from dialogs.base import TopicOptions, send_card, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_TICKET_STATUS


class TicketStatus(ITTopic):
    """One sentence about the named ticket (or the user's latest): state, holder, last update."""

    topic = IT_TICKET_STATUS

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        ticket = await self.read(dc, it.get_ticket_status, options)
        await send_card(dc.context, ticket_status_card(ticket, tz=user_zone(dc.context)))
        return True
