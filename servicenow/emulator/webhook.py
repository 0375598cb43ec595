"""The emulator's stand-in for the business rule of docs/NOTIFICATIONS.md: when an incident or
HR case is updated, it POSTs a signed record-changed event to a configured URL.

The event and its signature are what the documented business rule sends: a JSON body
`{event_id, table, sys_id, number, changed, updated_by}`, `X-Snowdesk-Timestamp` (Unix seconds)
and `X-Snowdesk-Signature: sha256=<base64 HMAC-SHA256 of "<timestamp>.<body>">`. Delivery is in
the background, so the Table API answers as fast as before; a failed delivery is logged only
(the bot's poller catches what a webhook missed).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import aiohttp

log = logging.getLogger(__name__)

TABLES = frozenset({"incident", "sn_hr_core_case"})
TIMEOUT_S = 10.0


@dataclass
class WebhookTarget:
    """Where record-changed events go, and the secret they are signed with."""

    url: str
    secret: str = field(repr=False)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for one body (shared with the bot's tests)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def event_body(table: str, row: dict[str, str], changed: Iterable[str], updated_by: str) -> bytes:
    """The event as the business rule writes it; its id is the record's sys_id and mod count,
    so the same update sent twice is one event."""
    event = {
        "event_id": f"{row['sys_id']}:{row.get('sys_mod_count', '0')}",
        "table": table,
        "sys_id": row["sys_id"],
        "number": row.get("number", ""),
        "changed": sorted(set(changed)),
        "updated_by": updated_by,
    }
    return json.dumps(event, separators=(",", ":")).encode()


class WebhookSender:
    """Fires events in the background; `tasks` lets a test or shutdown wait for them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.target: WebhookTarget | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self._clock = clock

    def record_changed(
        self, table: str, row: dict[str, str], changed: Iterable[str], updated_by: str
    ) -> None:
        """An update of `row` was committed: send its event, when a target is set."""
        target = self.target
        if target is None or table not in TABLES:
            return
        body = event_body(table, row, changed, updated_by)
        task = asyncio.ensure_future(self._send(target, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, target: WebhookTarget, body: bytes) -> None:
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "X-Snowdesk-Timestamp": timestamp,
            "X-Snowdesk-Signature": sign(target.secret, timestamp, body),
        }
        try:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(target.url, data=body, headers=headers) as response,
            ):
                if response.status >= 400:
                    log.warning("emulator webhook refused", extra={"status": response.status})
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("emulator webhook failed", extra={"error_type": type(error).__name__})

    async def close(self) -> None:
        """Let events in flight finish (bounded by their timeout)."""
        await asyncio.gather(*list(self.tasks), return_exceptions=True)
