"""Structured logging: one line per event, key=value pairs, a short reference id on failures."""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})))


class KeyValueFormatter(logging.Formatter):
    """`2026-11-25T07:42:26Z INFO snowdesk.bot event=turn.error ref=7f3a9c2e ...`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        parts = [
            self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            record.levelname,
            record.name,
            f"event={_quote(record.getMessage())}",
        ]
        parts += [f"{key}={_quote(value)}" for key, value in fields.items()]
        if record.exc_info and record.exc_info[0] is not None:
            # Where it failed, not the whole trace: enough to find the bug, nothing the
            # exception's message or locals might carry (tokens, passwords, personal data).
            parts.append(f"error_type={record.exc_info[0].__name__}")
            frames = traceback.extract_tb(record.exc_info[2])
            if frames:
                parts.append(f"error_at={Path(frames[-1].filename).name}:{frames[-1].lineno}")
        return " ".join(parts)


def _quote(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return f'"{text}"' if (" " in text or not text) else text


def configure_logging(level: str = "INFO") -> None:
    """Send key=value lines to stderr; stack traces never reach a chat, only this log."""
    formatter = KeyValueFormatter()
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "httpx", "msrest", "msal"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
