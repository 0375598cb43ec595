"""`snowdesk recognize`: show how the bot understands a message, as JSON.

    snowdesk recognize "inc 10023 status pls"
    snowdesk recognize - < utterances.txt      # one JSON object per input line

Admins use it to check their trigger phrases (SNOWDESK_TRIGGERS_DIR); scripts use it to score.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from dialogs.recognizer import Recognizer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `snowdesk recognize`."""
    parser.add_argument("text", help='the message to recognise, or "-" to read lines from stdin')
    parser.add_argument(
        "--triggers-dir",
        type=Path,
        default=None,
        help="directory of trigger phrase overrides (default: SNOWDESK_TRIGGERS_DIR)",
    )
    parser.add_argument(
        "--ticket-prefixes",
        default=None,
        help="comma-separated IT number prefixes (default: SNOWDESK_TICKET_PREFIXES or INC)",
    )


def main(args: argparse.Namespace) -> int:
    """Print one JSON object per message: text, topic, confidence, entities."""
    from bot.config import Settings
    from dialogs._triggers import TriggerFileError
    from dialogs.recognizer import Recognizer

    settings = Settings()
    if args.ticket_prefixes is not None:
        settings = settings.model_copy(update={"ticket_prefixes": args.ticket_prefixes})
    try:
        recognizer = Recognizer.load(
            args.triggers_dir or settings.triggers_dir, settings.ticket_prefix_list
        )
    except TriggerFileError as exc:
        print(f"snowdesk recognize: {exc}", file=sys.stderr)
        return 2
    lines = sys.stdin if args.text == "-" else [args.text]
    for line in lines:
        _print(recognizer, line.rstrip("\r\n"), sys.stdout)
    return 0


def _print(recognizer: Recognizer, text: str, out: TextIO) -> None:
    result = recognizer.recognize(text)
    row = {
        "text": text,
        "topic": result.topic,
        "confidence": result.confidence,
        "entities": result.entities,
    }
    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
