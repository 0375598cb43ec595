"""Sample records, and every card the bot can send built from them by the real builders.

The card tests, the layout test and the render check (`bench/render_cards.py`) read the same
samples, so a card added to `SAMPLE_CARDS` is schema-checked, layout-checked and rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from microsoft_teams.cards import AdaptiveCard

from cards import common, hr, it, notifications
from flows.models import (
    AttachmentInfo,
    CasePage,
    Choice,
    Comment,
    HRCase,
    HRService,
    Ticket,
    TicketPage,
)
from flows.notifications import ChangedRecord, Notice
from topics import BY_ID, HR_CREATE_CASE, IT_CREATE_TICKET, IT_LIST_TICKETS, IT_TICKET_DETAILS

WHEN = datetime(2025, 3, 12, 13, 5, tzinfo=UTC)
CATEGORIES = [Choice(value="hardware", label="Hardware"), Choice(value="network", label="Network")]
SERVICES = [
    HRService(sys_id="s-leave", name="Parental leave", coe="Workforce Administration"),
    HRService(sys_id="s-pay", name="Payslip question", coe="Payroll"),
    HRService(sys_id="s-ben", name="Health insurance", coe="Benefits"),
]


def ticket(number: str = "INC0010023", **changes: Any) -> Ticket:
    """An open, assigned IT ticket with a comment and a file; `changes` override fields."""
    values: dict[str, Any] = {
        "sys_id": "a" * 32,
        "number": number,
        "short_description": "Laptop won't boot",
        "description": "Black screen since this morning.",
        "state": "In Progress",
        "state_value": "2",
        "priority": "2 - High",
        "urgency": "1 - High",
        "urgency_value": "1",
        "urgency_name": "high",
        "category": "Hardware",
        "assignment_group": "Service Desk",
        "assigned_to": "Beth Anglin",
        "opened_at": WHEN,
        "updated_at": WHEN,
        "url": "https://contoso.service-now.com/incident.do?sys_id=" + "a" * 32,
        "latest_comment": Comment(author="Beth Anglin", created_at=WHEN, text="Please reboot."),
        "attachments": [AttachmentInfo(sys_id="b" * 32, file_name="screen.png")],
    }
    return Ticket.model_validate({**values, **changes})


def case(**changes: Any) -> HRCase:
    """An open HR case about a payslip; `changes` override fields."""
    fields: dict[str, Any] = {
        "sys_id": "c1",
        "number": "HRC0001001",
        "service": "Payslip question",
        "subject": "My payslip is wrong",
        "description": "March payslip misses my overtime.",
        "state": "Ready",
        "priority": "4 - Low",
        "opened_at": WHEN,
        "updated_at": WHEN,
        "url": "http://127.0.0.1:8080/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id=c1",
    }
    return HRCase.model_validate({**fields, **changes})


def case_page(items: int, total: int, offset: int = 0, filter: Any = "open") -> CasePage:
    """A page of `items` cases out of `total`."""
    cases = [case(sys_id=f"c{i}", number=f"HRC000{1000 + i}") for i in range(items)]
    return CasePage(items=cases, filter=filter, offset=offset, total=total, as_of=WHEN)


def _ticket_page(offset: int) -> TicketPage:
    items = [ticket("INC0010023"), ticket("INC0010024", short_description="VPN drops")]
    return TicketPage(items=items, offset=offset, total=12, as_of=WHEN)


def changed(desk: Any = "it", **changes: Any) -> ChangedRecord:
    """A record an agent just changed, owned by Abel; `changes` override fields."""
    number = "INC0010023" if desk == "it" else "HRC0001234"
    values: dict[str, Any] = {
        "sys_id": "0" * 32,
        "number": number,
        "title": "Laptop won't boot" if desk == "it" else "Payslip shows the wrong tax class",
        "state": "In Progress",
        "state_value": "2" if desk == "it" else "20",
        "owner_sys_id": "a" * 32,
        "owner_email": "abel.tuter@example.com",
        "owner_user_name": "abel.tuter",
        "owner_name": "Abel Tuter",
        "updated_at": WHEN,
        "updated_by": "itil.agent",
        "desk": desk,
        "url": f"https://example.service-now.com/incident.do?sys_id={'0' * 32}",
    }
    return ChangedRecord.model_validate(values | changes)


AGENT_COMMENT = Comment(author="Beth Agent", created_at=WHEN, text="Could you [restart](x) it?")


def _comment_on_case() -> HRCase:
    comment = Comment(author="Beth Anglin", created_at=WHEN, text="We are checking it.")
    return case(latest_comment=comment)


# Every card the bot sends, by a name the render check prints; the largest variant of each
# (most buttons, longest texts) so a layout problem shows.
SAMPLE_CARDS: dict[str, Callable[[], AdaptiveCard]] = {
    "welcome": lambda: common.welcome_card("Abel Tuter"),
    "help": lambda: common.help_card(),
    "disambiguation": lambda: common.disambiguation_card(
        [BY_ID["it.ticket_status"], BY_ID["it.ticket_details"], BY_ID["it.ticket_updates"]],
        {"number": "INC0010023"},
        "INC0010023",
    ),
    "switch_topic": lambda: common.switch_topic_card(
        HR_CREATE_CASE, IT_LIST_TICKETS, {}, "my tickets"
    ),
    "message": lambda: common.message_card(
        "INC0010023 is **In Progress**, with Beth Anglin.",
        [common.submit("Details", IT_TICKET_DETAILS.verb, number="INC0010023")],
    ),
    "team_intro": lambda: common.team_intro_card(),
    "someone_elses": lambda: common.someone_elses_card(),
    "comment_form": lambda: common.comment_form("INC0010023", "it.update_ticket.comment", "k"),
    "confirm_comment": lambda: common.confirm_comment_card(
        number="INC0010023",
        summary="Laptop won't boot",
        comment="It boots in safe mode [link](https://example.com)",
        verb="it.update_ticket.comment",
        comment_key="k",
    ),
    "picked_record": lambda: common.picked_record_card(
        number="INC0010023",
        summary="VPN drops **often**",
        word="vpn",
        others=["INC0010002", "INC0010019"],
        verb="it.ticket_status",
    ),
    "it.ticket_form": lambda: it.ticket_form_card(categories=CATEGORIES, draft={}, key="k1"),
    "it.ticket_form_retry": lambda: it.ticket_form_card(
        categories=CATEGORIES,
        draft={"short_description": "x", "urgency": "high", "category": "network"},
        key="k1",
        problems=["Please fill in short description."],
        retry=True,
        file_names=["screen.png"],
    ),
    "it.ticket": lambda: it.ticket_card(
        ticket(), tz="Europe/Berlin", notes=["screen.png is attached."]
    ),
    "it.ticket_details": lambda: it.ticket_details_card(ticket(), comment_key="k2", tz=None),
    "it.ticket_details_closed": lambda: it.ticket_details_card(
        ticket(active=False, latest_comment=None, attachments=[], description=""),
        comment_key="k",
        tz=None,
    ),
    "it.urgency_form": lambda: it.urgency_form(ticket()),
    "it.ticket_list": lambda: it.ticket_list_card(_ticket_page(offset=5), tz="Europe/Berlin"),
    "it.ticket_list_first": lambda: it.ticket_list_card(_ticket_page(offset=0), tz=None),
    "hr.case_form": lambda: hr.case_form_card(services=SERVICES, draft={}, key="k"),
    "hr.case_form_retry": lambda: hr.case_form_card(
        services=SERVICES,
        draft={"service_sys_id": "s-pay", "subject": "My payslip is wrong"},
        key="k",
        problems=["Subject is too long."],
        retry=True,
    ),
    "hr.case": lambda: hr.case_card(case(), tz="Europe/Berlin"),
    "hr.case_details": lambda: hr.case_details_card(_comment_on_case(), comment_key="k", tz=None),
    "hr.case_details_closed": lambda: hr.case_details_card(
        case(active=False, url=""), comment_key="k", tz=None
    ),
    "hr.case_list": lambda: hr.case_list_card(case_page(5, 12, offset=5), tz=None),
    "hr.case_list_empty": lambda: hr.case_list_card(case_page(0, 0, filter="closed"), tz=None),
    "hr.nothing_yet": lambda: common.message_card(
        "You have no HR cases yet.", [common.submit(HR_CREATE_CASE.title, HR_CREATE_CASE.verb)]
    ),
    "notification.comment": lambda: notifications.record_changed_card(
        Notice("comment", changed(), AGENT_COMMENT)
    ),
    "notification.question": lambda: notifications.record_changed_card(
        Notice("question", changed(state="On Hold", state_value="3"), AGENT_COMMENT)
    ),
    "notification.hr_resolved": lambda: notifications.record_changed_card(
        Notice("resolved", changed("hr", state="Closed Complete", state_value="3"))
    ),
    "it.empty_list": lambda: common.message_card(
        it.empty_list_text("open"),
        [
            common.submit(IT_CREATE_TICKET.title, IT_CREATE_TICKET.verb),
            *common.filter_buttons("open", IT_LIST_TICKETS.action("page")),
        ],
    ),
}
