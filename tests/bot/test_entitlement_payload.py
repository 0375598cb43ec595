"""The custom-extension callout payload: Microsoft's shape, camelCase or PascalCase."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.entitlement import CalloutPayload, _camel_keys


def payload(**data: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Stage": "AssignmentRequestApproved",
        "CustomExtensionStageInstanceId": "9b0c-1",
        "AccessPackageAssignmentRequestId": "4f1a-2",
        "AccessPackage": {"Id": "ap-1", "DisplayName": "Sales Analytics"},
        "Assignment": {
            "Target": {"ObjectId": "t-1", "DisplayName": "Beth Anglin", "Mail": "beth@example.com"},
            "AccessPackageAssignmentPolicy": {"Id": "p-1", "DisplayName": "Employees"},
        },
        "Requestor": {"ObjectId": "r-1", "DisplayName": "Abel Tuter", "Mail": "abel@example.com"},
    }
    return {"Source": "EntitlementManagement", "Data": base | data}


def test_pascal_case_as_logic_apps_show_it_reads_like_camel_case() -> None:
    request = CalloutPayload.model_validate(_camel_keys(payload())).to_request()
    assert request.stage == "assignmentRequestApproved"
    assert (request.stage_instance_id, request.request_id) == ("9b0c-1", "4f1a-2")
    assert request.package_name == "Sales Analytics" and request.policy_name == "Employees"
    assert request.requestor_email == "abel@example.com"
    assert (request.target_name, request.target_email) == ("Beth Anglin", "beth@example.com")


@pytest.mark.parametrize(
    "field, value",
    [
        ("CustomExtensionStageInstanceId", "x^ORactive=true"),
        ("AccessPackageAssignmentRequestId", "../../users"),
        ("Stage", "assignment request"),
    ],
)
def test_ids_and_stages_that_could_change_a_query_or_a_url_are_refused(
    field: str, value: str
) -> None:
    with pytest.raises(ValidationError):
        CalloutPayload.model_validate(_camel_keys(payload(**{field: value})))
