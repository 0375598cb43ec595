"""The recogniser: the issue's examples, entity normalisation, hostile text, admin overrides."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.cli import main as snowdesk
from dialogs._triggers import TOPICS, TriggerFileError
from dialogs.recognizer import Recognition, Recognizer


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.load()


@pytest.mark.parametrize(
    ("text", "topic", "entities"),
    [
        ("did anyone look at my laptop ticket?", "it.ticket_updates", {}),
        ("payslip wrong again", "hr.create_case", {"description": "payslip wrong again"}),
        ("inc 10023 status pls", "it.ticket_status", {"number": "INC0010023"}),
        (
            "ich brauche einen neuen Laptop",
            "it.create_ticket",
            {"description": "ich brauche einen neuen Laptop"},
        ),
        ("what's the weather", "none", {}),
        ("cancel", "cancel", {}),
        ("start over", "cancel", {"restart": "true"}),
    ],
)
def test_the_issue_examples_start_the_right_topic_with_details(
    recognizer: Recognizer, text: str, topic: str, entities: dict[str, str]
) -> None:
    result = recognizer.recognize(text)
    assert (result.topic, result.entities) == (topic, entities)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("inc 10023", "INC0010023"),
        ("INC-10023", "INC0010023"),
        ("Inc#0010023", "INC0010023"),
        ("hrc1234", "HRC0001234"),
        ("HRC 0001234", "HRC0001234"),
        ("status of ticket 10200", "INC0010200"),
        ("details for case 2231", "HRC0002231"),
        ("ＩＮＣ１００２３ status", "INC0010023"),
    ],
)
def test_numbers_are_normalised_to_prefix_and_seven_digits(
    recognizer: Recognizer, text: str, number: str
) -> None:
    assert recognizer.recognize(text).entities.get("number") == number


@pytest.mark.parametrize(
    "text",
    [
        "status of INC0010023 and INC0010024",  # two different records: ask, don't guess
        "status of inc 123456789",  # more digits than a number has
        "status of my ticket 12",  # too short to be a record number
        "status of RITM0010023",  # not a configured prefix
    ],
)
def test_ambiguous_or_unknown_numbers_are_not_guessed(recognizer: Recognizer, text: str) -> None:
    assert "number" not in recognizer.recognize(text).entities


def test_ticket_prefixes_are_configurable() -> None:
    custom = Recognizer.load(ticket_prefixes=("INC", "RITM"))
    assert custom.recognize("status of ritm 55").entities["number"] == "RITM0000055"
    # With two IT prefixes, "ticket 10023" no longer says which one: no number.
    assert "number" not in custom.recognize("status of ticket 10023").entities


def test_a_hr_number_moves_the_topic_to_the_hr_desk(recognizer: Recognizer) -> None:
    assert recognizer.recognize("status of HRC0001234").topic == "hr.case_details"
    assert recognizer.recognize("any news on hrc 77?").topic == "hr.case_updates"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show all my tickets", "all"),
        ("list my open incidents", "open"),
        ("my resolved tickets", "closed"),
        ("meine offenen Tickets", "open"),
        ("show my tickets", None),
    ],
)
def test_filter_only_when_said(recognizer: Recognizer, text: str, expected: str | None) -> None:
    result = recognizer.recognize(text)
    assert result.topic == "it.list_tickets"
    assert result.entities.get("filter") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my vpn is down, urgent", "high"),
        ("I need Adobe installed, not urgent", "low"),
        ("VPN geht nicht, dringend", "high"),
        ("change the urgency of my laptop ticket to low", "low"),
        ("my mouse is broken", None),
    ],
)
def test_urgency_only_when_said(recognizer: Recognizer, text: str, expected: str | None) -> None:
    assert recognizer.recognize(text).entities.get("urgency") == expected


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        ("add a comment to INC0010023: the printer works again", "the printer works again"),
        ('reply to INC0010023 with "restarted, still broken"', "restarted, still broken"),
        ("update my ticket saying I'm in the office tomorrow", "I'm in the office tomorrow"),
        ("add a note to my ticket", None),
    ],
)
def test_comment_is_the_text_to_add(recognizer: Recognizer, text: str, comment: str | None) -> None:
    result = recognizer.recognize(text)
    assert result.topic == "it.update_ticket"
    assert result.entities.get("comment") == comment


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("create a ticket: excel crashes on big files", "excel crashes on big files"),
        ("can you open an hr case about my missing bonus", "my missing bonus"),
        ("my laptop wont boot", "my laptop wont boot"),
        ("raise a ticket", None),
        ("I'd like to open an HR case", None),
    ],
)
def test_description_is_what_a_create_topic_prefills(
    recognizer: Recognizer, text: str, description: str | None
) -> None:
    assert recognizer.recognize(text).entities.get("description") == description


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   \t\n ",
        "\x00\x01\x1b[31m\u200b",
        "<script>alert('x')</script>",
        "'; DROP TABLE incident; --",
        "number=INC0010023^ORnumberISNOTEMPTY^NQactive=true",
        "{{7*7}} ${jndi:ldap://x} %s%s%s",
        "🙂" * 50,
    ],
)
def test_hostile_text_is_plain_text(recognizer: Recognizer, text: str | None) -> None:
    result = recognizer.recognize(text)
    assert isinstance(result, Recognition)
    assert result.topic in TOPICS
    assert 0.0 <= result.confidence <= 1.0
    assert all(isinstance(v, str) for v in result.entities.values())


def test_query_like_text_yields_at_most_a_clean_number(recognizer: Recognizer) -> None:
    result = recognizer.recognize("number=INC0010023^ORnumberISNOTEMPTY")
    assert result.entities.get("number", "INC0010023") == "INC0010023"
    assert "^" not in json.dumps(result.entities)


def test_markup_and_control_characters_do_not_hide_the_request(recognizer: Recognizer) -> None:
    assert recognizer.recognize("<b>show\x00 my\u200b tickets</b>").topic == "it.list_tickets"


def test_very_long_input_costs_about_the_same_as_a_sentence(recognizer: Recognizer) -> None:
    result = recognizer.recognize("my laptop is broken " * 50_000)
    assert result.topic == "it.create_ticket"
    assert len(result.entities.get("description", "")) <= 1000


def test_recognition_is_deterministic(recognizer: Recognizer) -> None:
    text = "any news on my vpn ticket?"
    assert recognizer.recognize(text) == Recognizer.load().recognize(text)


def test_alternatives_offer_the_next_topics_for_disambiguation(recognizer: Recognizer) -> None:
    result = recognizer.recognize("my ticket")
    assert 1 <= len(result.alternatives) <= 3
    assert result.topic not in [topic for topic, _ in result.alternatives]


def test_admin_override_replaces_a_topics_phrases(tmp_path: Path) -> None:
    override = {"topic": "greeting", "phrases": {"en": ["ahoy matey"]}}
    (tmp_path / "greeting.json").write_text(json.dumps(override), encoding="utf-8")
    assert Recognizer.load(tmp_path).recognize("ahoy matey").topic == "greeting"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"topic": "help", "phrases": {"en": ["x"]}}', "expected 'greeting'"),
        ('{"topic": "greeting", "phrases": ["hi"]}', "field 'phrases'"),
    ],
)
def test_a_broken_trigger_file_is_named_in_one_sentence(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "greeting.json").write_text(content, encoding="utf-8")
    with pytest.raises(TriggerFileError, match=message) as caught:
        Recognizer.load(tmp_path)
    assert "greeting.json" in str(caught.value)


def test_cli_prints_one_json_object_for_a_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert snowdesk(["recognize", "inc 10023 status pls"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row == {
        "text": "inc 10023 status pls",
        "topic": "it.ticket_status",
        "confidence": row["confidence"],
        "entities": {"number": "INC0010023"},
    }


def test_cli_reads_lines_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("payslip wrong again\nwhat's the weather\n"))
    assert snowdesk(["recognize", "-"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["text"], r["topic"]) for r in rows] == [
        ("payslip wrong again", "hr.create_case"),
        ("what's the weather", "none"),
    ]


def test_cli_reports_a_broken_override_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "help.json").write_text("{", encoding="utf-8")
    assert snowdesk(["recognize", "--triggers-dir", str(tmp_path), "help"]) == 2
    err = capsys.readouterr().err
    assert "help.json" in err and "Traceback" not in err


def test_loading_is_quick_enough_for_start_up() -> None:
    started = time.perf_counter()
    Recognizer.load()
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    "text",
    [
        "My laptop won't boot, it's urgent",
        "My laptop wont boot, its urgent",
        "my laptop won’t boot, it’s urgent",
    ],
)
def test_contractions_read_the_same_with_or_without_the_apostrophe(
    recognizer: Recognizer, text: str
) -> None:
    """Employees type fast: the flagship request must not turn into "update my ticket"."""
    recognition = recognizer.recognize(text)
    assert recognition.topic == "it.create_ticket"
    assert recognition.entities["urgency"] == "high"
    assert recognition.entities["description"] == text
