"""Ticket details: "show INC0010023" / "details of my ticket" → the details card with its actions."""

from __future__ import annotations

import secrets

from botbuilder.dialogs import DialogContext

from cards.common import SUMMARY_VIEW
from cards.it import ticket_card, ticket_details_card
from dialogs.base import TopicOptions, plain, record_number, send_card, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_TICKET_DETAILS


class TicketDetails(ITTopic):
    """The details card of the named ticket (or the user's latest)."""

    topic = IT_TICKET_DETAILS
    action_verbs = IT_TICKET_DETAILS.action_verbs

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        ticket = await self.read(dc, it.get_ticket_details, options)
        card = ticket_details_card(
            ticket, comment_key=secrets.token_hex(8), tz=user_zone(dc.context)
        )
        await send_card(dc.context, card)
        return True

    async def refresh(self, dc: DialogContext, options: TopicOptions) -> None:
        """The ticket's card (the one that was opened, or its details) as the ticket is now:
        a closed ticket's details lose the buttons that would change it."""
        number = record_number(options)
        if number is None:
            return
        user = await self.employee(dc)
        ticket = await it.get_ticket_details(self.deps.orchestrator, user, number)
        tz = user_zone(dc.context)
        if plain(options.data, "view") == SUMMARY_VIEW:
            card = ticket_card(ticket, tz=tz)
        else:
            card = ticket_details_card(ticket, comment_key=secrets.token_hex(8), tz=tz)
        await send_card(dc.context, card)
