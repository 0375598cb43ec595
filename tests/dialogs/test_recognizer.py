"""The recogniser: the issue's examples, entity normalisation, hostile text, admin overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main as snowdesk
from dialogs._model import LinearModel, TrainingSet
from dialogs._triggers import TOPICS, TriggerFileError
from dialogs.recognizer import DISAMBIGUATION_THRESHOLD, Recognition, Recognizer


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
        ("list my incidents including the resolved ones", "all"),
        ("my tickets, closed ones too", "all"),
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
        ("my laptop is broken and it's blocking me", "high"),
        ("my mouse is broken", None),
        # Naming a thing, not how urgent it is.
        ("please update my emergency contact number", None),
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
        ("tell the tech I'm at home on Friday", "I'm at home on Friday"),
        ("let whoever has my laptop ticket know I'm in tomorrow", "I'm in tomorrow"),
        # A closing thank-you is not part of the comment.
        ("add to INC0010023 that it works now. Thanks!", "it works now"),
        ("add a note to my ticket", None),
    ],
)
def test_comment_is_the_text_to_add(recognizer: Recognizer, text: str, comment: str | None) -> None:
    result = recognizer.recognize(text)
    assert result.topic == "it.update_ticket"
    assert result.entities.get("comment") == comment


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        (
            "add to HRC0001500 that my form is signed",
            {"number": "HRC0001500", "comment": "my form is signed"},
        ),
        ("quick question: any news from HR on my case?", {}),
    ],
)
def test_a_comment_for_hr_goes_to_hr_updates_only_when_asked_to_add_one(
    recognizer: Recognizer, text: str, entities: dict[str, str]
) -> None:
    result = recognizer.recognize(text)
    assert (result.topic, result.entities) == ("hr.case_updates", entities)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("create a ticket: excel crashes on big files", "excel crashes on big files"),
        ("can you open an hr case about my missing bonus", "my missing bonus"),
        ("my laptop wont boot", "my laptop wont boot"),
        # The object after "ticket for", however the request is asked and how urgent it is.
        ("raise an urgent ticket for the lobby printer jamming", "the lobby printer jamming"),
        ("Peux-tu ouvrir un ticket pour un casque neuf ?", "un casque neuf"),
        ("Abre un ticket para un teclado nuevo", "un teclado nuevo"),
        ("Könntest du ein Ticket für einen neuen Bildschirm anlegen?", "einen neuen Bildschirm"),
        ("新しいマウスのチケットを作成してください", "新しいマウス"),
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


def test_two_fits_of_the_same_data_give_the_same_probabilities() -> None:
    """Seeded solver, fixed folds: a rebuilt model (another process, another day) agrees."""
    texts = ("my laptop is broken", "show my tickets", "hello", "tell me a joke") * 6
    labels = ("it.create_ticket", "it.list_tickets", "greeting", "none") * 6
    # Five template groups, so each of the two calibration folds holds lines of every label.
    data = TrainingSet(texts, labels, (1.0,) * 24, tuple(str(i % 5) for i in range(24)))
    first, second = LinearModel(data), LinearModel(data)
    assert first.probabilities("my printer is broken") == second.probabilities(
        "my printer is broken"
    )


def test_alternatives_offer_the_next_topics_for_disambiguation(recognizer: Recognizer) -> None:
    result = recognizer.recognize("my ticket")
    assert 1 <= len(result.alternatives) <= 3
    assert result.topic not in [topic for topic, _ in result.alternatives]


def test_admin_override_replaces_a_topics_phrases(tmp_path: Path) -> None:
    override = {"topic": "greeting", "phrases": {"en": ["ahoy matey"]}}
    (tmp_path / "greeting.json").write_text(json.dumps(override), encoding="utf-8")
    assert Recognizer.load(tmp_path).recognize("ahoy matey").topic == "greeting"


def test_admin_phrases_become_training_data_confident_enough_to_act_on(tmp_path: Path) -> None:
    """A phrase unlike anything built in ("SAP GUI dumps") is learnt, not just matched."""
    override = {"topic": "it.create_ticket", "phrases": {"en": ["SAP GUI short dump again"]}}
    (tmp_path / "it.create_ticket.json").write_text(json.dumps(override), encoding="utf-8")
    result = Recognizer.load(tmp_path).recognize("sap gui short dump again")
    assert result.topic == "it.create_ticket"
    assert result.confidence >= DISAMBIGUATION_THRESHOLD


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


@pytest.mark.parametrize(
    ("text", "topic", "entities"),
    [
        # Paraphrase without the trigger words.
        ("the conference room screen shows no signal again", "it.create_ticket", None),
        ("when will my pay issue get sorted out", "hr.case_updates", {}),
        ("what did I ask HR about last time", "hr.list_cases", {}),
        # Updates vs details vs status vs list, asked as questions.
        ("is my printer ticket still open?", "it.ticket_status", {}),
        ("how many tickets do I have open?", "it.list_tickets", {"filter": "open"}),
        ("has anyone left a comment on my wifi ticket", "it.ticket_updates", {}),
        ("who is working on INC0010321", "it.ticket_details", {"number": "INC0010321"}),
        # Out-of-scope near-misses: other systems, other people, agent actions, chit-chat.
        ("how do I submit my expense claim", "none", {}),
        ("fill in my timesheet for this week", "none", {}),
        ("how much is my bonus going to be", "none", {}),
        ("show me Sam's tickets", "none", {}),
        ("what's Lee's phone number", "none", {}),
        ("move INC0010023 to the desktop team", "none", {}),
        ("assign INC0010023 to me", "none", {}),
        ("close all tickets", "none", {}),
        ("what's 12 times 12", "none", {}),
        # Short conversational moves.
        ("nah forget it", "cancel", {}),
        ("never mind that one", "cancel", {}),
        ("good morning to you", "greeting", {}),
        ("what can you do besides IT?", "help", {}),
        # Typos.
        ("shwo my tikcets", "it.list_tickets", {}),
    ],
)
def test_messages_nobody_wrote_the_triggers_for(
    recognizer: Recognizer, text: str, topic: str, entities: dict[str, str] | None
) -> None:
    """The kinds of failure issue 14 lists (entities None: a create topic's description)."""
    result = recognizer.recognize(text)
    assert result.topic == topic
    assert result.entities == (entities if entities is not None else {"description": text})


def test_someone_elses_record_is_not_mine(recognizer: Recognizer) -> None:
    assert recognizer.recognize("show me my tickets").topic == "it.list_tickets"
    assert recognizer.recognize("show me Priya's tickets").topic == "none"
    # However it is asked, and whatever the words around the name.
    assert recognizer.recognize("put a note on Marek's laptop ticket: loaner ready").topic == "none"
    assert recognizer.recognize("did HR ever answer Ines's HR case").topic == "none"
    assert recognizer.recognize("list my direct reports' open incidents").topic == "none"
    # A possessive that is not a person's record leaves the request alone.
    assert recognizer.recognize("any news on HR's reply to my case").topic == "hr.case_updates"
    assert recognizer.recognize("any update on last week's vpn ticket").topic == "it.ticket_updates"
    # A possessive alone does not make a request out of scope.
    assert recognizer.recognize("my team's printer is jammed").topic == "it.create_ticket"


def test_an_hr_number_alone_is_confident_about_the_hr_desk(recognizer: Recognizer) -> None:
    """Numbers are masked per desk, so "details of HRC…" needs no "Did you mean"."""
    result = recognizer.recognize("details of HRC0001234")
    assert result.topic == "hr.case_details"
    assert result.confidence >= DISAMBIGUATION_THRESHOLD


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


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Sag dem Support, dass der Fehler wieder da ist", "comment", "der Fehler wieder da ist"),
        ("Dis aux RH que mon dossier est complet", "comment", "mon dossier est complet"),
        ("Dile al técnico que estoy en casa", "comment", "estoy en casa"),
        ("Laat HR weten dat ik terug ben", "comment", "ik terug ben"),
        ("担当者に明日は休みだと伝えてください", "comment", "明日は休みだ"),
        (
            "i posted the tax form, could you add that to my case",
            "comment",
            "i posted the tax form",
        ),
        ("please add that the dock is missing to my ticket", "comment", "the dock is missing"),
        ("raise a case with HR about my pension transfer", "description", "my pension transfer"),
        ("new hr case, low priority, about my contract", "description", "my contract"),
        ("チケット作成：マウスが動かない", "description", "マウスが動かない"),
        ("my printer ticket is not urgent any more, set it to normal", "urgency", "medium"),
        ("the label printer is down and it's blocking the whole warehouse", "urgency", "high"),
    ],
)
def test_entities_of_the_third_round(
    recognizer: Recognizer, text: str, entity: str, value: str
) -> None:
    """Comments told to someone in six languages, lead-ins up to "about", levels said plainly."""
    assert recognizer.recognize(text).entities.get(entity) == value


@pytest.mark.parametrize(
    ("text", "topic"),
    [("@Snowdesk where is my monitor ticket", "it.ticket_status"), ("???", "help")],
)
def test_a_mention_is_no_greeting_and_question_marks_ask_for_help(
    recognizer: Recognizer, text: str, topic: str
) -> None:
    assert recognizer.recognize(text).topic == topic
