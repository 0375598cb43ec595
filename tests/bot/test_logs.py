"""Log lines: one line per event, key=value context, never a stack trace or an exception message."""

from __future__ import annotations

import logging
import sys

from bot.logs import KeyValueFormatter
from flows.errors import new_reference_id


def _format(record: logging.LogRecord) -> str:
    return KeyValueFormatter().format(record)


def test_a_failure_is_one_line_with_type_and_place_but_not_the_message() -> None:
    try:
        raise RuntimeError("password=hunter2 leaked into a message")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "turn.error",
            (),
            sys.exc_info(),
            extra={"ref": "7f3a9c2e", "conversation_id": "a|livechat"},
        )
    line = _format(record)
    assert "\n" not in line
    assert "event=turn.error" in line and "ref=7f3a9c2e" in line
    assert "conversation_id=a|livechat" in line
    assert "error_type=RuntimeError" in line and "error_at=test_logs.py:" in line
    assert "hunter2" not in line and "Traceback" not in line


def test_reference_ids_are_short_and_distinct() -> None:
    ids = {new_reference_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 8 for i in ids)
