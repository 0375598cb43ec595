"""Every topic's dialog, built with the dependencies the composition root gives.

The topics themselves are declared in `topics`; this is the one list of their dialog classes,
and `MainDialog` refuses to start when a declared desk topic has none.
"""

from __future__ import annotations

from dialogs.base import TopicDeps, TopicDialog
from dialogs.hr.case_details import CaseDetails
from dialogs.hr.case_updates import CaseUpdates
from dialogs.hr.create_case import CreateCase
from dialogs.hr.list_cases import ListCases
from dialogs.it.create_ticket import CreateTicket
from dialogs.it.list_tickets import ListTickets
from dialogs.it.ticket_details import TicketDetails
from dialogs.it.ticket_status import TicketStatus
from dialogs.it.ticket_updates import TicketUpdates
from dialogs.it.update_ticket import UpdateTicket

DIALOGS: tuple[type[TopicDialog], ...] = (
    CreateTicket,
    TicketStatus,
    TicketDetails,
    ListTickets,
    UpdateTicket,
    TicketUpdates,
    CreateCase,
    CaseDetails,
    CaseUpdates,
    ListCases,
)


def build_topics(deps: TopicDeps) -> list[TopicDialog]:
    """One dialog per declared desk topic; the router maps each `topic_id` to its dialog."""
    return [dialog(deps) for dialog in DIALOGS]
