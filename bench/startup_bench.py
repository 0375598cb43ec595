"""Start-up time of `snowdesk run` and the time to the first replies, as a tester meets them.

    .venv/bin/python bench/startup_bench.py [--runs 5]

A first start fits the recogniser and keeps the model; the median is over the restarts after it.

Each run starts `snowdesk run` in a fresh temporary folder (embedded emulator, SQLite state,
anonymous mode) on a free port, waits for its "ready" line, then posts what the Emulator posts
on connect (a conversationUpdate) and a "hi", and times each until its reply was delivered to a
local fake channel connector. Prints the medians. Everything a turn needs is loaded before
"ready"; the one full garbage collection that freezes it runs just after, so a conversation
opened at once waits for it: "process start → welcome card" is the figure a tester meets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNOWDESK = Path(sys.executable).with_name("snowdesk")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _one_run(model_dir: str) -> tuple[float, float, float, float]:
    import httpx

    from tests.e2e.harness import Conversation, fake_connector

    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        # One model folder for every run: the first fits the recogniser, the rest are restarts.
        env = {
            **os.environ,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "SNOWDESK_MODEL_DIR": model_dir,
        }
        started = time.perf_counter()
        bot = await asyncio.create_subprocess_exec(
            str(SNOWDESK), "run", cwd=folder, env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert bot.stdout is not None
            line = (await bot.stdout.readline()).decode()
            ready = time.perf_counter() - started
            assert line.startswith("Snowdesk is ready"), line
            async with fake_connector() as connector, httpx.AsyncClient(timeout=30) as http:
                chat = Conversation(f"http://127.0.0.1:{port}", connector, http)
                welcome = await _timed(chat.join())
                hi = await _timed(chat.say("hi"))
        finally:
            bot.terminate()
            await bot.wait()
    return ready, welcome, ready + welcome, hi


async def _timed(turn: object) -> float:
    started = time.perf_counter()
    replies = await turn  # type: ignore[misc]
    assert replies, "no reply"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as model_dir:
        results = [asyncio.run(_one_run(model_dir)) for _ in range(runs + 1)]
    first, results = results[0], results[1:]
    print(f"first start (fits the recogniser)        {first[0] * 1000:7.0f} ms to the ready line")
    for label, values in zip(
        (
            "start-up (process start → ready line)",
            "welcome card (connect → reply)",
            "process start → welcome card",
            "'hi' → help card",
        ),
        zip(*results, strict=True),
        strict=True,
    ):
        print(
            f"{label:<40} median {statistics.median(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms"
        )


if __name__ == "__main__":
    main()
