"""Every topic the router can start, built with the dependencies the composition root gives."""

from __future__ import annotations

from dialogs.base import TopicDeps, TopicDialog
from dialogs.hr import CaseDetails, CaseUpdates, CreateCase, ListCases
from dialogs.it.create_ticket import CreateTicket
from dialogs.it.list_tickets import ListTickets
from dialogs.it.ticket_details import TicketDetails
from dialogs.it.ticket_status import TicketStatus
from dialogs.it.ticket_updates import TicketUpdates
from dialogs.it.update_ticket import UpdateTicket


def build_topics(deps: TopicDeps) -> list[TopicDialog]:
    """One dialog per topic; the router maps each `topic_id` to its dialog."""
    return [
        CreateTicket(deps),
        TicketStatus(deps),
        TicketDetails(deps),
        ListTickets(deps),
        UpdateTicket(deps),
        TicketUpdates(deps),
        CreateCase(deps),
        CaseDetails(deps),
        CaseUpdates(deps),
        ListCases(deps),
    ]
