"""One rule for a ticket's short description and a case's subject: the problem, not the chat."""

from __future__ import annotations

import pytest

from dialogs.forms import beyond_summary, summary_of


@pytest.mark.parametrize(
    ("said", "summary"),
    [
        ("My laptop won't boot, it's urgent", "My laptop won't boot"),
        (
            "hi, sorry to bother you, could you help me with the vpn? it keeps dropping",
            "The vpn? It keeps dropping",
        ),
        ("Hello. My monitor is black.", "My monitor is black"),
        ("please reset my password asap", "Reset my password"),
        ("URGENT!!! printer on fire", "Printer on fire"),
        ("VPN geht seit heute morgen nicht, dringend", "VPN geht seit heute morgen nicht"),
        ("I have a question about my payslip", "I have a question about my payslip"),
        ("", ""),
    ],
)
def test_the_summary_leaves_out_greetings_please_and_urgency(said: str, summary: str) -> None:
    assert summary_of(said, 160) == summary


def test_a_long_message_is_cut_at_a_word_and_kept_whole_as_description() -> None:
    said = "The shared drive " + "keeps disconnecting " * 20
    summary = summary_of(said, 60)
    assert len(summary) <= 60 and summary.endswith("…") and " keeps" in summary
    assert beyond_summary(said, summary) == said.strip()
    assert beyond_summary("my payslip is wrong", "My payslip is wrong") == ""
