"""What an employee reads about their access request (plain text: one sentence each), and the
work note the assignment group gets before Entra's 14-day limit."""

from __future__ import annotations

from i18n import _


def waiting_text(package: str, ticket: str) -> str:
    """The request was approved; IT provisions it by hand through this ticket."""
    return _("Your access to {package} is waiting on {ticket}.").format(
        package=package, ticket=ticket
    )


def granted_text(package: str) -> str:
    """The ticket was resolved or closed and Entra completed the assignment."""
    return _("Your access to {package} is granted.").format(package=package)


def declined_text(package: str) -> str:
    """The ticket was cancelled: Entra was told to deny the request."""
    return _("Your request for {package} was declined.").format(package=package)


def still_waiting_text(package: str, ticket: str, days: float) -> str:
    """The warning to the employee when the ticket is still open after the warning delay."""
    return _(
        "Your access to {package} is still waiting on {ticket} after {days} days; "
        "IT has been reminded."
    ).format(package=package, ticket=ticket, days=f"{days:g}")


def overdue_note(package: str, days: float) -> str:
    """The work note for the assignment group: Entra gives up after 14 days."""
    return (
        f"This access request ({package}) has been open for {days:g} days. Microsoft Entra "
        "entitlement management stops waiting after 14 days and the employee's assignment "
        "fails: please provision the access and resolve this ticket, or cancel it to decline."
    )
