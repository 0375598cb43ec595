"""Who may read and change what, as a base instance's ACLs decide for ESS users and agents.

Employees without roles see incidents where they are the caller or opener, and HR cases where
they are opened for, opened by or the subject person; agents (`itil`, HR roles) and `admin` see
all of their area. Everyone signed in may read reference data (users, groups, services, choices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servicenow.emulator.schema import TableDef

HR_AGENT_ROLES = frozenset({"sn_hr_core.case_writer", "sn_hr_core.admin"})
INCIDENT_AGENT_ROLES = frozenset({"itil", "itil_admin"})
_OWNER_FIELDS = {
    "incident": ("caller_id", "opened_by"),
    "sn_hr_core_case": ("opened_for", "opened_by", "subject_person"),
}
_EMPLOYEE_CREATES = frozenset({"incident", "sn_hr_core_case", "sys_attachment"})
# Problems are agents' work: a stock instance lets only itil read them.
ITIL_TABLES = frozenset({"incident", "problem"})
_PRIVATE_TABLES = frozenset({"sys_journal_field", "problem"})


@dataclass(frozen=True)
class Actor:
    """The authenticated user a request runs as."""

    sys_id: str
    user_name: str
    name: str
    roles: frozenset[str]
    time_zone: str = "UTC"

    @property
    def is_admin(self) -> bool:
        """`admin` passes every ACL."""
        return "admin" in self.roles

    def is_agent_for(self, table: TableDef) -> bool:
        """Agents read and change every record of their area."""
        if self.is_admin:
            return True
        if table.storage in ITIL_TABLES:
            return bool(self.roles & INCIDENT_AGENT_ROLES)
        if table.storage == "sn_hr_core_case":
            return bool(self.roles & HR_AGENT_ROLES)
        if table.storage in _PRIVATE_TABLES:
            return bool(self.roles & (INCIDENT_AGENT_ROLES | HR_AGENT_ROLES))
        return False

    @property
    def is_any_agent(self) -> bool:
        """Holds an agent role of any area (may write work notes)."""
        return self.is_admin or bool(self.roles & (INCIDENT_AGENT_ROLES | HR_AGENT_ROLES))


def owns(actor: Actor, table: TableDef, row: dict[str, Any]) -> bool:
    """The employee is a party to the record (caller, opened for, ...)."""
    fields = _OWNER_FIELDS.get(table.storage, ())
    return any(row.get(field) == actor.sys_id for field in fields)


def can_read_row(actor: Actor, table: TableDef, row: dict[str, Any]) -> bool:
    """Row-level read ACL (parents of attachments are checked by the caller)."""
    if actor.is_agent_for(table):
        return True
    if table.storage in _OWNER_FIELDS:
        return owns(actor, table, row)
    return table.storage not in _PRIVATE_TABLES


def can_read_work_notes(actor: Actor, table: TableDef) -> bool:
    """The field ACL on work notes: agents only (a stock instance asks for `itil` on task
    tables, the HR roles on HR cases); employees never see them, even on their own records."""
    return actor.is_agent_for(table) or bool(actor.roles & INCIDENT_AGENT_ROLES)


def can_create(actor: Actor, table: TableDef) -> bool:
    """Employees may open incidents and HR cases (as ESS does) and attach files."""
    return actor.is_agent_for(table) or table.storage in _EMPLOYEE_CREATES


def can_update_row(actor: Actor, table: TableDef, row: dict[str, Any]) -> bool:
    """Agents update their area; employees update records they are a party to."""
    if actor.is_agent_for(table):
        return True
    return table.storage in _OWNER_FIELDS and owns(actor, table, row)


def can_delete(actor: Actor, table: TableDef) -> bool:
    """Only admins delete."""
    return actor.is_admin
