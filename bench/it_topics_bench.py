"""ServiceNow round trips per IT topic, and the time from Submit to the ticket card.

    .venv/bin/python bench/it_topics_bench.py [--rounds 20]

Runs the real bot (anonymous, embedded emulator) over HTTP as the Emulator does; counts the
requests the emulator served for each turn (`/emulator/requests`) and times Submit → ticket card.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "bench-admin"


async def _run(rounds: int) -> None:
    import httpx

    from bot.config import Settings
    from bot.servicenow_setup import ServiceNowConnection, connect
    from tests.e2e.harness import card_of, running_bot

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, storage_url="memory://", emulator_admin_password=ADMIN_PASSWORD
    )
    holder: list[ServiceNowConnection] = []

    async def keep(settings: Settings) -> ServiceNowConnection:
        holder.append(await connect(settings))
        return holder[0]

    async with running_bot(settings, connect_servicenow=keep) as chat:
        auth = ("admin", ADMIN_PASSWORD)
        base = holder[0].client.base_url
        async with httpx.AsyncClient(base_url=base, auth=auth, timeout=10) as admin:

            async def trips(label: str, turn: Any) -> list[dict[str, Any]]:
                await admin.delete("/emulator/requests")
                replies: list[dict[str, Any]] = await turn
                served = (await admin.get("/emulator/requests")).json()
                paths = ", ".join(
                    sorted({r["method"] + " " + r["path"].split("/")[-1] for r in served})
                )
                print(f"{label:<42} {len(served):>2} round trips  ({paths})")
                return replies

            await trips("first message (resolve the employee)", chat.say("show my tickets"))
            form = card_of(
                (await trips("create: sentence → form (cold)", chat.say("keyboard is dead")))[-1]
            )
            card = card_of(
                (await trips("create: Submit → ticket card", chat.press(_submit(form))))[-1]
            )
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
            await _time_submit(chat, rounds, card_of)


def _submit(form: dict[str, Any]) -> dict[str, Any]:
    values = {e["id"]: e.get("value", "") for e in form["body"] if e["type"].startswith("Input.")}
    return {**form["actions"][0]["data"], **values}


async def _time_submit(chat: Any, rounds: int, card_of: Any) -> None:
    took: list[float] = []
    for index in range(rounds):
        form = card_of((await chat.say(f"keyboard is dead, desk {index}"))[-1])
        started = time.perf_counter()
        card_of((await chat.press(_submit(form)))[-1])
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    p95 = took[max(int(len(took) * 0.95) - 1, 0)]
    print(
        f"Submit → ticket card over {rounds}: median {statistics.median(took):.1f} ms, p95 {p95:.1f} ms"
    )


def main() -> int:
    """Count round trips per IT topic and time Submit → ticket card; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    asyncio.run(_run(args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
