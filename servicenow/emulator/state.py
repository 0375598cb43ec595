"""What one running emulator holds: the database, tokens, faults, the request log and a clock."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from servicenow.emulator.acl import Actor
from servicenow.emulator.auth import TokenStore
from servicenow.emulator.db import Database
from servicenow.emulator.faults import FaultInjector
from servicenow.emulator.oidc import OidcProvider
from servicenow.emulator.records import utc_text
from servicenow.emulator.webhook import WebhookSender

REQUEST_LOG_SIZE = 2000


@dataclass
class EmulatorState:
    """Shared by every handler of one emulator app."""

    db: Database
    tokens: TokenStore
    faults: FaultInjector
    clock: Callable[[], float] = time.time
    basic_cache: dict[str, tuple[Actor, float]] = field(default_factory=dict)
    # Browser sign-ins for record pages: session cookie value -> (user sys_id, expiry).
    sessions: dict[str, tuple[str, float]] = field(default_factory=dict)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    # Record-changed events for the bot (set its `target` to turn them on).
    webhook: WebhookSender = field(default_factory=lambda: WebhookSender(time.time))
    # Entra-style bearer tokens (an OIDC provider registered on the instance); None = off.
    oidc: OidcProvider | None = None

    def now_text(self) -> str:
        """Now, as ServiceNow writes UTC datetimes."""
        return utc_text(self.clock())


STATE: web.AppKey[EmulatorState] = web.AppKey("emulator_state", EmulatorState)
