"""Ticket details: "show INC0010023" / "details of my ticket" → the details card with its actions."""

from __future__ import annotations

import secrets

from botbuilder.dialogs import DialogContext

from cards.it import ticket_details_card
from dialogs.base import TopicOptions, send_card, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_TICKET_DETAILS


class TicketDetails(ITTopic):
    """The details card of the named ticket (or the user's latest)."""

    topic = IT_TICKET_DETAILS

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        ticket = await self.read(dc, it.get_ticket_details, options)
        card = ticket_details_card(
            ticket, comment_key=secrets.token_hex(8), tz=user_zone(dc.context)
        )
        await send_card(dc.context, card)
        return True
