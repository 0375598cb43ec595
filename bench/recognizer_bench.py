"""Median recognition time per message (target: under 2 ms on this machine).

    .venv/bin/python bench/recognizer_bench.py [--rounds 20]

Runs every utterance of the labelled set, plus a 10 000-character message, through the
recogniser; prints the start-up time, the median and the 95th percentile.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    """Time recognition and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.score_recognizer import DEFAULT_SET, load_rows
    from dialogs.recognizer import Recognizer

    started = time.perf_counter()
    recognizer = Recognizer.load()
    load_ms = (time.perf_counter() - started) * 1000
    texts = [row["text"] for row in load_rows(DEFAULT_SET)]
    timings = []
    for _ in range(args.rounds):
        for text in texts:
            began = time.perf_counter()
            recognizer.recognize(text)
            timings.append((time.perf_counter() - began) * 1000)
    long_text = "my laptop is broken " * 500
    long_timings = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        recognizer.recognize(long_text)
        long_timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(f"start-up (load + index)   {load_ms:.1f} ms")
    print(f"messages timed            {len(timings)}")
    print(f"median                    {statistics.median(timings):.3f} ms   (target < 2 ms)")
    print(f"95th percentile           {timings[int(len(timings) * 0.95)]:.3f} ms")
    print(f"10 000-char message       {statistics.median(long_timings):.3f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
