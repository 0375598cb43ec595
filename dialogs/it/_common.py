"""The IT desk's words: what IT topics say when a ticket is not there."""

from __future__ import annotations

from dialogs.answering import AnsweringTopic, Desk
from flows import it
from i18n import N_
from topics import IT_CREATE_TICKET

NOT_FOUND = N_(
    "I can't find that ticket. Please check the number: I can only show tickets you opened."
)
NO_TICKETS = N_("You don't have any IT tickets yet. Would you like to report a problem?")
IT_DESK = Desk(
    not_found=NOT_FOUND,
    nothing_yet=NO_TICKETS,
    create=IT_CREATE_TICKET,
    not_a_number=N_("“{typed}” isn't a ticket number: ticket numbers look like INC0010023."),
    records=it.list_tickets,
)


class ITTopic(AnsweringTopic):
    """An IT topic that answers in one turn, or waits for the user when `answer` returns False."""

    desk = IT_DESK
