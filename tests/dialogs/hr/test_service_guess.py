"""Guessing the HR service from the user's words, so the form arrives pre-filled."""

from __future__ import annotations

import pytest

from dialogs.hr._services import suggest_service
from dialogs.hr.create_case import _split
from flows.models import HRService

SERVICES = [
    HRService(sys_id="pay", name="Payroll inquiry", coe="sn_hr_core_case_payroll"),
    HRService(sys_id="leave", name="Leave of absence", coe="Workforce Administration"),
    HRService(sys_id="ben", name="Benefits enrollment", coe="Benefits"),
    HRService(
        sys_id="letter", name="Employment verification letter", coe="Workforce Administration"
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have a question about my payslip", "pay"),
        ("my salary was not paid", "pay"),
        ("meine Gehaltsabrechnung ist falsch", "pay"),
        ("ma fiche de paie est fausse", "pay"),
        ("I want to request parental leave", "leave"),
        ("question about health insurance", "ben"),
        ("I need an employment verification letter", "letter"),
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
