"""Guessing the HR service from the user's words, so the form arrives pre-filled."""

from __future__ import annotations

import pytest

from dialogs.hr._services import suggest_service
from dialogs.hr.create_case import _split
from flows.models import HRService

# Named as the embedded emulator's catalogue names them.
SERVICES = [
    HRService(sys_id="pay", name="Payroll Inquiry", coe="sn_hr_core_case_payroll"),
    HRService(sys_id="bank", name="Direct Deposit Change", coe="sn_hr_core_case_payroll"),
    HRService(
        sys_id="leave", name="Leave of Absence Request", coe="sn_hr_core_case_workforce_admin"
    ),
    HRService(sys_id="parental", name="Parental Leave", coe="sn_hr_core_case_workforce_admin"),
    HRService(sys_id="ben", name="Health Insurance Question", coe="sn_hr_core_case_benefits"),
    HRService(sys_id="info", name="Employee Information Change", coe="sn_hr_core_case_operations"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have a question about my payslip", "pay"),
        ("my salary was not paid", "pay"),
        ("meine Gehaltsabrechnung ist falsch", "pay"),
        ("ma fiche de paie est fausse", "pay"),
        ("I want to request parental leave", "parental"),
        ("I need two weeks of leave", "leave"),
        ("I need to update my bank details", "bank"),
        ("change my home address in my HR record", "info"),
        ("question about health insurance", "ben"),
        ("給与明細が間違っています", "pay"),
    ],
)
def test_a_sentence_points_to_its_service(text: str, expected: str) -> None:
    service = suggest_service(text, SERVICES)
    assert service is not None and service.sys_id == expected


@pytest.mark.parametrize("text", ["open an HR case", "my company laptop", ""])
def test_no_hint_no_guess(text: str) -> None:
    """ "company" contains "pay" but is not about pay: stems match word starts only."""
    assert suggest_service(text, SERVICES) is None


def test_a_long_message_keeps_every_word_in_the_description() -> None:
    words = "My payslip for March misses the overtime I worked " * 10
    subject, description = _split(words)
    assert len(subject) <= 160 and subject.endswith("…")
    assert description == " ".join(words.split())
    assert _split("my payslip is wrong") == ("My payslip is wrong", "")
