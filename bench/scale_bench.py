"""Scale-out: two Snowdesk processes sharing Redis state against one, behind a load balancer.

    .venv/bin/python bench/scale_bench.py [--rounds 2 --seconds 15 --conversations 32 --bot-cores 0.5]

Both set-ups are the same but for the number of bot processes: a fresh redis-server (state),
`snowdesk emulator`, N × `snowdesk run` with STORAGE_URL=redis://…, and `bench/balancer.py`
(round robin, not sticky: a conversation's turns land on alternating processes). Users run back
to back with no think time for `--seconds`: "hi", "show my tickets", "status of INC…", and a create
(sentence → form → Submit, each Submit carrying a token). Set-ups alternate, 1 then 2, for
`--rounds`. Prints turns/s for each, the ratio, lost turns (no reply) and duplicate records: the
incidents carrying a round's token against the Submits sent with it, and each part's CPU.

`--bot-cores 0.5` holds each bot process to half a core (a cgroup CPU quota), so that the
processes, not the machine's cores, bound the throughput: what more nodes would give.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import _fleet
import aiohttp


async def _script(
    user: _fleet.User, number: str, token: str, turns: list[_fleet.Turn], tally: dict[str, int]
) -> None:
    turns.append(await user.say("hi", "hi"))
    turns.append(await user.say("my tickets", "show my tickets"))
    turns.append(await user.say("status", f"status of {number}"))
    turns.append(await user.say("create: sentence", f"my keyboard is dead {token}"))
    if not user.connector.last.get(user.conversation_id, {}).get("attachments"):
        return
    form = user.last_card()
    inputs = {item["id"]: item.get("value", "") for item in form["body"] if "id" in item}
    turns.append(await user.press("create: Submit", {**form["actions"][0]["data"], **inputs}))
    tally["submits"] += 1


async def _user_loop(
    user: _fleet.User, number: str, token: str, stop_at: float, tally: dict[str, int]
) -> list[_fleet.Turn]:
    turns: list[_fleet.Turn] = []
    while time.monotonic() < stop_at:
        await _script(user, number, token, turns, tally)
        user.conversation_id = f"{uuid.uuid4()}|livechat"  # a new conversation each pass
    return turns


async def _records(servicenow_url: str, token: str) -> int:
    params = {
        "sysparm_query": f"short_descriptionLIKE{token}",
        "sysparm_fields": "sys_id",
        "sysparm_limit": "10000",
    }
    async with (
        aiohttp.ClientSession(headers=_fleet.ADMIN) as http,
        http.get(f"{servicenow_url}/api/now/table/incident", params=params) as answer,
    ):
        return len((await answer.json())["result"])


@dataclass
class Round:
    """One set-up's run: throughput, losses, and the CPU each part used (seconds)."""

    rate: float
    lost: int
    submits: int
    records: int
    turns: int
    cpu: dict[str, float]


async def _one(bots: int, args: Any) -> Round:
    """Throughput, losses and CPU per part, for `bots` processes."""
    async with (
        _fleet.redis() as store,
        _fleet.emulator(args.latency_ms) as servicenow,
        AsyncExitStack() as stack,
    ):
        storage = store.url.replace("http://", "redis://") + "/0"
        processes = [
            await stack.enter_async_context(_fleet.snowdesk(servicenow.url, storage))
            for _ in range(bots)
        ]
        if args.bot_cores:
            for bot in processes:
                stack.enter_context(_fleet.cpu_quota(bot, args.bot_cores))
        lb = await stack.enter_async_context(_fleet.balancer([bot.url for bot in processes]))
        parts = {"bots": processes, "balancer": [lb], "emulator": [servicenow], "redis": [store]}
        connector, http = await stack.enter_async_context(_fleet.channel())
        number = await _fleet.owned_ticket(servicenow.url)
        for _ in range(bots):  # every process: imports, connector client, caches
            user = _fleet.User(lb.url, connector, http)
            await _script(user, number, "warm", [], {"submits": 0})
        token = uuid.uuid4().hex[:10]
        tally = {"submits": 0}
        stop_at = time.monotonic() + args.seconds
        cpu_before = _cpu(parts)
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                _user_loop(_fleet.User(lb.url, connector, http), number, token, stop_at, tally)
                for _ in range(args.conversations)
            )
        )
        elapsed = time.monotonic() - started
        cpu = {name: used - cpu_before[name] for name, used in _cpu(parts).items()}
        turns = [turn for group in results for turn in group]
        lost = sum(1 for turn in turns if turn.status not in (200, 201) or not turn.replies)
        records = await _records(servicenow.url, token)
    return Round(len(turns) / elapsed, lost, tally["submits"], records, len(turns), cpu)


def _cpu(parts: dict[str, list[_fleet.Process]]) -> dict[str, float]:
    """CPU seconds used so far by each part, this process (users + connector) included."""
    used = {name: sum(p.cpu_seconds() for p in group) for name, group in parts.items()}
    return {**used, "users + connector": _fleet.own_cpu_seconds()}


def _cpu_line(result: Round) -> str:
    per_turn = 1000 * result.cpu["bots"] / result.turns
    shares = ", ".join(
        f"{name} {100 * seconds / sum(result.cpu.values()):.0f} %"
        for name, seconds in result.cpu.items()
    )
    return f"    bot CPU {per_turn:.2f} ms/turn; share of all CPU used: {shares}"


async def _main(args: Any) -> None:
    rates: dict[int, list[float]] = {1: [], 2: []}
    for index in range(args.rounds):
        for bots in (1, 2):
            result = await _one(bots, args)
            rates[bots].append(result.rate)
            print(
                f"round {index + 1}, {bots} process(es): {result.rate:6.1f} turns/s,"
                f" lost turns {result.lost}, Submits {result.submits},"
                f" incidents created {result.records} (duplicates {result.records - result.submits})"
            )
            print(_cpu_line(result))
    ratio = statistics.median(rates[2]) / statistics.median(rates[1])
    print(
        f"median: 1 process {statistics.median(rates[1]):.1f} turns/s, 2 processes"
        f" {statistics.median(rates[2]):.1f} turns/s, ratio {ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--bot-cores",
        type=float,
        help="hold each bot process to this much CPU (e.g. 0.5; a cgroup quota, needs root), as"
        " if each ran on its own small node: on a 2-core machine the users, emulator, Redis and"
        " balancer otherwise take the cores a second process would need",
    )
    _fleet.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
