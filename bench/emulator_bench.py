"""Emulator speed: 10 000 incidents, median of a filtered+ordered+paged list and of a single GET.

Targets (issue 3): list under 20 ms, single record under 5 ms (median, this machine).
The timings use one keep-alive httpx client, as the bot talks to the emulator; the `raw` lines
repeat two of them over a bare HTTP/1.1 connection to show how much of that is httpx's own work.
Run: .venv/bin/python bench/emulator_bench.py [--incidents 10000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from servicenow.emulator import records
from servicenow.emulator.acl import Actor
from servicenow.emulator.schema import TABLES
from servicenow.emulator.server import RunningEmulator, start_emulator

ADMIN_PASSWORD = "bench-admin"
T = TypeVar("T")


def _loader(count: int) -> Callable[[sqlite3.Connection], list[str]]:
    """Insert `count` incidents for 50 callers through the normal insert path (one transaction)."""

    def work(conn: sqlite3.Connection) -> list[str]:
        callers = [row[0] for row in conn.execute("SELECT sys_id FROM sys_user LIMIT 50")]
        admin = Actor(callers[0], "admin", "System Administrator", frozenset({"admin"}))
        for number in range(count):
            values = {
                "caller_id": callers[number % len(callers)],
                "short_description": f"Bench incident {number}",
                "state": str((1, 2, 3, 6, 7)[number % 5]),
                "urgency": str(number % 3 + 1),
                "impact": str(number // 3 % 3 + 1),
            }
            minute = number % 60
            stamp = f"2026-02-{number % 28 + 1:02d} 10:{minute:02d}:00"
            records.insert(conn, TABLES["incident"], values, admin, stamp)
        return callers

    return work


async def median_ms(
    client: httpx.AsyncClient, url: str, params: dict[str, str], rounds: int
) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get(url, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return statistics.median(timings)


async def raw_median_ms(base_url: str, path: str, auth: tuple[str, str], rounds: int) -> float:
    """Median GET over one kept-alive connection with no client library: server plus loopback."""
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    token = base64.b64encode(":".join(auth).encode()).decode()
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {token}\r\n\r\n"
    reader, writer = await asyncio.open_connection(host, port)
    timings = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            writer.write(request.encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            if not head.startswith("HTTP/1.1 200"):
                raise RuntimeError(head.splitlines()[0])
            length = next(
                int(line.split(":", 1)[1])
                for line in head.splitlines()
                if line.lower().startswith("content-length:")
            )
            await reader.readexactly(length)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        writer.close()
        await writer.wait_closed()
    return statistics.median(timings)


class ServerThread:
    """The emulator on its own event loop in a thread, as `snowdesk run` or a separate process
    would serve it, so the client's own work is not queued behind the server's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


async def run(server: ServerThread, incidents: int, rounds: int) -> None:
    started = time.perf_counter()
    emulator: RunningEmulator = server.run(
        start_emulator(seed="demo", admin_password=ADMIN_PASSWORD)
    )
    print(f"emulator start (demo seed): {(time.perf_counter() - started) * 1000:.0f} ms")
    try:
        started = time.perf_counter()
        callers = server.run(emulator.state.db.call(_loader(incidents)))
        print(f"loaded {incidents} incidents in {time.perf_counter() - started:.1f} s")
        auth = ("admin", ADMIN_PASSWORD)
        async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
            list_params = {
                "sysparm_query": f"caller_id={callers[7]}^stateIN1,2,3^ORDERBYDESCsys_updated_on",
                "sysparm_limit": "10",
                "sysparm_offset": "20",
                "sysparm_display_value": "true",
                "sysparm_exclude_reference_link": "true",
                "sysparm_fields": "number,short_description,state,priority,sys_updated_on,caller_id",
            }
            first = await client.get("/api/now/table/incident", params=list_params)
            print(f"list matches: X-Total-Count {first.headers['X-Total-Count']}")
            sys_id = (await client.get("/api/now/table/incident?sysparm_limit=1")).json()["result"][
                0
            ]["sys_id"]
            list_ms = await median_ms(client, "/api/now/table/incident", list_params, rounds)
            one_ms = await median_ms(client, f"/api/now/table/incident/{sys_id}", {}, rounds)
            floor_ms = await median_ms(client, "/emulator/faults", {}, rounds)
            full_page = {**list_params, "sysparm_fields": "", "sysparm_display_value": "false"}
            full_ms = await median_ms(client, "/api/now/table/incident", full_page, rounds)
        one_path = f"/api/now/table/incident/{sys_id}"
        raw_one_ms = await raw_median_ms(emulator.base_url, one_path, auth, rounds)
        raw_floor_ms = await raw_median_ms(emulator.base_url, "/emulator/faults", auth, rounds)
    finally:
        server.run(emulator.stop())
    print(f"median filtered+ordered+paged list (10 rows, display values): {list_ms:.2f} ms")
    print(f"median filtered+ordered+paged list (10 rows, all fields):    {full_ms:.2f} ms")
    print(f"median single-record GET (all fields):                        {one_ms:.2f} ms")
    print(f"floor: median GET /emulator/faults (no database work):        {floor_ms:.2f} ms")
    print(f"raw (no httpx): median single-record GET:                     {raw_one_ms:.2f} ms")
    print(f"raw (no httpx): median GET /emulator/faults:                  {raw_floor_ms:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    server = ServerThread()
    try:
        asyncio.run(run(server, args.incidents, args.rounds))
    finally:
        server.close()


if __name__ == "__main__":
    main()
