"""Misbehaviour on purpose: latency, 5xx, 429 bursts, hanging requests and dropped connections.

Probabilities (`*_rate`) make a tester's session realistic; the `*_next` counters make a fault
happen on exactly the next N requests, which is what tests use.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

RATE_LIMIT_BODY = {
    "error": {
        "message": "Rate limit exceeded",
        "detail": "Rate limit of 100 requests per hour for Table API exceeded",
    },
    "status": "failure",
}
RATE_LIMIT_RULE = "5f3e1c2a9b8d4e7f8a6b5c4d3e2f1a0b"
_GATEWAY_PAGE = "<html><head><title>{status}</title></head><body><h1>{title}</h1></body></html>"
_GATEWAY_TITLES = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class FaultSettings(BaseModel):
    """What the emulator does wrong; every field can be changed at run time."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(default=0, ge=0)
    jitter_ms: float = Field(default=0, ge=0)
    error_rate: float = Field(default=0, ge=0, le=1)
    error_next: int = Field(default=0, ge=0)
    error_statuses: list[int] = Field(default_factory=lambda: [500, 502, 503])
    rate_limit_next: int = Field(default=0, ge=0)
    rate_limit_rate: float = Field(default=0, ge=0, le=1)
    retry_after_seconds: int = Field(default=5, ge=0)
    hang_rate: float = Field(default=0, ge=0, le=1)
    hang_next: int = Field(default=0, ge=0)
    hang_seconds: float = Field(default=300, ge=0)
    drop_rate: float = Field(default=0, ge=0, le=1)
    drop_next: int = Field(default=0, ge=0)


@dataclass
class FaultInjector:
    """Decides, per request, which fault (if any) to apply."""

    settings: FaultSettings = field(default_factory=lambda: FaultSettings())
    rng: random.Random = field(default_factory=random.Random)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, changes: dict[str, object]) -> FaultSettings:
        """Merge changes into the settings (validated); returns the new settings."""
        merged = self.settings.model_dump() | changes
        self.settings = FaultSettings.model_validate(merged)
        return self.settings

    def _take(self, counter: str, rate: float) -> bool:
        remaining = getattr(self.settings, counter)
        if remaining > 0:
            self.settings = self.settings.model_copy(update={counter: remaining - 1})
            return True
        return rate > 0 and self.rng.random() < rate

    async def before(self, request: web.Request, now: float) -> web.StreamResponse | None:
        """Apply latency, then maybe answer instead of the handler (None: go on)."""
        settings = self.settings
        delay = settings.latency_ms + self.rng.uniform(0, settings.jitter_ms)
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if self._take("drop_next", settings.drop_rate):
            return _drop(request)
        if self._take("hang_next", settings.hang_rate):
            await self._hang(settings.hang_seconds)
        if self._take("rate_limit_next", settings.rate_limit_rate):
            return _rate_limited(settings.retry_after_seconds, now)
        if self._take("error_next", settings.error_rate) and settings.error_statuses:
            return _server_error(self.rng.choice(settings.error_statuses))
        return None

    async def _hang(self, seconds: float) -> None:
        """Hold the request until the timeout passes or the emulator stops."""
        try:
            await asyncio.wait_for(self.released.wait(), timeout=seconds)
        except TimeoutError:
            return


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer."""
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError("fault injection: connection dropped")


def _rate_limited(retry_after: int, now: float) -> web.Response:
    headers = {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Reset": str(int(now) + retry_after),
        "X-RateLimit-Rule": RATE_LIMIT_RULE,
    }
    return web.json_response(RATE_LIMIT_BODY, status=429, headers=headers)


def _server_error(status: int) -> web.Response:
    if status in _GATEWAY_TITLES:
        page = _GATEWAY_PAGE.format(status=status, title=_GATEWAY_TITLES[status])
        return web.Response(status=status, text=page, content_type="text/html")
    body = {
        "error": {"message": "Internal server error", "detail": "Injected by the emulator"},
        "status": "failure",
    }
    return web.json_response(body, status=status)
