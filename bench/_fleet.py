"""What the process-level benchmarks share: a standalone emulator, bot processes, the echo bot,
a fake channel connector, users that talk over aiohttp, and /proc readings (CPU, RSS).

Everything listens on 127.0.0.1 and stops when the benchmark does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the benchmarks reuse the e2e tests' fake connector
from tests.e2e.harness import FakeConnector  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "bench-admin"
ADMIN = {"Authorization": "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- processes -------------------------------------------------------------------------------


@dataclass
class Process:
    """A child process listening on `url`."""

    proc: asyncio.subprocess.Process
    url: str

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        """Resident memory now, in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def own_cpu_seconds() -> float:
    """User + system CPU this process (the users and the fake connector) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _wait_listening(port: int, proc: asyncio.subprocess.Process, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listened on {port} within {limit} s")


@asynccontextmanager
async def process(argv: Sequence[str], port: int, env: dict[str, str]) -> AsyncIterator[Process]:
    """Start a child, wait until its port accepts connections, stop it at the end."""
    with tempfile.TemporaryDirectory() as folder:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=folder,
            env={**os.environ, "LOG_LEVEL": "WARNING", **env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _wait_listening(port, proc)
            yield Process(proc, f"http://127.0.0.1:{port}")
        finally:
            if proc.returncode is None:
                proc.terminate()
            await proc.wait()


def emulator(latency_ms: float = 0, *extra: str) -> Any:
    """`snowdesk emulator` on a free port with the demo seed and `latency_ms` per request."""
    port = free_port()
    argv = [str(BIN / "snowdesk"), "emulator", "--port", str(port)]
    argv += ["--latency-ms", str(latency_ms), *extra]
    return process(argv, port, {"SNOWDESK_EMULATOR_ADMIN_PASSWORD": ADMIN_PASSWORD})


def snowdesk(servicenow_url: str, storage_url: str = "memory://", **env: str) -> Any:
    """`snowdesk run` on a free port against a standalone emulator, anonymous local mode."""
    port = free_port()
    settings = {
        "PORT": str(port),
        # One model folder for every bot of every run: only the first start fits the recogniser.
        "SNOWDESK_MODEL_DIR": str(Path(tempfile.gettempdir()) / "snowdesk-bench-model"),
        "SERVICENOW_INSTANCE": servicenow_url,
        "SERVICENOW_AUTH": "basic",
        "SERVICENOW_USERNAME": "admin",
        "SERVICENOW_PASSWORD": ADMIN_PASSWORD,
        "STORAGE_URL": storage_url,
        **env,
    }
    return process([str(BIN / "snowdesk"), "run"], port, settings)


def echo_bot(pooled: bool = False) -> Any:
    """The stock echo bot (`bench/echo_bot.py`) on a free port; `pooled`: with bot/connector.py."""
    port = free_port()
    argv = [sys.executable, str(REPO / "bench" / "echo_bot.py"), "--port", str(port)]
    argv += ["--pooled"] if pooled else []
    return process(argv, port, {})


# -- the channel -----------------------------------------------------------------------------


@dataclass
class Connector(FakeConnector):
    """The e2e tests' fake channel connector, but keeping only counts and the last message per
    conversation, so that a long run does not grow the benchmark's own memory."""

    replies: Counter[str] = field(default_factory=Counter)
    sorry: list[str] = field(default_factory=list)
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # conversation → last message
    # Turns answered 202 at the deadline: their first reply comes later, through the connector.
    awaited: dict[str, asyncio.Event] = field(default_factory=dict)

    async def _receive(self, request: web.Request) -> web.Response:
        activity = await request.json()
        if activity.get("type") == "message":
            reply_to = request.match_info.get("reply_to_id", "")
            self.replies[reply_to] += 1
            self.last[request.match_info["conversation_id"]] = activity
            text = str(activity.get("text") or "")
            if text.startswith("Sorry"):
                self.sorry.append(text)
            if reply_to in self.awaited and not text.startswith("I'm still waiting"):
                self.awaited[reply_to].set()
        return web.json_response({"id": f"r{next(self._ids)}"})

    async def late_reply(self, activity_id: str, within: float) -> bool:
        """Wait for the answer of a turn acknowledged with 202 (not its "still waiting" note)."""
        arrived = self.awaited.setdefault(activity_id, asyncio.Event())
        try:
            async with asyncio.timeout(within):
                await arrived.wait()
        except TimeoutError:
            return False
        finally:
            del self.awaited[activity_id]
        return True


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app in this process on a free loopback port; yields its URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def channel() -> AsyncIterator[tuple[Connector, aiohttp.ClientSession]]:
    """A running fake connector and an HTTP session for users to post with."""
    connector = Connector()
    limits = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with (
        serve(connector.app()) as connector.url,
        aiohttp.ClientSession(connector=limits, timeout=timeout) as http,
    ):
        yield connector, http


# A turn acknowledged with 202 must have answered within this long, or it counts as failed.
LATE_REPLY_S = 60.0


@dataclass
class Turn:
    """One posted activity: what it was, how long the POST took, what came of it."""

    kind: str
    seconds: float
    status: int
    replies: int


@dataclass
class User:
    """One person in one conversation with a bot, posting as the Emulator does."""

    bot_url: str
    connector: Connector
    http: aiohttp.ClientSession
    conversation_id: str = field(default_factory=lambda: f"{uuid.uuid4()}|livechat")

    def _activity(self, **fields: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "id": str(uuid.uuid4()),
            "channelId": "emulator",
            "serviceUrl": self.connector.url,
            "conversation": {"id": self.conversation_id},
            "from": {"id": "user-1", "name": "Abel Tuter", "role": "user"},
            "recipient": {"id": "bot", "name": "Snowdesk", "role": "bot"},
            "locale": "en-US",
            **fields,
        }

    def last_card(self) -> dict[str, Any]:
        """The Adaptive Card of the last message the bot sent in this conversation."""
        card: dict[str, Any] = self.connector.last[self.conversation_id]["attachments"][0][
            "content"
        ]
        return card

    async def say(self, kind: str, text: str) -> Turn:
        """Post a message; a turn ends when the bot's POST returns (its replies are sent)."""
        return await self.post(kind, self._activity(text=text))

    async def press(self, kind: str, data: dict[str, Any]) -> Turn:
        """Press a card button carrying `data`."""
        return await self.post(kind, self._activity(value=data))

    async def post(self, kind: str, activity: dict[str, Any]) -> Turn:
        """Post any activity and time it to its answer. A turn acknowledged at the deadline
        (202) is timed to its first real reply, which it must send within `LATE_REPLY_S`."""
        started = time.perf_counter()
        self.connector.awaited[activity["id"]] = asyncio.Event()
        try:
            async with self.http.post(f"{self.bot_url}/api/messages", json=activity) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        if status == 202 and await self.connector.late_reply(activity["id"], LATE_REPLY_S):
            status = 200
        self.connector.awaited.pop(activity["id"], None)
        took = time.perf_counter() - started
        return Turn(kind, took, status, self.connector.replies.get(activity["id"], 0))


async def owned_ticket(servicenow_url: str) -> str:
    """The number of an open incident the demo employee (Abel Tuter) opened."""
    params = {
        "sysparm_query": "caller_id.user_name=abel.tuter^active=true",
        "sysparm_fields": "number",
        "sysparm_limit": "1",
    }
    async with (
        aiohttp.ClientSession(headers=ADMIN) as http,
        http.get(f"{servicenow_url}/api/now/table/incident", params=params) as answer,
    ):
        number: str = (await answer.json())["result"][0]["number"]
        return number


async def emulator_requests(servicenow_url: str, clear: bool = False) -> list[dict[str, Any]]:
    """The requests the emulator served (and, with `clear`, forget them)."""
    async with aiohttp.ClientSession(headers=ADMIN) as http:
        if clear:
            async with http.delete(f"{servicenow_url}/emulator/requests"):
                return []
        async with http.get(f"{servicenow_url}/emulator/requests") as answer:
            served: list[dict[str, Any]] = await answer.json()
            return served


async def set_faults(servicenow_url: str, **changes: Any) -> None:
    """Change the emulator's injected faults."""
    async with (
        aiohttp.ClientSession(headers=ADMIN) as http,
        http.post(f"{servicenow_url}/emulator/faults", json=changes) as answer,
    ):
        answer.raise_for_status()


# -- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 → p95)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report_turns(turns: Sequence[Turn]) -> None:
    """p50/p95/max per kind of turn, and the failures: HTTP errors and turns with no reply."""
    by_kind: dict[str, list[Turn]] = defaultdict(list)
    for turn in turns:
        by_kind[turn.kind].append(turn)
    for kind, group in sorted(by_kind.items()):
        ms = [turn.seconds * 1000 for turn in group]
        failed = sum(1 for turn in group if turn.status not in (200, 201) or not turn.replies)
        print(
            f"  {kind:<22} n={len(group):>5}  p50 {statistics.median(ms):7.0f} ms"
            f"  p95 {percentile(ms, 0.95):7.0f} ms  max {max(ms):7.0f} ms  failed {failed}"
        )


class RssSampler:
    """Samples processes' RSS every `interval` seconds while running."""

    def __init__(self, processes: Sequence[Process], interval: float = 1.0) -> None:
        self.processes = processes
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB, summed)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        started = time.monotonic()
        while True:
            rss = sum(p.rss_mb() for p in self.processes)
            self.samples.append((time.monotonic() - started, rss))
            await asyncio.sleep(self.interval)

    @property
    def peak(self) -> float:
        """The largest RSS seen, MB."""
        return max((mb for _, mb in self.samples), default=0.0)

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def run(main: Any) -> None:
    """Run a benchmark's coroutine."""
    asyncio.run(main)


def redis() -> Any:
    """A throw-away redis-server on a free port (no persistence)."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    return process(argv, port, {})


def balancer(backends: Sequence[str]) -> Any:
    """`bench/balancer.py` in front of `backends`, round robin."""
    port = free_port()
    argv = [sys.executable, str(REPO / "bench" / "balancer.py"), "--port", str(port)]
    for backend in backends:
        argv += ["--backend", backend]
    return process(argv, port, {})


# -- CPU quotas ------------------------------------------------------------------------------

CGROUP_ROOT = Path("/sys/fs/cgroup")


@contextmanager
def cpu_quota(process: Process, cores: float) -> Iterator[None]:
    """Hold `process` to `cores` of CPU (a cgroup's CFS quota), as if it ran on a node that
    small. Needs root and the cgroup `cpu` controller (v1 or v2); RuntimeError otherwise."""
    v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
    parent = CGROUP_ROOT if v2 else CGROUP_ROOT / "cpu"
    group = parent / f"snowdesk-bench-{process.pid}"
    period = 100_000
    try:
        group.mkdir()
        if v2:
            (group / "cpu.max").write_text(f"{int(cores * period)} {period}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(period))
            (group / "cpu.cfs_quota_us").write_text(str(int(cores * period)))
        (group / "cgroup.procs").write_text(str(process.pid))
    except OSError as error:
        raise RuntimeError(f"cannot limit CPU with a cgroup under {parent}: {error}") from error
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # back to the parent group, so the group can go
            (parent / "cgroup.procs").write_text(str(process.pid))
        with contextlib.suppress(OSError):
            group.rmdir()
