"""What an employee reads about their access request (plain text: one sentence each), and the
work note the assignment group gets before Entra's 14-day limit."""

from __future__ import annotations


def waiting_text(package: str, ticket: str) -> str:
    """The request was approved; IT provisions it by hand through this ticket."""
    return f"Your access to {package} is waiting on {ticket}."


def granted_text(package: str) -> str:
    """The ticket was resolved or closed and Entra completed the assignment."""
    return f"Your access to {package} is granted."


def declined_text(package: str) -> str:
    """The ticket was cancelled: Entra was told to deny the request."""
    return f"Your request for {package} was declined."


def still_waiting_text(package: str, ticket: str, days: float) -> str:
    """The warning to the employee when the ticket is still open after the warning delay."""
    return (
        f"Your access to {package} is still waiting on {ticket} after {days:g} days; "
        "IT has been reminded."
    )


def overdue_note(package: str, days: float) -> str:
    """The work note for the assignment group: Entra gives up after 14 days."""
    return (
        f"This access request ({package}) has been open for {days:g} days. Microsoft Entra "
        "entitlement management stops waiting after 14 days and the employee's assignment "
        "fails: please provision the access and resolve this ticket, or cancel it to decline."
    )
