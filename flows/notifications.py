"""Notifications system handlers: which records changed, and what an employee should hear.

Both sources of record changes (the signed webhook a ServiceNow business rule calls, and the
poller) read the record back through one template per desk (`ITSM.GetChangedTickets`,
`HRSD.GetChangedCases`): the webhook by sys_id, the poller by a watermark. Nothing a webhook
body says about the owner or the text is trusted; the record is what ServiceNow answers.

`notice_for` compares the record with what was last seen of it (`Seen`) and decides whether
its owner hears about it: a customer-visible comment by someone else, a state change, a
resolution, or a question for them ("awaiting caller"). Work notes never notify; neither does
a change the owner made themselves (or that Snowdesk made for them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from flows.models import Comment
from flows.orchestrator import Orchestrator
from flows.records import row_to_model

Desk = Literal["it", "hr"]
NoticeKind = Literal["question", "resolved", "comment", "state"]
SCENARIOS: dict[Desk, str] = {"it": "ITSM.GetChangedTickets", "hr": "HRSD.GetChangedCases"}
# States whose change means "your request is done" (incident 6/7, HR closed complete).
_RESOLVED: dict[Desk, frozenset[str]] = {"it": frozenset({"6", "7"}), "hr": frozenset({"3"})}
# Incident "On Hold" with reason "Awaiting Caller"; HR "Awaiting Acceptance" (the employee).
_INCIDENT_ON_HOLD, _AWAITING_CALLER = "3", "1"
_HR_AWAITING_EMPLOYEE = "18"


class ChangedRecord(BaseModel):
    """A ticket or case as the notifications see it: its owner, state and latest comment."""

    sys_id: str
    number: str
    title: str = ""
    state: str = ""
    state_value: str = ""
    hold_reason_value: str = ""
    owner_sys_id: str = ""
    owner_email: str = ""
    owner_user_name: str = ""
    owner_name: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""
    active: bool = True
    latest_comment: Comment | None = None
    desk: Desk = "it"
    url: str = ""


@dataclass(frozen=True)
class Seen:
    """What was last seen of a record: enough to tell a new comment or state from an old one."""

    state_value: str
    comment_key: str
    updated_at: str

    @classmethod
    def of(cls, record: ChangedRecord) -> Seen:
        """What `record` looks like now."""
        return cls(record.state_value, comment_key(record.latest_comment), _stamp(record))


@dataclass(frozen=True)
class Notice:
    """What one employee is told about one change of one of their records."""

    kind: NoticeKind
    record: ChangedRecord
    comment: Comment | None = None


def comment_key(comment: Comment | None) -> str:
    """A short fingerprint of a comment (its time, author and text), "" for none."""
    if comment is None:
        return ""
    raw = f"{comment.created_at.isoformat()}|{comment.author}|{comment.text}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _stamp(record: ChangedRecord) -> str:
    return servicenow_time(record.updated_at) if record.updated_at else ""


def servicenow_time(moment: datetime) -> str:
    """A moment as ServiceNow compares datetimes in queries: UTC, `YYYY-MM-DD HH:MM:SS`."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


def record_url(orch: Orchestrator, desk: Desk, sys_id: str) -> str:
    """The record's page: the incident form, or the HR case in the employee portal (as the
    ticket and case cards link them)."""
    if desk == "it":
        return f"{orch.instance_url}/incident.do?sys_id={sys_id}"
    return f"{orch.instance_url}/esc?id=hrm_ticket_page&table=sn_hr_core_case&sys_id={sys_id}"


async def get_changed_records(
    orch: Orchestrator, desk: Desk, since: datetime, limit: int
) -> list[ChangedRecord]:
    """At most `limit` records of one desk changed at or after `since`, oldest change first."""
    variables = {"Since": servicenow_time(since)}
    result = await orch.run(SCENARIOS[desk], variables, None, limit=max(limit, 2))
    return [_record(orch, desk, row) for row in result.rows[:limit]]


async def get_changed_record(orch: Orchestrator, desk: Desk, sys_id: str) -> ChangedRecord | None:
    """One record by sys_id (a webhook event), or None when it is not there."""
    result = await orch.run(SCENARIOS[desk], {"SysId": sys_id}, None, limit=2)
    return _record(orch, desk, result.rows[0]) if result.rows else None


def _record(orch: Orchestrator, desk: Desk, row: dict[str, object]) -> ChangedRecord:
    sys_id = str(row.get("sys_id", ""))
    return row_to_model(ChangedRecord, row, desk=desk, url=record_url(orch, desk, sys_id))


def notice_for(
    record: ChangedRecord,
    seen: Seen | None,
    *,
    since: datetime,
    by_bot: Collection[str] = (),
    changed: Collection[str] = (),
) -> Notice | None:
    """What the owner should hear of this change, or None.

    `seen` is what was last seen of the record (None: never seen, then only a comment written
    at or after `since` counts as new, and a state only when it asks or resolves). `by_bot`:
    the ServiceNow user names Snowdesk writes with; their changes were the employee's own.
    `changed`: the fields a webhook event says changed (a hint for a record never seen).
    """
    if not record.owner_sys_id:
        return None
    if record.updated_by and record.updated_by in {record.owner_user_name, *by_bot}:
        return None
    comment = record.latest_comment
    if seen is not None:
        new_comment = comment_key(comment) != seen.comment_key
        state_changed = record.state_value != seen.state_value
    else:
        new_comment = comment is not None and _aware(comment.created_at) >= _aware(since)
        state_changed = "state" in changed or _asks(record) or _resolved(record)
    if comment is not None and comment.author in (record.owner_name, record.owner_user_name):
        new_comment = False  # the employee's own words
    if not (new_comment or state_changed):
        return None
    shown = comment if new_comment else None
    if state_changed and _asks(record):
        return Notice("question", record, shown)
    if state_changed and _resolved(record):
        return Notice("resolved", record, shown)
    if new_comment:
        return Notice("comment", record, shown)
    return Notice("state", record)


def _asks(record: ChangedRecord) -> bool:
    if record.desk == "it":
        return (
            record.state_value == _INCIDENT_ON_HOLD and record.hold_reason_value == _AWAITING_CALLER
        )
    return record.state_value == _HR_AWAITING_EMPLOYEE


def _resolved(record: ChangedRecord) -> bool:
    return record.state_value in _RESOLVED[record.desk]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
