"""ServiceNow round trips per HR topic, and the time from Submit to the case card.

    .venv/bin/python bench/hr_topics_bench.py [--rounds 20]

Runs the real bot (anonymous, embedded emulator) over HTTP as the Emulator does; counts the
requests the emulator served for each turn (`/emulator/requests`) and times Submit → case card.
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

            await trips("first message (resolve the employee)", chat.say("my HR cases"))
            form = card_of(
                (await trips("create: sentence → form (cold)", chat.say("my payslip is wrong")))[0]
            )
            card = card_of(
                (await trips("create: Submit → case card", chat.press(_submit(form))))[0]
            )
            number = card["body"][0]["text"].split()[3]
            await trips(
                "create: sentence → form (services cached)", chat.say("my payslip is wrong")
            )
            await chat.press({"verb": "hr.create_case.cancel"})  # close the open form first
            await trips("details: latest case", chat.say("show my HR case"))
            await trips("details: by number", chat.say(f"details of {number}"))
            comment = {"verb": "hr.case_details.comment", "number": number, "comment_key": "b"}
            await trips("details: add a comment", chat.press({**comment, "comment": "Any news?"}))
            await trips(
                "updates: by number", chat.press({"verb": "hr.case_updates", "number": number})
            )
            await trips("my cases: first page", chat.say("my HR cases"))
            await trips(
                "my cases: next page", chat.press({"verb": "hr.list_cases.page", "offset": 5})
            )
            await _time_submit(chat, rounds, card_of)


def _submit(form: dict[str, Any]) -> dict[str, Any]:
    values = {e["id"]: e.get("value", "") for e in form["body"] if e["type"].startswith("Input.")}
    return {**form["actions"][0]["data"], **values}


async def _time_submit(chat: Any, rounds: int, card_of: Any) -> None:
    took: list[float] = []
    for index in range(rounds):
        form = card_of((await chat.say(f"my payslip is wrong, case {index}"))[0])
        started = time.perf_counter()
        card_of((await chat.press(_submit(form)))[0])
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    p95 = took[max(int(len(took) * 0.95) - 1, 0)]
    print(
        f"Submit → case card over {rounds}: median {statistics.median(took):.1f} ms, p95 {p95:.1f} ms"
    )


def main() -> int:
    """Count round trips per HR topic and time Submit → case card; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    asyncio.run(_run(args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
