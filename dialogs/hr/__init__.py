"""The HR topics: create a case, case details (and comments), case updates, my cases."""

from dialogs.hr.case_details import CaseDetails
from dialogs.hr.case_updates import CaseUpdates
from dialogs.hr.create_case import CreateCase
from dialogs.hr.list_cases import ListCases

__all__ = ["CaseDetails", "CaseUpdates", "CreateCase", "ListCases"]
