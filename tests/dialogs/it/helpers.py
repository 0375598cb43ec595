"""Turn helpers for the IT topic tests: open a ticket through the bot, read cards and texts."""

from __future__ import annotations

from typing import Any

from tests.desk import form_submit
from tests.e2e.harness import Conversation, card_of, texts_of

__all__ = ["card_of", "form_submit", "texts_of"]


def says(replies: list[dict[str, Any]], fragment: str) -> bool:
    """True when a plain-text reply or a card text contains the fragment."""
    for reply in replies:
        if fragment in (reply.get("text") or ""):
            return True
        if reply.get("attachments") and any(fragment in t for t in texts_of(card_of(reply))):
            return True
    return False


async def open_ticket(chat: Conversation, problem: str) -> str:
    """Report a problem through the bot's menu button and return the new ticket's number."""
    form = card_of((await chat.press({"verb": "it.create_ticket"}))[-1])
    answer = card_of((await chat.press(form_submit(form, short_description=problem)))[-1])
    heading = texts_of(answer)[0]
    assert heading.startswith("I've opened INC"), heading
    return heading.removeprefix("I've opened ")
