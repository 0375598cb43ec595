"""CPU per turn of Snowdesk against a minimal stock botbuilder echo bot, interleaved in one run.

    .venv/bin/python bench/cpu_bench.py [--rounds 5] [--turns 30]

Both bots run as processes from this venv (CloudAdapter + aiohttp, anonymous mode), reply to the
same local fake connector, and Snowdesk talks to a standalone emulator process (no latency), so
neither the emulator's nor the driver's CPU is counted. Each round runs, for every task, a block
of `--turns` turns on the echo bot and on Snowdesk, in alternating order; a block's CPU is the
bot process's user + system time (/proc) before and after it. A task's ratio is Snowdesk's CPU per
turn over the echo bot's in the same round (a create is two turns: the sentence and the Submit);
the figure is the median over rounds, with the min-max spread. `--pooled-echo` gives the echo bot
Snowdesk's connector reuse (bot/connector.py): the ratio then shows Snowdesk's own cost.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import _fleet

Task = Callable[["_fleet.User", str], Awaitable[int]]


async def _hi(user: _fleet.User, number: str) -> int:
    await user.say("hi", "hi")
    return 1


async def _help(user: _fleet.User, number: str) -> int:
    await user.say("help", "help")
    return 1


async def _status(user: _fleet.User, number: str) -> int:
    await user.say("status", f"status of {number}")
    return 1


async def _list(user: _fleet.User, number: str) -> int:
    await user.say("list", "show my tickets")
    return 1


async def _create(user: _fleet.User, number: str) -> int:
    await user.say("create", "my keyboard is dead")
    if not user.connector.last[user.conversation_id].get("attachments"):
        await user.say("create", "submit")  # the echo bot: two turns of its own
        return 2
    form = user.last_card()
    inputs = {item["id"]: item.get("value", "") for item in form["body"] if "id" in item}
    await user.press("create", {**form["actions"][0]["data"], **inputs})
    opened = str(user.last_card()["body"][0].get("text", ""))
    assert opened.startswith("I've opened"), opened
    return 2


TASKS: dict[str, Task] = {
    "hi": _hi,
    "help": _help,
    "status": _status,
    "list (cached)": _list,
    "create": _create,
}
GOALS = {"hi": 1.0, "create": 1.5}


async def _block(bot: _fleet.Process, user: _fleet.User, task: Task, number: str, n: int) -> float:
    """CPU seconds per turn of `n` repetitions of `task`."""
    before = bot.cpu_seconds()
    turns = 0
    for _ in range(n):
        turns += await task(user, number)
    return (bot.cpu_seconds() - before) / turns


async def _main(rounds: int, turns: int, pooled: bool) -> None:
    async with (
        _fleet.emulator() as servicenow,
        _fleet.snowdesk(servicenow.url) as snowdesk,
        _fleet.echo_bot(pooled=pooled) as echo,
        _fleet.channel() as (connector, http),
    ):
        number = await _fleet.owned_ticket(servicenow.url)
        users = {
            echo.pid: _fleet.User(echo.url, connector, http),
            snowdesk.pid: _fleet.User(snowdesk.url, connector, http),
        }
        for bot in (echo, snowdesk):  # warm-up: imports, caches, the employee, the connector
            for task in TASKS.values():
                await _block(bot, users[bot.pid], task, number, 3)
        ratios: dict[str, list[float]] = {name: [] for name in TASKS}
        per_turn: dict[str, list[float]] = {name: [] for name in TASKS}
        echo_ms: list[float] = []
        for index in range(rounds):
            for name, task in TASKS.items():
                order = (echo, snowdesk) if index % 2 == 0 else (snowdesk, echo)
                cpu = {
                    bot.pid: await _block(bot, users[bot.pid], task, number, turns) for bot in order
                }
                ratios[name].append(cpu[snowdesk.pid] / cpu[echo.pid])
                per_turn[name].append(cpu[snowdesk.pid] * 1000)
                echo_ms.append(cpu[echo.pid] * 1000)
    which = "echo bot with Snowdesk's pooled connector" if pooled else "stock echo bot"
    print(f"CPU per turn, {rounds} interleaved rounds of {turns} turns per task and bot")
    print(f"  {which}: median {statistics.median(echo_ms):5.2f} ms/turn")
    for name in TASKS:
        values = ratios[name]
        goal = f"   goal ≤ {GOALS[name]:.1f}×" if name in GOALS else ""
        print(
            f"  {name:<14} Snowdesk median {statistics.median(per_turn[name]):5.2f} ms/turn"
            f"   ratio median {statistics.median(values):4.2f}×"
            f" (min {min(values):4.2f}, max {max(values):4.2f}){goal}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--pooled-echo",
        action="store_true",
        help="give the echo bot Snowdesk's connector reuse too: what Snowdesk's own code costs",
    )
    args: Any = parser.parse_args()
    _fleet.run(_main(args.rounds, args.turns, args.pooled_echo))


if __name__ == "__main__":
    main()
