"""The emulated tables: fields, types, references, choices and number prefixes (reference §8-§12)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    """ServiceNow internal types the emulator distinguishes."""

    STRING = "string"
    REFERENCE = "reference"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DATETIME = "glide_date_time"
    JOURNAL = "journal"
    JOURNAL_LIST = "journal_list"
    LIST = "glide_list"
    PASSWORD = "password2"
    TABLE_NAME = "sys_class_name"


@dataclass(frozen=True)
class FieldDef:
    """One column; `numeric` choices and integers compare and sort as numbers."""

    name: str
    type: FieldType = FieldType.STRING
    reference: str = ""
    numeric: bool = False
    label: str = ""

    @property
    def column_label(self) -> str:
        """Label shown in sys_dictionary and record pages."""
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class TableDef:
    """One table; child tables (`base` set) live in their base table, told apart by class."""

    name: str
    label: str
    fields: dict[str, FieldDef]
    display: str = ""
    number_prefix: str = ""
    number_start: int = 1
    base: str = ""
    extra_choices: tuple[str, ...] = field(default_factory=tuple)

    @property
    def storage(self) -> str:
        """The SQLite table holding this table's rows."""
        return self.base or self.name


SYSTEM_FIELDS = (
    FieldDef("sys_id"),
    FieldDef("sys_created_on", FieldType.DATETIME, label="Created"),
    FieldDef("sys_created_by", label="Created by"),
    FieldDef("sys_updated_on", FieldType.DATETIME, label="Updated"),
    FieldDef("sys_updated_by", label="Updated by"),
    FieldDef("sys_mod_count", FieldType.INTEGER, label="Updates"),
    FieldDef("sys_tags"),
)
_STR, _REF, _CHO, _BOOL = FieldType.STRING, FieldType.REFERENCE, FieldType.CHOICE, FieldType.BOOLEAN
_INT, _DT, _J = FieldType.INTEGER, FieldType.DATETIME, FieldType.JOURNAL


def _fields(*specs: FieldDef | str) -> dict[str, FieldDef]:
    """Fields in the order records show them. On task tables a real instance puts `sys_id`
    just before `contact_type` (every incident and problem capture does), not first or last."""
    defs = [spec if isinstance(spec, FieldDef) else FieldDef(spec) for spec in specs]
    system = list(SYSTEM_FIELDS)
    names = [item.name for item in defs]
    if "contact_type" in names:
        defs.insert(names.index("contact_type"), system.pop(0))
    return {item.name: item for item in (*defs, *system)}


def _ref(name: str, table: str, label: str = "") -> FieldDef:
    return FieldDef(name, _REF, reference=table, label=label)


def _num_choice(name: str, label: str = "") -> FieldDef:
    return FieldDef(name, _CHO, numeric=True, label=label)


def _task_fields() -> tuple[FieldDef | str, ...]:
    """Fields every task-derived table shares."""
    return (
        "number",
        "short_description",
        "description",
        _ref("opened_by", "sys_user"),
        FieldDef("opened_at", _DT, label="Opened"),
        _num_choice("priority"),
        _ref("assignment_group", "sys_user_group"),
        _ref("assigned_to", "sys_user"),
        FieldDef("comments", _J, label="Additional comments"),
        FieldDef("work_notes", _J, label="Work notes"),
        FieldDef("comments_and_work_notes", FieldType.JOURNAL_LIST),
        FieldDef("work_notes_list", FieldType.LIST),
        FieldDef("watch_list", FieldType.LIST),
        FieldDef("active", _BOOL),
        FieldDef("closed_at", _DT, label="Closed"),
        _ref("closed_by", "sys_user"),
        "close_notes",
        FieldDef("contact_type", _CHO, label="Channel"),
        "correlation_id",
        "correlation_display",
        FieldDef("due_date", _DT),
        FieldDef("sys_class_name", FieldType.TABLE_NAME, label="Task type"),
        _ref("sys_domain", "sys_user_group", "Domain"),
        "sys_domain_path",
        _ref("parent", "task"),
        _ref("company", "core_company"),
        _ref("location", "cmn_location"),
        _ref("cmdb_ci", "cmdb_ci"),
        _ref("business_service", "cmdb_ci_service"),
    )


INCIDENT = TableDef(
    name="incident",
    label="Incident",
    display="number",
    number_prefix="INC",
    number_start=10001,
    fields=_fields(
        *_task_fields(),
        _ref("caller_id", "sys_user", "Caller"),
        _num_choice("state"),
        _num_choice("incident_state"),
        _num_choice("urgency"),
        _num_choice("impact"),
        _num_choice("severity"),
        FieldDef("category", _CHO),
        FieldDef("subcategory", _CHO),
        _num_choice("hold_reason", "On hold reason"),
        FieldDef("close_code", _CHO, label="Resolution code"),
        FieldDef("resolved_at", _DT, label="Resolved"),
        _ref("resolved_by", "sys_user"),
        _num_choice("notify"),
        _num_choice("escalation"),
        FieldDef("approval", _CHO),
        "upon_approval",
        "upon_reject",
        FieldDef("knowledge", _BOOL),
        FieldDef("made_sla", _BOOL),
        FieldDef("reassignment_count", _INT),
        FieldDef("reopen_count", _INT),
        FieldDef("child_incidents", _INT),
        *(FieldDef(name, _DT) for name in ("expected_start", "work_start", "work_end")),
        *(FieldDef(name, _DT) for name in ("activity_due", "sla_due", "follow_up")),
        *(FieldDef(name, _DT) for name in ("approval_set",)),
        _ref("caused_by", "change_request"),
        _ref("rfc", "change_request"),
        _ref("parent_incident", "incident"),
        _ref("problem_id", "problem"),
        *("user_input", "order", "calendar_stc", "delivery_plan"),
        *("time_worked", "business_duration", "group_list", "business_stc"),
        *("calendar_duration", "delivery_task"),
        *("approval_history", "additional_assignee_list"),
        # Ticketed access (Entra entitlement management): the three fields of Microsoft's tutorial.
        FieldDef(
            "u_access_package_assignment_request_id", label="Access package assignment request id"
        ),
        FieldDef("u_access_package_assignment_stage", label="Access package assignment stage"),
        FieldDef("u_stage_instance_id", label="Stage instance id"),
    ),
)

# What clients' own tests assume every instance has: a few problems (PRB...).
PROBLEM = TableDef(
    name="problem",
    label="Problem",
    display="number",
    number_prefix="PRB",
    number_start=40001,
    fields=_fields(
        *_task_fields(),
        _num_choice("state"),
        _num_choice("problem_state"),
        _num_choice("impact"),
        _num_choice("urgency"),
        FieldDef("category", _CHO),
        FieldDef("known_error", _BOOL),
        FieldDef("major_problem", _BOOL),
        "workaround",
        "cause_notes",
        "fix_notes",
        _ref("first_reported_by_task", "task"),
        FieldDef("related_incidents", _INT),
        FieldDef("reassignment_count", _INT),
        FieldDef("resolved_at", _DT, label="Resolved"),
        _ref("resolved_by", "sys_user"),
    ),
)

HR_CASE = TableDef(
    name="sn_hr_core_case",
    label="HR Case",
    display="number",
    number_prefix="HRC",
    number_start=1001,
    fields=_fields(
        *_task_fields(),
        _ref("hr_service", "sn_hr_core_service", "HR service"),
        _ref("opened_for", "sys_user", "Opened for"),
        _ref("subject_person", "sys_user", "Subject person"),
        _num_choice("state"),
        _ref("topic_category", "sn_hr_core_topic_category"),
        _ref("topic_detail", "sn_hr_core_topic_detail"),
        FieldDef("collaborators", FieldType.LIST),
    ),
)

# COE child tables and the HR group each one assigns to: a query on the base table returns
# their rows too (reference §10).
HR_COES: dict[str, tuple[str, str]] = {
    "sn_hr_core_case_payroll": ("Payroll Case", "HR Payroll"),
    "sn_hr_core_case_benefits": ("Benefits Case", "HR Benefits"),
    "sn_hr_core_case_workforce_admin": ("Workforce Administration Case", "HR Leave"),
    "sn_hr_core_case_relations": ("Employee Relations Case", "HR Employee Relations"),
    "sn_hr_core_case_talent_management": ("Talent Management Case", "HR Talent"),
    "sn_hr_core_case_operations": ("HR Operations Case", "HR Workplace"),
}

SYS_USER = TableDef(
    name="sys_user",
    label="User",
    display="name",
    fields=_fields(
        "user_name",
        "first_name",
        "last_name",
        "name",
        "email",
        "employee_number",
        FieldDef("active", _BOOL),
        FieldDef("locked_out", _BOOL),
        _ref("manager", "sys_user"),
        _ref("department", "cmn_department"),
        "company",
        "location",
        "title",
        "phone",
        "mobile_phone",
        "time_zone",
        "preferred_language",
        "roles",
        FieldDef("vip", _BOOL, label="VIP"),
        FieldDef("u_entra_object_id", label="Entra object id"),
        FieldDef("user_password", FieldType.PASSWORD, label="Password"),
    ),
)

_SIMPLE_TABLES = (
    TableDef(
        "sys_user_group",
        "Group",
        _fields(
            "name",
            "description",
            "type",
            "email",
            FieldDef("active", _BOOL),
            _ref("manager", "sys_user"),
        ),
        display="name",
    ),
    TableDef(
        "sys_user_grmember",
        "Group Member",
        _fields(_ref("user", "sys_user"), _ref("group", "sys_user_group")),
        display="sys_id",
    ),
    TableDef(
        "cmn_department",
        "Department",
        _fields("name", "id", "description", _ref("dept_head", "sys_user")),
        display="name",
    ),
    TableDef(
        "sn_hr_core_topic_category",
        "HR Topic Category",
        _fields("name", FieldDef("active", _BOOL), FieldDef("coe", FieldType.TABLE_NAME)),
        display="name",
    ),
    TableDef(
        "sn_hr_core_topic_detail",
        "HR Topic Detail",
        _fields(
            "name",
            FieldDef("active", _BOOL),
            _ref("topic_category", "sn_hr_core_topic_category"),
        ),
        display="name",
    ),
    TableDef(
        "sn_hr_core_service",
        "HR Service",
        _fields(
            "name",
            "value",
            FieldDef("active", _BOOL),
            FieldDef("fulfillment_type", _CHO),
            FieldDef("coe", FieldType.TABLE_NAME, label="COE"),
            _ref("topic_category", "sn_hr_core_topic_category"),
            _ref("topic_detail", "sn_hr_core_topic_detail"),
            "description",
            FieldDef("u_audience_departments", FieldType.LIST, label="Audience departments"),
            "template",
            "record_producer",
        ),
        display="name",
    ),
    TableDef(
        "sys_journal_field",
        "Journal Entry",
        _fields("element", "element_id", "name", "value"),
        display="value",
    ),
    TableDef(
        "sys_choice",
        "Choices",
        _fields(
            "name",
            "element",
            "language",
            "value",
            "label",
            FieldDef("sequence", _INT),
            FieldDef("inactive", _BOOL),
            "dependent_value",
            "hint",
        ),
        display="label",
    ),
    TableDef(
        "sys_dictionary",
        "Dictionary Entry",
        _fields(
            "name",
            "element",
            "internal_type",
            "column_label",
            "reference",
            FieldDef("max_length", _INT),
            FieldDef("mandatory", _BOOL),
            FieldDef("read_only", _BOOL),
            FieldDef("active", _BOOL),
        ),
        display="column_label",
    ),
    TableDef(
        "sys_attachment",
        "Attachment",
        _fields(
            "file_name",
            "content_type",
            FieldDef("size_bytes", _INT),
            "table_name",
            "table_sys_id",
            "hash",
        ),
        display="file_name",
    ),
)

TABLES: dict[str, TableDef] = {
    table.name: table for table in (INCIDENT, PROBLEM, HR_CASE, SYS_USER, *_SIMPLE_TABLES)
}
for _coe, (_label, _group) in HR_COES.items():
    TABLES[_coe] = TableDef(
        name=_coe,
        label=_label,
        fields=HR_CASE.fields,
        display="number",
        number_prefix="HRC",
        number_start=1001,
        base=HR_CASE.name,
    )

STORAGE_TABLES = tuple(table for table in TABLES.values() if not table.base)


def class_label(table_name: str) -> str:
    """The label ServiceNow shows for a `sys_class_name` value."""
    table = TABLES.get(table_name)
    return table.label if table else table_name


def has_class_column(table: TableDef) -> bool:
    """Task tables record their concrete class in `sys_class_name`."""
    return "sys_class_name" in table.fields
