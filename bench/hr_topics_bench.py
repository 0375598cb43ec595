"""ServiceNow round trips per HR topic, and the time from Submit to the case card.

    .venv/bin/python bench/hr_topics_bench.py [--rounds 20]

Runs the real bot (anonymous, embedded emulator) over HTTP as the Emulator does; counts the
requests the emulator served for each turn (`/emulator/requests`) and times Submit → case card.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from _common import Trips, main


async def _script(chat: Any, trips: Trips) -> None:
    from tests.desk import form_submit
    from tests.e2e.harness import card_of

    await trips("first message (resolve the employee)", chat.say("my HR cases"))
    form = card_of(
        (await trips("create: sentence → form (cold)", chat.say("my payslip is wrong")))[0]
    )
    card = card_of((await trips("create: Submit → case card", chat.press(form_submit(form))))[0])
    number = card["body"][0]["text"].split()[3]
    await trips("create: sentence → form (services cached)", chat.say("my payslip is wrong"))
    await chat.press({"verb": "hr.create_case.cancel"})  # close the open form first
    await trips("details: latest case", chat.say("show my HR case"))
    await trips("details: by number", chat.say(f"details of {number}"))
    comment = {"verb": "hr.case_details.comment", "number": number, "comment_key": "b"}
    await trips("details: add a comment", chat.press({**comment, "comment": "Any news?"}))
    await trips("updates: by number", chat.press({"verb": "hr.case_updates", "number": number}))
    await trips("my cases: first page", chat.say("my HR cases"))
    await trips("my cases: next page", chat.press({"verb": "hr.list_cases.page", "offset": 5}))
    again = replace(chat, conversation_id=f"{uuid.uuid4()}|livechat")
    await trips("new conversation, known employee: details", again.say(f"details of {number}"))


if __name__ == "__main__":
    raise SystemExit(main(__doc__ or "", _script, "my payslip is wrong, case {index}", "case card"))
