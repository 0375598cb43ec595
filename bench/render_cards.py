"""Render every card the bot can send as Teams shows it, to PNG, and say what does not fit.

    apt-get install chromium                    # Debian's Chromium: /usr/bin/chromium
    npm ci --prefix bench/render                # adaptivecards, its designer's Teams config, playwright-core
    .venv/bin/python bench/render_cards.py [--width 540] [--out build/card-renders]

Builds each card of `tests/cards/samples.py` with the real builders, renders it with Microsoft's
Adaptive Cards renderer (`adaptivecards` from npm, Markdown by `markdown-it` as Teams renders it)
in headless Chromium with Teams' light host config and styles at the chat column's 540 px, and
writes `<out>/<name>.png` (and `<name>.overflow.png` with its "…" menu open). Prints per card
its size, each row of buttons with the width it needs and has, what the "…" menu holds, and any
button clipped or cut short. Exit 1 when a card shows more than 4 buttons, cuts one short or runs
out of its width. Needs the browser, so it is not part of `./scripts/test`;
`tests/cards/test_layout.py` keeps its rules without one.

Chromium has no Segoe UI here: text falls back to DejaVu Sans, which is wider, so a row that
fits here fits in Teams.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RENDER = REPO / "bench" / "render"
CHROMIUM = Path("/usr/bin/chromium")
MAX_VISIBLE = 4


def main() -> int:
    """Render the samples and print the review; 2 when a tool is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=540, help="card width in px (Teams chat)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "card-renders")
    args = parser.parse_args()
    missing = _missing_tools()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from cards.common import card_to_dict
    from tests.cards.samples import SAMPLE_CARDS

    args.out.mkdir(parents=True, exist_ok=True)
    cards = {name: card_to_dict(build()) for name, build in SAMPLE_CARDS.items()}
    cards_file = args.out / "cards.json"
    cards_file.write_text(json.dumps(cards, indent=1), encoding="utf-8")
    result = subprocess.run(
        ["node", str(RENDER / "render.mjs"), str(cards_file), str(args.out), str(args.width)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stderr.strip(), file=sys.stderr)
        return 1
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    failures = sum(_print(report, args.width) for report in reports)
    print(
        f"{len(reports)} cards rendered at {args.width} px into {args.out}; {failures} do not fit."
    )
    return 1 if failures else 0


def _missing_tools() -> str:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found: install Debian's Chromium with `apt-get install chromium`."
    if shutil.which("node") is None:
        return "node not found: install Node.js (Debian: `apt-get install nodejs npm`)."
    if not (RENDER / "node_modules" / "adaptivecards").is_dir():
        return "the renderer is not installed: run `npm ci --prefix bench/render`."
    return ""


def _print(report: dict[str, Any], width: int) -> bool:
    """One line per card (and one per problem); True when the card does not fit."""
    problems: list[str] = list(report.get("errors") or [])
    rows: list[str] = []
    for row in report.get("rows", []):
        buttons = row["buttons"]
        if not buttons:
            continue
        rows.append(f"[{' | '.join(_button(b) for b in buttons)}] {row['needs']}/{row['room']} px")
        if row["needs"] > row["room"]:
            problems.append(f"the row needs {row['needs']} px but has {row['room']}")
        shown = [b for b in buttons if not b["overflowMenu"]]
        if len(shown) > MAX_VISIBLE:
            problems.append(f"{len(shown)} buttons in a row (at most {MAX_VISIBLE})")
        problems += [f"'{b['title']}' is clipped" for b in buttons if b["clipped"]]
        problems += [f"'{b['title']}' is cut short (…)" for b in buttons if b["truncated"]]
    shown_in_all = sum(
        1 for row in report.get("rows", []) for b in row["buttons"] if not b["overflowMenu"]
    )
    if shown_in_all > MAX_VISIBLE:
        problems.append(f"{shown_in_all} buttons on the card (at most {MAX_VISIBLE})")
    if report.get("overflowing"):
        problems.append(f"content runs past the card's {width} px")
    print(f"{report['name']:<24} {report.get('width', 0):>4}x{report.get('height', 0):<4} px")
    for line in rows:
        print(f"{'':<26}{line}")
    if report.get("overflow"):
        print(f"{'':<26}… {' | '.join(report['overflow'])}")
    for problem in problems:
        print(f"{'':<26}! {problem}")
    return bool(problems)


def _button(button: dict[str, Any]) -> str:
    return "…" if button["overflowMenu"] else str(button["title"])


if __name__ == "__main__":
    sys.exit(main())
