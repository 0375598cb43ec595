"""Whole conversations in another language, end to end through /api/messages: every text the
bot shows must come from that language's catalogue, never an English msgid left over."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.config import Settings
from i18n import LOCALES_DIR
from tests.desk import form_submit
from tests.e2e.harness import Conversation, card_of, running_bot, texts_of

# Card properties people read; `data` (what buttons send back) and input ids are not shown.
_SHOWN = frozenset({"text", "title", "label", "placeholder", "errorMessage", "fallbackText"})
_PLACEHOLDER = re.compile(r"\\\{\w*\\\}")
# Shorter msgids ("none", "HR") are only checked as whole texts: as parts they match words.
_SUBSTRING_MIN = 8


class EnglishLeftovers:
    """The English catalogue (the msgids) seen from one language: each msgid whose translation
    differs, as a whole text, a part of one, or (with placeholders) a pattern."""

    def __init__(self, lang: str) -> None:
        with (LOCALES_DIR / lang / "LC_MESSAGES" / "snowdesk.po").open("rb") as po:
            messages = [m for m in read_po(po, locale=lang) if m.id and m.id != m.string]
        plain = [str(m.id) for m in messages if "{" not in m.id]
        self.whole = frozenset(plain)
        self.parts = [msgid for msgid in plain if len(msgid) >= _SUBSTRING_MIN]
        self.patterns = [
            re.compile(_PLACEHOLDER.sub(".+?", re.escape(m.id))) for m in messages if "{" in m.id
        ]

    def found_in(self, text: str) -> list[str]:
        """The English the text shows."""
        found = [text] if text in self.whole else []
        found += [msgid for msgid in self.parts if msgid in text]
        found += [p.pattern for p in self.patterns if p.fullmatch(text)]
        return found


def shown(reply: dict[str, Any]) -> Iterator[str]:
    """Every text a reply shows: its message text, each card text, title, label, placeholder,
    error message, choice title and fact (of nested cards too)."""
    if reply.get("text"):
        yield from str(reply["text"]).split("\n\n")
    for attachment in reply.get("attachments") or []:
        yield from _card_texts(attachment.get("content"))


def _card_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data":
                continue
            if key in _SHOWN and isinstance(value, str):
                yield value
            elif key == "facts":
                for fact in value:
                    yield from (fact["title"], fact["value"])
            else:
                yield from _card_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _card_texts(item)


def assert_no_english(replies: list[dict[str, Any]], leftovers: EnglishLeftovers) -> None:
    for reply in replies:
        for text in shown(reply):
            assert not leftovers.found_in(text), f"English left in {text!r}"


async def _conversation(chat: Conversation, script: dict[str, str]) -> list[dict[str, Any]]:
    """Welcome, create from one sentence, list, details, updates, help, cancel: every reply."""
    replies = await chat.join()
    form_replies = await chat.say(script["create"])
    form = card_of(form_replies[-1])
    created = await chat.press(form_submit(form))
    number = next(t for t in texts_of(card_of(created[-1])) if "INC" in t).split("INC")[1]
    number = "INC" + number.split()[0]
    listing = await chat.say(script["list"])
    row = next(
        item["selectAction"]["data"]
        for item in card_of(listing[-1])["body"]
        if item.get("selectAction", {}).get("data", {}).get("number") == number
    )
    details = await chat.press(row)
    updates = await chat.say(script["updates"].format(number=number))
    help_ = await chat.say(script["help"])
    second_form = await chat.say(script["create_other"])
    cancelled = await chat.say(script["cancel"])
    nothing = await chat.say(script["cancel"])
    replies += form_replies + created + listing + details + updates + help_
    replies += second_form + cancelled + nothing
    assert all(r.get("type") == "message" for r in replies)
    return replies


async def test_a_german_conversation_runs_entirely_in_german() -> None:
    """de-DE: "Mein Laptop startet nicht, es ist dringend" → the form in German (categories in
    German from sys_choice); Senden → "Ich habe INC… eröffnet"; "Zeig meine Tickets" → the list;
    its row → the details; "Gibt es Neuigkeiten zu INC…?" → German sentences with a German date;
    "Hilfe" → the menu; a second form, "abbrechen" → cancelled; "abbrechen" → nothing to cancel."""
    settings = Settings(_env_file=None, storage_url="memory://")
    async with running_bot(settings) as chat:
        chat.extra["locale"] = "de-DE"
        replies = await _conversation(
            chat,
            {
                "create": "Mein Laptop startet nicht, es ist dringend",
                "list": "Zeig meine Tickets",
                "updates": "Gibt es Neuigkeiten zu {number}?",
                "help": "Hilfe",
                "create_other": "Mein Drucker druckt nicht",
                "cancel": "abbrechen",
            },
        )
    texts = [text for reply in replies for text in shown(reply)]
    assert "Ein IT-Problem melden" in texts
    assert "Hardware" in texts and "Netzwerk" in texts  # the instance's German labels
    assert any(t.startswith("Ich habe INC") and t.endswith(" eröffnet") for t in texts)
    assert "OK, ich habe das abgebrochen. Es wurde nichts angelegt." not in texts  # router's
    assert "OK, ich habe aufgehört. An ServiceNow wurde nichts gesendet." in texts
    assert "Es gibt nichts abzubrechen. Was kann ich für Sie tun?" in texts
    assert any(re.search(r"\d{1,2}\. \w+\.? \d{4}, \d\d:\d\d", t) for t in texts)  # a German date
    assert_no_english(replies, EnglishLeftovers("de"))


@pytest.mark.parametrize(
    ("locale", "script", "expected"),
    [
        (
            "fr-FR",
            {
                "create": "Mon ordinateur portable ne démarre pas, c'est urgent",
                "list": "mes tickets",
                "updates": "Quoi de neuf sur {number} ?",
                "help": "aide",
                "create_other": "Mon imprimante ne marche plus",
                "cancel": "annuler",
            },
            "Signaler un problème informatique",
        ),
        (
            "ja-JP",
            {
                "create": "ノートPCが起動しません。急ぎです",
                "list": "チケット一覧",
                "updates": "{number} の最新情報は？",
                "help": "ヘルプ",
                "create_other": "プリンターが動きません",
                "cancel": "キャンセル",
            },
            "IT の問題を報告",
        ),
    ],
)
async def test_another_language_has_no_english_leftovers_either(
    locale: str, script: dict[str, str], expected: str
) -> None:
    settings = Settings(_env_file=None, storage_url="memory://")
    async with running_bot(settings) as chat:
        chat.extra["locale"] = locale
        replies = await _conversation(chat, script)
    assert expected in [text for reply in replies for text in shown(reply)]
    assert_no_english(replies, EnglishLeftovers(locale[:2]))


async def test_without_a_locale_the_bot_answers_in_the_language_it_was_written_to() -> None:
    """No `locale` (Web Chat, Direct Line): "Hilfe" → the German menu; pressing one of its
    buttons (no text to read) → still German; "help" → English again."""
    settings = Settings(_env_file=None, storage_url="memory://")
    async with running_bot(settings) as chat:
        chat.extra["locale"] = None
        menu = card_of((await chat.say("Hilfe"))[-1])
        assert menu["actions"][0]["title"] == "IT fragen"
        pressed = card_of((await chat.press(menu["actions"][0]["data"]))[-1])
        assert texts_of(pressed)[0] == "Ein IT-Problem melden"
        english = card_of((await chat.say("help"))[-1])
        assert english["actions"][0]["title"] == "Ask IT"
