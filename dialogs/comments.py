"""Comments typed in chat, the same way on both desks: shown back before anything is written,
or asked for when the user wants to comment but has not said what yet.

A comment from a card's own form (its Add a comment button) is written at once: the user saw
it. A comment read out of a typed message ("add to INC… that it works again") first comes
back as a filled-in form, so a message never becomes a comment by itself. "add a comment to
INC…" alone makes the topic wait for the next message, which is then the comment.
"""

from __future__ import annotations

import re
import secrets

from botbuilder.dialogs import DialogContext

from cards.common import COMMENT_MAX, confirm_comment_card
from dialogs.base import send_card
from dialogs.forms import AWAITS_TEXT, clean_text, topic_state
from i18n import N_, _

ASK_FOR_COMMENT = N_("What would you like to add to {record}? Type it here, or say “cancel”.")
WAITING_COMMENT = "waiting_for_comment"
# Words that ask to write on a record rather than to read it, in the six languages.
_COMMENTING = re.compile(
    r"\b(?:comment|note|add|reply|respond|tell|let \w+ know|update|kommentar|notiz|hinzuf|"
    r"antwort|mitteil|commentaire|ajout|répond|dis|comentario|añad|respond|dile|opmerking|"
    r"toevoeg|reageer|laat \w+ weten)\w*|コメント|追加|伝え",
    re.IGNORECASE,
)


def asks_to_comment(text: str) -> bool:
    """True when a message about a record asks to write on it ("add a comment to my case")."""
    return bool(_COMMENTING.search(text))


def named(number: str, summary: str) -> str:
    """A record as the user knows it: its number and, when it has one, its summary."""
    return f"{number} ({summary})" if summary else number


async def confirm_comment(
    dc: DialogContext, *, number: str, summary: str, said: str, verb: str
) -> None:
    """Show the typed comment back in the record's comment form, or say why it can't be sent
    (too long: never cut silently)."""
    try:
        text = clean_text(said, field=N_("Your comment"), max_length=COMMENT_MAX, required=True)
    except ValueError as problem:
        await dc.context.send_activity(str(problem))
        return
    card = confirm_comment_card(
        number=number, summary=summary, comment=text, verb=verb, comment_key=secrets.token_hex(8)
    )
    await send_card(dc.context, card)


async def ask_for_comment(dc: DialogContext, *, number: str, summary: str) -> None:
    """Ask what to add; the topic's next message is the comment."""
    state = topic_state(dc)
    state[WAITING_COMMENT] = number
    state[AWAITS_TEXT] = True
    await dc.context.send_activity(_(ASK_FOR_COMMENT).format(record=named(number, summary)))


def waiting_comment(dc: DialogContext) -> str | None:
    """The record whose comment this topic asked for, if it did."""
    number = topic_state(dc).get(WAITING_COMMENT)
    return str(number) if number else None
