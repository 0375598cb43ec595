"""The orchestrator's resolution rules: variables, required clauses, user scoping, mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.errors import NotAllowed, TemplateError
from flows.models import Employee
from flows.orchestrator import Orchestrator, build_query, build_values
from flows.records import search_terms
from flows.templates import load_templates, parse_template
from flows.values import html_to_text, map_row, parse_journal, snake_case
from servicenow.errors import UnsafeQueryValue
from tests.flows.conftest import Emulator

TEMPLATES = load_templates()
ABEL = Employee(sys_id="a" * 32, email="abel@example.com", user_name="abel")


def test_an_absent_optional_variable_drops_its_clause():
    template = TEMPLATES.get("ITSM.GetTicketDetails")
    query = build_query(template, {"UserSysId": ABEL.sys_id})
    assert query.encode() == (
        f"caller_id={ABEL.sys_id}^ORDERBYDESCsys_updated_on^ORDERBYDESCnumber"
    )
    query = build_query(template, {"UserSysId": ABEL.sys_id, "Number": "INC0010001"})
    assert query.encode().startswith(f"number=INC0010001^caller_id={ABEL.sys_id}^")


@pytest.mark.parametrize(
    ("scenario", "owner", "summary"),
    [
        ("ITSM.SearchUserTickets", "caller_id", "short_description"),
        ("HRSD.SearchUserCases", "opened_for", "short_description"),
    ],
)
def test_a_search_stays_within_the_users_records(scenario: str, owner: str, summary: str):
    """The words are ORed between number and summary only, never with the user's own clause;
    no words: the user's latest records."""
    template = TEMPLATES.get(scenario)
    words = search_terms("  vpn   drops ")
    query = build_query(template, {"UserSysId": ABEL.sys_id, **words}).encode()
    order = "^ORDERBYDESCsys_updated_on^ORDERBYDESCnumber"
    assert query == f"{owner}={ABEL.sys_id}^{summary}LIKEvpn drops^ORnumberLIKEvpn drops{order}"
    assert build_query(template, {"UserSysId": ABEL.sys_id, **search_terms("")}).encode() == (
        f"{owner}={ABEL.sys_id}{order}"
    )


@pytest.mark.parametrize(
    "text", ["x^ORactive=true", "javascript:gs.getUserID()", "a@b", "bell\x07"]
)
def test_a_search_that_could_change_the_query_is_refused(text: str):
    with pytest.raises(NotAllowed, match="words and numbers"):
        search_terms(text)


def test_a_missing_required_variable_is_an_error_not_a_wider_query():
    with pytest.raises(TemplateError, match="UserSysId is required"):
        build_query(TEMPLATES.get("ITSM.GetUserTickets"), {})


def test_a_user_value_that_would_widen_the_query_is_refused():
    template = TEMPLATES.get("ITSM.GetTicketDetails")
    with pytest.raises(UnsafeQueryValue):
        build_query(template, {"UserSysId": ABEL.sys_id, "Number": "INC1^NQactive=true"})


async def test_callers_cannot_override_the_resolved_users_variables(
    orch: Orchestrator, abel: Employee, beth: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    await orch.run("ITSM.GetUserTickets", {"UserSysId": beth.sys_id}, abel, limit=5)
    [request] = await emulator.requests()
    assert abel.sys_id in request["query"] and beth.sys_id not in request["query"]


def test_an_or_clause_joins_the_clause_before_and_drops_alone_when_its_variable_is_absent():
    template = TEMPLATES.get("HRSD.GetHRServicesForUser")
    department = "d" * 32
    query = build_query(template, {"UserDepartmentSysId": department})
    assert query.encode() == (
        "active=true^u_audience_departmentsISEMPTY"
        f"^ORu_audience_departmentsLIKE{department}^ORDERBYname"
    )
    without = build_query(template, {})
    assert without.encode() == "active=true^u_audience_departmentsISEMPTY^ORDERBYname"


def test_an_or_group_whose_clauses_all_drop_drops_whole():
    template = parse_template(
        """{"Scenario": "X", "Table": "incident", "Operation": "READ", "FilterCriteria": [
            {"FieldName": "caller_id", "Operator": "=", "VariableName": "UserSysId"},
            {"FieldName": "number", "Operator": "=", "VariableName": "Number"},
            {"FieldName": "sys_id", "Operator": "=", "VariableName": "SysId", "Join": "OR"}]}""",
        "x.json",
    )
    assert build_query(template, {"UserSysId": ABEL.sys_id}).encode() == f"caller_id={ABEL.sys_id}"
    query = build_query(template, {"UserSysId": ABEL.sys_id, "SysId": "b" * 32})
    assert query.encode() == f"caller_id={ABEL.sys_id}^sys_id={'b' * 32}"


async def test_callers_cannot_choose_the_users_department(
    orch: Orchestrator, abel: Employee, beth: Employee, emulator: Emulator
):
    await emulator.clear_requests()
    variables = {"UserDepartmentSysId": beth.department_sys_id}
    await orch.run("HRSD.GetHRServicesForUser", variables, abel)
    [request] = await emulator.requests()
    assert abel.department_sys_id in request["query"]
    assert beth.department_sys_id not in request["query"]


def test_a_field_placeholder_is_validated_like_a_field_name():
    template = TEMPLATES.get("Identity.GetUser")
    query = build_query(template, {"MatchField": "u_entra_object_id", "MatchValue": "oid-1"})
    assert query.encode() == "u_entra_object_id=oid-1^active=true"
    with pytest.raises(TemplateError, match="not a field name"):
        build_query(template, {"MatchField": "email^ORactive", "MatchValue": "x"})


def test_values_are_globals_then_user_parameters():
    values = build_values(
        TEMPLATES.get("ITSM.CreateTicket"),
        {"ShortDescription": "Printer", "UserSysId": ABEL.sys_id, "Urgency": "medium"},
    )
    assert values == {
        "contact_type": "self-service",
        "short_description": "Printer",
        "urgency": "2",
        "impact": "2",
        "caller_id": ABEL.sys_id,
    }


def test_the_template_maps_the_bots_urgency_to_urgency_and_impact():
    """An admin decides in the template what "high" means in ServiceNow, not the code."""
    create = TEMPLATES.get("ITSM.CreateTicket")
    high = build_values(
        create, {"ShortDescription": "x", "UserSysId": ABEL.sys_id, "Urgency": "high"}
    )
    low = build_values(
        create, {"ShortDescription": "x", "UserSysId": ABEL.sys_id, "Urgency": "low"}
    )
    assert (high["urgency"], high["impact"]) == ("1", "2")
    assert (low["urgency"], low["impact"]) == ("3", "3")
    with pytest.raises(TemplateError, match="ValueMap"):
        build_values(create, {"ShortDescription": "x", "UserSysId": ABEL.sys_id, "Urgency": "9"})


def test_output_mapping_picks_parts_and_converts_types():
    template = parse_template(
        """{"Scenario": "X", "Table": "incident", "Operation": "READ", "OutputFieldMapping": [
        {"FieldName": "state", "OutputName": "State"},
        {"FieldName": "state", "OutputName": "StateValue", "Part": "value"},
        {"FieldName": "active", "OutputName": "Active", "Part": "value", "Type": "boolean"},
        {"FieldName": "opened_at", "OutputName": "OpenedAt", "Part": "value", "Type": "datetime"}
        ]}""",
        "inline",
    )
    row = {
        "state": {"display_value": "In Progress", "value": "2"},
        "active": {"display_value": "true", "value": "true"},
        "opened_at": {"display_value": "2026-01-05 10:00:00", "value": "2026-01-05 09:00:00"},
    }
    assert map_row(template, row) == {
        "state": "In Progress",
        "state_value": "2",
        "active": True,
        "opened_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    }


def test_journal_keeps_customer_comments_newest_first_and_drops_work_notes():
    text = (
        "2026-01-06 14:30:00 - Ivy Tillman (Additional comments)\nFixed.\nReopen if needed.\n\n"
        "2026-01-06 12:00:00 - Ivy Tillman (Work notes)\ninternal: replaced fuser\n\n"
        "2026-01-06 10:00:00 - Abel Tuter (Additional comments)\nIt jams again\n\n"
    )
    comments = parse_journal(text)
    assert [(c.author, c.text) for c in comments] == [
        ("Ivy Tillman", "Fixed.\nReopen if needed."),
        ("Abel Tuter", "It jams again"),
    ]
    assert parse_journal("") == []


@pytest.mark.parametrize(
    ("name", "snake"), [("SysId", "sys_id"), ("StateValue", "state_value"), ("coe", "coe")]
)
def test_output_names_become_model_fields(name: str, snake: str):
    assert snake_case(name) == snake


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Question about my last payslip</p>", "Question about my last payslip"),
        ("<p>Line one</p><p>Line  two &amp; three</p>", "Line one\nLine two & three"),
        ("a<br>b<script>alert(1)</script><style>p{}</style>", "a\nb"),
        ("plain text, no markup", "plain text, no markup"),
    ],
)
def test_html_fields_become_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
