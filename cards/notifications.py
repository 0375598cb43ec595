"""The proactive card an employee gets when one of their tickets or cases changes.

Short on purpose (a notification, not the record): what happened, the record's number and
subject, and three buttons: Details (the desk's details topic), Stop updates (the desk's updates
topic's `mute` action) and Open in ServiceNow.
"""

from __future__ import annotations

from microsoft_teams.cards import AdaptiveCard, CardElement, TextBlock

from cards.common import new_card, open_in_servicenow, strong, submit, subtle, user_text
from flows.notifications import Notice
from topics import HR_CASE_DETAILS, HR_CASE_UPDATES, IT_TICKET_DETAILS, IT_TICKET_UPDATES

STOP_UPDATES = "Stop updates"
MUTED = "OK, I won't send you updates about {number} any more. Ask me for its updates whenever you like."


def headline(notice: Notice) -> str:
    """One sentence: what happened (also the text of the proactive message)."""
    record = notice.record
    noun = "ticket" if record.desk == "it" else "HR case"
    number = record.number
    match notice.kind:
        case "question":
            return f"Your {noun} {number} needs your answer."
        case "resolved":
            return f"Your {noun} {number} is {record.state.lower() or 'resolved'}."
        case "comment":
            author = notice.comment.author if notice.comment else "Someone"
            return f"{author} commented on your {noun} {number}."
        case _:
            return f"Your {noun} {number} is now {record.state or 'updated'}."


def record_changed_card(notice: Notice) -> AdaptiveCard:
    """The notification card: headline, subject, the new comment if any, and the buttons."""
    record = notice.record
    body: list[CardElement] = [TextBlock(text=headline(notice), wrap=True, weight="Bolder")]
    body.append(user_text(strong(record.number), " · ", record.title or " "))
    if notice.comment is not None:
        body.append(user_text(subtle(f"{notice.comment.author}: "), notice.comment.text))
    if notice.kind == "question":
        body.append(
            TextBlock(text="Reply with “update my ticket” or open it to answer.", wrap=True)
            if record.desk == "it"
            else TextBlock(text="Open the case to answer HR.", wrap=True)
        )
    details, updates = (
        (IT_TICKET_DETAILS, IT_TICKET_UPDATES)
        if record.desk == "it"
        else (HR_CASE_DETAILS, HR_CASE_UPDATES)
    )
    actions = [
        submit("Details", details.verb, number=record.number),
        submit(STOP_UPDATES, updates.action("mute"), number=record.number),
        *open_in_servicenow(record.url),
    ]
    return new_card(body, actions)


def muted_text(number: str) -> str:
    """The answer to Stop updates."""
    return MUTED.format(number=number)
