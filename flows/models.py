"""Typed results of the system handlers: what topics and card builders receive.

These models are the contract between `flows/` and `dialogs/` + `cards/`. Field names follow the
template configurations' `OutputName`s in snake_case. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ListFilter = Literal["open", "closed", "all"]
Urgency = Literal["high", "medium", "low"]


class Employee(BaseModel):
    """The ServiceNow `sys_user` a Teams user or Emulator tester acts as."""

    sys_id: str
    user_name: str = ""
    email: str = ""
    name: str = ""
    time_zone: str = ""
    department_sys_id: str = ""


class Choice(BaseModel):
    """One choice of a choice field (`sys_choice`): the stored value and the label users see."""

    value: str
    label: str


class Comment(BaseModel):
    """A customer-visible journal entry (`comments`); work notes never become one."""

    author: str
    created_at: datetime
    text: str


class AttachmentInfo(BaseModel):
    """A file attached to a record."""

    sys_id: str
    file_name: str
    content_type: str = ""
    size_bytes: int = 0


class HRService(BaseModel):
    """An HR service the employee may open a case for, with its centre of excellence."""

    sys_id: str
    name: str
    coe: str
    topic_category: str = ""
    description: str = ""


class HRCaseDraft(BaseModel):
    """What the employee typed into the create-case form (kept in state until created)."""

    service_sys_id: str = ""
    subject: str = ""
    description: str = ""


class ServiceRecord(BaseModel):
    """What HR cases and IT tickets share, as an employee sees them."""

    sys_id: str
    number: str
    description: str = ""
    state: str = ""
    state_value: str = ""
    priority: str = ""
    assigned_to: str = ""
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    active: bool = True
    url: str = ""
    latest_comment: Comment | None = None

    @property
    def summary(self) -> str:
        """The record's one line, as the employee wrote it (a case's subject, a ticket's
        short description)."""
        return ""


class HRCase(ServiceRecord):
    """An HR case (`sn_hr_core_case`) as an employee sees it."""

    service: str = ""
    subject: str = ""

    @property
    def summary(self) -> str:
        return self.subject


class TicketDraft(BaseModel):
    """What the employee typed into the create-ticket form (kept in state until created)."""

    short_description: str = ""
    description: str = ""
    urgency: Urgency = "medium"
    category: str = ""


class Ticket(ServiceRecord):
    """An IT ticket (`incident`) as an employee sees it."""

    short_description: str = ""
    urgency: str = ""
    urgency_value: str = ""
    # The bot's word for urgency_value, as the update template maps it ("medium" when unmapped).
    urgency_name: Urgency = "medium"
    category: str = ""
    assignment_group: str = ""
    attachments: list[AttachmentInfo] = Field(default_factory=list)

    @property
    def summary(self) -> str:
        return self.short_description


class RecordUpdates(BaseModel):
    """What changed last on a case or ticket, and its latest customer-visible comments."""

    number: str
    sys_id: str = ""
    state: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""
    comments: list[Comment] = Field(default_factory=list)


class Page(BaseModel):
    """Where a page of the employee's records sits in the whole list, and when it was read."""

    filter: ListFilter = "open"
    offset: int = 0
    page_size: int = 5
    total: int = 0
    as_of: datetime

    @property
    def has_next(self) -> bool:
        return self.offset + self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


class CasePage(Page):
    """One page of the employee's HR cases."""

    items: list[HRCase]


class TicketPage(Page):
    """One page of the employee's IT tickets (cached per user; `as_of` says when read)."""

    items: list[Ticket]
