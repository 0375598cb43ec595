"""Load: many conversations at once against one Snowdesk process and an emulator with latency.

    .venv/bin/python bench/load_bench.py steady   [--conversations 200 --think 3 --latency-ms 200]
    .venv/bin/python bench/load_bench.py capacity [--conversations 32 --seconds 15 --latency-ms 0]
    .venv/bin/python bench/load_bench.py burst    [--conversations 1000 --think 3 --latency-ms 200]

Each user opens a new conversation and runs a 4-turn script, `--think` seconds between turns:
"hi" (help card, no ServiceNow), "show my tickets" (the list, kept per employee for a minute;
the employee is known from an earlier conversation), "status of INC…" (one read) and "details
of INC…" (one read: the ticket; its attachment list is kept from the warm-up's read for a
minute, `flows/it.py: LIST_TTL_S`). `steady` starts the users spread over one think time;
`burst` starts them all at once; `capacity` runs users back to back with no think time for
`--seconds` and prints turns per second. The bot is `snowdesk run` (memory state) against
`snowdesk emulator --latency-ms`, both separate processes; users and the fake connector share
this process. Failed = HTTP error or no reply; "Sorry" answers (busy, unavailable) are counted
apart. RSS is the bot process's, sampled every second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

import _fleet


async def _script(
    user: _fleet.User, number: str, think: float, turns: list[_fleet.Turn], stop_at: float
) -> None:
    steps = [
        ("hi (no read)", "hi"),
        ("my tickets (cached)", "show my tickets"),
        ("status (one read)", f"status of {number}"),
        ("details (one read)", f"details of {number}"),
    ]
    for index, (kind, text) in enumerate(steps):
        if index and think:
            await asyncio.sleep(think)
        turns.append(await user.say(kind, text))
        if time.monotonic() > stop_at:
            return


async def _main(args: Any) -> None:
    async with (
        _fleet.emulator(args.latency_ms) as servicenow,
        _fleet.snowdesk(servicenow.url, **_bot_settings(args)) as bot,
        _fleet.channel() as (connector, http),
    ):
        number = await _fleet.owned_ticket(servicenow.url)
        # Warm-up: one conversation, so imports, connector client and caches are made.
        await _script(_fleet.User(bot.url, connector, http), number, 0, [], float("inf"))
        turns: list[_fleet.Turn] = []
        cpu_before = bot.cpu_seconds()
        servicenow_before = servicenow.cpu_seconds()
        driver_before = _fleet.own_cpu_seconds()
        started = time.monotonic()
        async with _fleet.RssSampler([bot]) as rss:
            if args.mode == "capacity":
                await _capacity(args, bot.url, connector, http, number, turns)
            else:
                spread = args.think if args.mode == "steady" else 0.0
                await asyncio.gather(
                    *(
                        _delayed(
                            random.uniform(0, spread), bot.url, connector, http, number, args, turns
                        )
                        for _ in range(args.conversations)
                    )
                )
        elapsed = time.monotonic() - started
        cpu = bot.cpu_seconds() - cpu_before
        servicenow_cpu = servicenow.cpu_seconds() - servicenow_before
        driver_cpu = _fleet.own_cpu_seconds() - driver_before
    print(
        f"{args.mode}: {args.conversations} conversations, think {args.think} s, "
        f"ServiceNow latency {args.latency_ms:.0f} ms, max concurrency"
        f" {args.max_concurrency or 32}, {len(turns)} turns in {elapsed:.1f} s"
    )
    _fleet.report_turns(turns)
    failed = sum(1 for turn in turns if turn.status not in (200, 201) or not turn.replies)
    busy = sum(1 for text in connector.sorry if "busy" in text)
    print(
        f"  errors {failed}, 'Sorry' answers {len(connector.sorry)} (busy {busy}),"
        f" {len(turns) / elapsed:.1f} turns/s, bot CPU {100 * cpu / elapsed:.0f} % of a core,"
        f" bot RSS peak {rss.peak:.0f} MB; CPU of the emulator {100 * servicenow_cpu / elapsed:.0f} %,"
        f" of users + connector {100 * driver_cpu / elapsed:.0f} %"
    )


def _bot_settings(args: Any) -> dict[str, str]:
    if args.max_concurrency is None:
        return {}
    return {"SERVICENOW_MAX_CONCURRENCY": str(args.max_concurrency)}


async def _delayed(
    delay: float,
    bot_url: str,
    connector: _fleet.Connector,
    http: Any,
    number: str,
    args: Any,
    turns: list[_fleet.Turn],
) -> None:
    await asyncio.sleep(delay)
    user = _fleet.User(bot_url, connector, http)
    await _script(user, number, args.think, turns, float("inf"))


async def _capacity(
    args: Any,
    bot_url: str,
    connector: _fleet.Connector,
    http: Any,
    number: str,
    turns: list[_fleet.Turn],
) -> None:
    stop_at = time.monotonic() + args.seconds

    async def user_loop() -> None:
        while time.monotonic() < stop_at:
            await _script(_fleet.User(bot_url, connector, http), number, 0, turns, stop_at)

    await asyncio.gather(*(user_loop() for _ in range(args.conversations)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("mode", choices=("steady", "capacity", "burst"))
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--think", type=float)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--max-concurrency", type=int, help="the bot's SERVICENOW_MAX_CONCURRENCY (default 32)"
    )
    args = parser.parse_args()
    defaults = {
        "steady": (200, 3.0, 200.0),
        "capacity": (32, 0.0, 0.0),
        "burst": (1000, 3.0, 200.0),
    }[args.mode]
    args.conversations = args.conversations or defaults[0]
    args.think = defaults[1] if args.think is None else args.think
    args.latency_ms = defaults[2] if args.latency_ms is None else args.latency_ms
    _fleet.run(_main(args))


if __name__ == "__main__":
    main()
