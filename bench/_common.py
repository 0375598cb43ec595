"""The harness the desk benchmarks share: the real bot (anonymous, embedded emulator) over HTTP as
the Emulator talks to it, the ServiceNow round trips each turn costs (`/emulator/requests`), and
the time from Submit to the answer card."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _fleet import percentile

REPO = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "bench-admin"

Replies = list[dict[str, Any]]
Trips = Callable[[str, Awaitable[Replies]], Awaitable[Replies]]
Script = Callable[[Any, Trips], Awaitable[None]]


def main(doc: str, script: Script, sentence: str, answer: str) -> int:
    """Run a desk's `script` of turns, then time `--rounds` Submits of forms opened by `sentence`
    (formatted with the round's `index`); print the figures."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    asyncio.run(_run(args.rounds, script, sentence, answer))
    return 0


async def _run(rounds: int, script: Script, sentence: str, answer: str) -> None:
    from tests.desk import bot_and_emulator, desk_settings

    async with bot_and_emulator(desk_settings(ADMIN_PASSWORD)) as (chat, admin):

        async def trips(label: str, turn: Awaitable[Replies]) -> Replies:
            await admin.delete("/emulator/requests")
            replies = await turn
            served = (await admin.get("/emulator/requests")).json()
            paths = ", ".join(
                sorted({r["method"] + " " + r["path"].split("/")[-1] for r in served})
            )
            print(f"{label:<42} {len(served):>2} round trips  ({paths})")
            return replies

        await script(chat, trips)
        await _time_submit(chat, rounds, sentence, answer)


async def _time_submit(chat: Any, rounds: int, sentence: str, answer: str) -> None:
    from tests.desk import form_submit
    from tests.e2e.harness import card_of

    took: list[float] = []
    for index in range(rounds):
        form = card_of((await chat.say(sentence.format(index=index)))[-1])
        started = time.perf_counter()
        card_of((await chat.press(form_submit(form)))[-1])
        took.append((time.perf_counter() - started) * 1000)
    p95 = percentile(took, 0.95)
    median = statistics.median(took)
    print(f"Submit → {answer} over {rounds}: median {median:.1f} ms, p95 {p95:.1f} ms")
