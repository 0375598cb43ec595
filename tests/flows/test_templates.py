"""Template configurations: built-ins and ESS samples load; broken files name file, field, reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.errors import TemplateError
from flows.templates import BUILTIN_DIR, load_templates, parse_template
from tests.helpers import shared_path

SCENARIOS = {
    "HRSD.GetHRServicesForUser",
    "HRSD.CreateCase",
    "HRSD.GetCaseDetails",
    "HRSD.GetCaseUpdates",
    "HRSD.GetCasesList",
    "HRSD.SearchUserCases",
    "HRSD.GetMetadata",
    "HRSD.AddComment",
    "ITSM.CreateTicket",
    "ITSM.GetTicketDetails",
    "ITSM.GetTicketAttachments",
    "ITSM.GetTicketStatus",
    "ITSM.GetUserTickets",
    "ITSM.SearchUserTickets",
    "ITSM.UpdateTicket",
    "ITSM.AddComment",
    "ITSM.GetTicketUpdates",
    "ITSM.GetMetadata",
    "Identity.GetUser",
    "Identity.CreateUser",
    "Access.CreateRequest",
    "Access.GetRequest",
    "Access.GetRequests",
    "Access.AddWorkNote",
    "ITSM.GetChangedTickets",
    "HRSD.GetChangedCases",
}
# Read for the notifications (webhook and poller), never for a user's turn.
NOTIFICATION_SCENARIOS = {"ITSM.GetChangedTickets", "HRSD.GetChangedCases"}


def test_every_scenario_has_a_builtin_template_without_pitfalls():
    templates = load_templates()
    assert {t.scenario for t in templates} == SCENARIOS
    assert templates.warnings == []


def test_every_user_scoped_read_and_update_requires_the_users_sys_id():
    for template in load_templates():
        if template.scenario.startswith("Access.") or template.scenario in NOTIFICATION_SCENARIOS:
            continue  # not user-scoped: see the tests below
        if template.table in ("incident", "sn_hr_core_case") and template.operation != "CREATE":
            user_clauses = [c for c in template.filter_criteria if c.variable_name == "UserSysId"]
            assert user_clauses and all(c.required for c in user_clauses), template.scenario


def test_access_reads_and_updates_reach_only_access_tickets():
    """Ticketed access runs for Entra and the poller, never for a user's turn: its reads and
    updates are not limited to a user, so each one is limited to tickets carrying a stage
    instance id (and finds them by ids Snowdesk stored, not by anything a user typed)."""
    access = [t for t in load_templates() if t.scenario.startswith("Access.")]
    assert len(access) == 4
    for template in access:
        if template.operation == "CREATE":
            continue
        fields = [c.field_name for c in template.filter_criteria if c.join == "AND"]
        assert "u_stage_instance_id" in fields, template.scenario


def test_notification_reads_are_reads_that_name_each_records_owner():
    """The notifications read changed records of every employee (by a watermark or a sys_id
    from a signed event): such a template may only read, only records with an owner, and must
    give the owner back, since the owner is the only one who is told."""
    for template in load_templates():
        if template.scenario not in NOTIFICATION_SCENARIOS:
            continue
        assert template.operation == "READ", template.scenario
        owner = {"incident": "caller_id", "sn_hr_core_case": "opened_for"}[template.table]
        clauses = {(c.field_name, c.operator) for c in template.filter_criteria}
        assert (owner, "ISNOTEMPTY") in clauses, template.scenario
        outputs = {o.output_name: o.field_name for o in template.output_field_mapping}
        assert outputs["OwnerSysId"] == owner and outputs["OwnerEmail"] == f"{owner}.email"


def test_ess_samples_load_unchanged_and_the_reference_pitfall_is_reported(caplog):
    ess_dir = shared_path("fixtures", "servicenow", "ess-templates")
    templates = load_templates(ess_dir)
    for path in ess_dir.glob("*.json"):
        scenario = json.loads(path.read_text())["Scenario"]
        assert templates.get(scenario).table == json.loads(path.read_text())["Table"]
    pitfalls = "\n".join(templates.warnings)
    assert "opened_for={Opened_By}" in pitfalls and "opened_for.email" in pitfalls
    assert "caller_id={Caller}" in pitfalls and "caller_id.email" in pitfalls
    assert any(r.getMessage() == "template.pitfall" for r in caplog.records)


def test_ess_names_are_aliases_of_snowdesk_scenarios():
    templates = load_templates()
    assert templates.get("msdyn_ITServiceNowITSMCreateTicket").scenario == "ITSM.CreateTicket"


def test_an_admin_override_replaces_the_builtin(tmp_path: Path):
    builtin = json.loads((BUILTIN_DIR / "ITSM.GetUserTickets.json").read_text())
    builtin["Limit"] = 3
    (tmp_path / "mine.json").write_text(json.dumps(builtin))
    templates = load_templates(tmp_path)
    assert templates.get("ITSM.GetUserTickets").limit == 3
    assert templates.sources["ITSM.GetUserTickets"].endswith("mine.json")


def test_a_ticket_urgency_is_named_by_the_admins_value_map(tmp_path: Path):
    builtin = json.loads((BUILTIN_DIR / "ITSM.UpdateTicket.json").read_text())
    # An instance whose urgency choices are 1 (critical) … 4 (low): "high" is 2 there.
    builtin["UserParameters"][0]["ValueMap"] = {"high": "2", "medium": "3", "low": "4"}
    (tmp_path / "urgency.json").write_text(json.dumps(builtin))
    update = load_templates(tmp_path).get("ITSM.UpdateTicket")
    assert update.choice_names("urgency") == {"2": "high", "3": "medium", "4": "low"}
    # The impact map sends both high and medium to 2: the first word wins.
    assert update.choice_names("impact") == {"2": "high", "3": "low"}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"Operation": "DELETE"}, "Operation", "CREATE"),
        ({"Limit": 0}, "Limit", "greater than or equal to 1"),
        ({"Table": "incident; drop"}, "Table", "not a table name"),
        ({"Filtercriteria": []}, "Filtercriteria", "Extra inputs"),
        (
            {
                "FilterCriteria": [
                    {"FieldName": "caller_id^ORactive", "Operator": "=", "Value": "x"}
                ]
            },
            "FilterCriteria.0.FieldName",
            "not a field name",
        ),
        (
            {"FilterCriteria": [{"FieldName": "number", "Operator": "MATCHES", "Value": "x"}]},
            "FilterCriteria.0.Operator",
            "Input should be",
        ),
        (
            {"FilterCriteria": [{"FieldName": "number", "Operator": "="}]},
            "FilterCriteria.0",
            "exactly one of VariableName or Value",
        ),
        (
            {"FilterCriteria": [{"FieldName": "number", "Operator": "ISEMPTY", "Value": "x"}]},
            "FilterCriteria.0",
            "takes no VariableName or Value",
        ),
        (
            {
                "FilterCriteria": [
                    {"FieldName": "active", "Operator": "=", "Value": "true", "Join": "OR"}
                ]
            },
            "(document)",
            "first FilterCriteria clause cannot Join OR",
        ),
    ],
)
def test_a_broken_template_names_file_field_and_reason(change, field, reason, tmp_path: Path):
    document = json.loads((BUILTIN_DIR / "ITSM.GetUserTickets.json").read_text()) | change
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_invalid_json_names_the_line():
    with pytest.raises(TemplateError, match=r"admin\.json: line 2: not valid JSON"):
        parse_template('{\n "Scenario": }', "admin.json")


def test_an_unknown_scenario_is_a_template_error():
    with pytest.raises(TemplateError, match="no template configuration"):
        load_templates().get("ITSM.Nope")


def test_a_user_filter_ored_with_another_clause_is_reported():
    document = json.loads((BUILTIN_DIR / "ITSM.GetUserTickets.json").read_text())
    document["FilterCriteria"].insert(
        1, {"FieldName": "active", "Operator": "=", "Value": "true", "Join": "or"}
    )
    template = parse_template(json.dumps(document), "wide.json")
    assert [w for w in template.warnings() if "not limited to the user" in w]
