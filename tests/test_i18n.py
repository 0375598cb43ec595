"""The message catalogues: complete in every language, in step with the code, and the turn's
language resolved and applied as documented (i18n/__init__.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import i18n
from dialogs.language import guess_language
from i18n import LANGUAGES, LOCALES_DIR, N_, _, format_moment, language_of_locale, speaking

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "cards", "dialogs", "flows", "topics", "i18n")
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != i18n.DEFAULT)
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _template() -> list[str]:
    with (LOCALES_DIR / "snowdesk.pot").open("rb") as pot:
        return [message.id for message in read_po(pot) if message.id]


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_the_template_holds_exactly_the_messages_the_code_marks() -> None:
    """`./scripts/extract-messages` was run after the last change of a marked string."""
    marked = {
        str(message)
        for package in PACKAGES
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / package, keywords={"_": None, "N_": None}
        )
    }
    assert marked == set(_template())


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "snowdesk.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    translated = {m.id: m for m in catalog if m.id}
    missing = [msgid for msgid in _template() if msgid not in translated]
    assert not missing, f"{lang}: not in the catalogue: {missing}"
    for msgid, message in translated.items():
        assert isinstance(message.string, str) and message.string.strip(), f"{lang}: {msgid!r}"
        assert not message.fuzzy, f"{lang}: fuzzy {msgid!r}"
        assert _placeholders(message.string) == _placeholders(msgid), f"{lang}: {msgid!r}"
        # A format string must still format: no stray brace in the translation.
        message.string.format(**{name: "x" for name in _placeholders(msgid)})


def test_messages_follow_the_turns_language_and_english_is_the_msgid() -> None:
    assert _("Submit") == "Submit"
    with speaking("de"):
        assert _("Submit") == "Senden"
        with speaking("ja"):
            assert _("Submit") == "送信"
        assert _("Submit") == "Senden"
    with speaking("pt"):  # not one of ours: English
        assert _("Submit") == "Submit"
    assert N_("Submit") == "Submit"


@pytest.mark.parametrize(
    ("locale", "language"),
    [("de-DE", "de"), ("fr_CA", "fr"), ("ES", "es"), ("nl-BE", "nl"), ("ja-JP", "ja")]
    + [("en-GB", "en"), ("pt-BR", None), ("", None), (None, None)],
)
def test_a_channel_locale_names_one_of_the_languages(
    locale: str | None, language: str | None
) -> None:
    assert language_of_locale(locale) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my laptop won't boot", "en"),
        ("Mein Laptop startet nicht, es ist dringend", "de"),
        ("où en est mon ticket", "fr"),
        ("¿cómo va mi ticket?", "es"),
        ("waar staat mijn ticket", "nl"),
        ("ノートPCが起動しない", "ja"),
        ("INC0010001", None),  # a number says nothing about a language
        ("", None),
    ],
)
def test_the_language_of_a_message_without_a_locale(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_dates_are_written_as_each_language_writes_them() -> None:
    moment = datetime(2025, 3, 12, 13, 5, tzinfo=UTC)
    written = {}
    for lang in LANGUAGES:
        with speaking(lang):
            written[lang] = format_moment(moment)
    assert written["en"] == "12 Mar 2025, 13:05"
    assert written["de"] == "12. März 2025, 13:05"
    assert written["fr"] == "12 mars 2025 à 13:05"
    assert written["ja"] == "2025年3月12日 13:05"
    assert all("13:05" in text for text in written.values())
