"""ServiceNow round trips per IT topic, and the time from Submit to the ticket card.

    .venv/bin/python bench/it_topics_bench.py [--rounds 20]

Runs the real bot (anonymous, embedded emulator) over HTTP as the Emulator does; counts the
requests the emulator served for each turn (`/emulator/requests`) and times Submit → ticket card.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from _common import Trips, main


async def _script(chat: Any, trips: Trips) -> None:
    from tests.desk import form_submit
    from tests.e2e.harness import card_of

    await trips("first message (resolve the employee)", chat.say("show my tickets"))
    form = card_of(
        (await trips("create: sentence → form (cold)", chat.say("keyboard is dead")))[-1]
    )
    card = card_of((await trips("create: Submit → ticket card", chat.press(form_submit(form))))[-1])
    number = card["body"][0]["text"].removeprefix("I've opened ")
    await trips("create: sentence → form (cached)", chat.say("keyboard is dead"))
    await chat.press({"verb": "it.create_ticket.cancel"})
    await trips("status: by number", chat.say(f"status of {number}"))
    await trips("details: by number", chat.say(f"details of {number}"))
    await trips("details: latest", chat.press({"verb": "it.ticket_details"}))
    comment = {"verb": "it.update_ticket.comment", "number": number, "comment_key": "b"}
    await trips("update: add a comment", chat.press({**comment, "comment": "Any news?"}))
    urgency = {"verb": "it.update_ticket.urgency", "number": number, "urgency": "low"}
    await trips("update: change urgency", chat.press(urgency))
    await trips("updates: by number", chat.say(f"any updates on {number}?"))
    await trips("my tickets: first page", chat.say("show my tickets"))
    await trips("my tickets: first page again (cached)", chat.say("show my tickets"))
    again = replace(chat, conversation_id=f"{uuid.uuid4()}|livechat")
    await trips("new conversation, known employee: status", again.say(f"status of {number}"))


if __name__ == "__main__":
    raise SystemExit(main(__doc__ or "", _script, "keyboard is dead, desk {index}", "ticket card"))
