"""Soak: mixed traffic for minutes with injected ServiceNow faults; does the bot's memory stay flat?

    .venv/bin/python bench/soak_bench.py [--minutes 8 --conversations 40 --think 1 --fault-rate 0.05]

`snowdesk run` with its default SQLite state (in a temporary folder) against `snowdesk emulator`
answering `--fault-rate` of its requests with a 5xx (and 50 ms latency). `--conversations` users
loop through hi, my tickets, status, details and a create (sentence → form → Submit), `--think`
seconds apart, each in its own conversation for the whole run. The bot's RSS is sampled every
5 s; the slope is a least-squares fit after the warm-up (the first fifth of the run, at least
one minute). Prints the RSS at the start, after warm-up and at the end, the slope in MB per
minute, turns, failed turns, "Sorry" answers, and whether the bot process was still alive.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import _fleet


async def _user(
    user: _fleet.User, number: str, think: float, stop_at: float, turns: list[_fleet.Turn]
) -> None:
    steps = [("hi", "hi"), ("my tickets", "show my tickets"), ("status", f"status of {number}")]
    steps += [("details", f"details of {number}"), ("create", "my mouse is broken")]
    while time.monotonic() < stop_at:
        for kind, text in steps:
            turns.append(await user.say(kind, text))
            await asyncio.sleep(think)
        last = user.connector.last.get(user.conversation_id, {})
        if last.get("attachments") and last["attachments"][0]["content"].get("actions"):
            form = user.last_card()
            data = form["actions"][0]["data"]
            if str(data.get("verb", "")).endswith("submit"):
                inputs = {
                    item["id"]: item.get("value", "") for item in form["body"] if "id" in item
                }
                turns.append(await user.press("create Submit", {**data, **inputs}))
                await asyncio.sleep(think)


def _slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB per minute."""
    if len(samples) < 2:
        return 0.0
    xs = [t / 60 for t, _ in samples]
    ys = [mb for _, mb in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


async def _main(args: Any) -> None:
    seconds = args.minutes * 60
    warm_up = max(60.0, seconds / 5)
    async with (
        _fleet.emulator(50) as servicenow,
        _fleet.snowdesk(servicenow.url, "sqlite:///data/snowdesk.db") as bot,
        _fleet.channel() as (connector, http),
    ):
        number = await _fleet.owned_ticket(servicenow.url)
        # Faults only once the benchmark's own set-up read is done.
        await _fleet.set_faults(servicenow.url, error_rate=args.fault_rate)
        turns: list[_fleet.Turn] = []
        stop_at = time.monotonic() + seconds
        async with _fleet.RssSampler([bot], interval=5.0) as rss:
            await asyncio.gather(
                *(
                    _user(_fleet.User(bot.url, connector, http), number, args.think, stop_at, turns)
                    for _ in range(args.conversations)
                )
            )
        alive = bot.proc.returncode is None
    after = [(t, mb) for t, mb in rss.samples if t >= warm_up]
    failed = sum(1 for turn in turns if turn.status not in (200, 201) or not turn.replies)
    print(
        f"soak {args.minutes} min, {args.conversations} conversations, think {args.think} s,"
        f" {100 * args.fault_rate:.0f} % injected 5xx: {len(turns)} turns, failed {failed},"
        f" 'Sorry' answers {len(connector.sorry)}, bot alive at the end: {alive}"
    )
    print(
        f"  RSS start {rss.samples[0][1]:.0f} MB, after warm-up ({warm_up:.0f} s)"
        f" {after[0][1] if after else float('nan'):.0f} MB, end {rss.samples[-1][1]:.0f} MB,"
        f" peak {rss.peak:.0f} MB; slope after warm-up {_slope(after):+.2f} MB/min"
    )
    _fleet.report_turns(turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    _fleet.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
