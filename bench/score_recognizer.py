"""Score the recogniser on a labelled set: intent accuracy, out-of-scope recall, macro-F1, entities.

    .venv/bin/python bench/score_recognizer.py [tests/dialogs/utterances.jsonl] [--triggers-dir DIR]

Each line of the set is `{"text", "lang", "topic", "entities"}`. Entity exact match compares the
whole entity dict of every in-scope utterance (so a spurious entity counts as a miss too); free
text (comment, description) is compared ignoring case, spacing and trailing punctuation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET = REPO / "tests" / "dialogs" / "utterances.jsonl"
TARGETS = {"english": 0.95, "other": 0.85, "oos_recall": 0.90, "entities": 0.95}


@dataclass
class Scores:
    """The figures the issue's targets are stated in (fractions, 0..1)."""

    overall: float
    english: float
    other: float
    per_language: dict[str, float]
    oos_recall: float
    macro_f1: float
    entities: float
    errors: list[str] = field(default_factory=list)

    def misses(self) -> list[str]:
        """The targets this run does not meet, as readable lines (empty when all are met)."""
        return [
            f"{name} {getattr(self, name):.3f} < {target}"
            for name, target in TARGETS.items()
            if getattr(self, name) < target
        ]


def load_rows(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """The labelled utterances, one JSON object per non-empty line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def score(recognize, rows: Sequence[dict]) -> Scores:  # type: ignore[no-untyped-def,type-arg]
    """Run `recognize(text) -> Recognition` on every row and compute the scores."""
    hits: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    entity_hits = entity_total = 0
    errors = []
    for row in rows:
        result = recognize(row["text"])
        pairs.append((row["topic"], result.topic))
        seen[row["lang"]] += 1
        ok_topic = result.topic == row["topic"]
        hits[row["lang"]] += ok_topic
        ok_entities = _same_entities(result.entities, row.get("entities", {}))
        if row["topic"] != "none":
            entity_total += 1
            entity_hits += ok_entities
        if not (ok_topic and ok_entities):
            errors.append(
                f"[{row['lang']}] {row['text']!r}: want {row['topic']} {row.get('entities', {})}"
                f" got {result.topic} {result.entities}"
            )
    other = [lang for lang in seen if lang != "en"]
    return Scores(
        overall=sum(hits.values()) / max(1, sum(seen.values())),
        english=hits["en"] / max(1, seen["en"]),
        other=sum(hits[lang] for lang in other) / max(1, sum(seen[lang] for lang in other)),
        per_language={lang: hits[lang] / seen[lang] for lang in sorted(seen)},
        oos_recall=_recall(pairs, "none"),
        macro_f1=_macro_f1(pairs),
        entities=entity_hits / max(1, entity_total),
        errors=errors,
    )


def _same_entities(got: dict[str, str], want: dict[str, str]) -> bool:
    return {k: _norm(v) for k, v in got.items()} == {k: _norm(v) for k, v in want.items()}


def _norm(value: str) -> str:
    return " ".join(value.casefold().split()).rstrip(" .!?。！？")


def _recall(pairs: Sequence[tuple[str, str]], topic: str) -> float:
    relevant = [got for want, got in pairs if want == topic]
    return sum(got == topic for got in relevant) / max(1, len(relevant))


def _macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    topics = sorted({want for want, _ in pairs})
    scores = []
    for topic in topics:
        tp = sum(want == got == topic for want, got in pairs)
        fp = sum(got == topic and want != topic for want, got in pairs)
        fn = sum(want == topic and got != topic for want, got in pairs)
        scores.append(2 * tp / max(1, 2 * tp + fp + fn))
    return sum(scores) / max(1, len(scores))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scores; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labelled", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--triggers-dir", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="list every wrong utterance")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from dialogs.recognizer import Recognizer

    rows = load_rows(args.labelled)
    result = score(Recognizer.load(args.triggers_dir).recognize, rows)
    print(f"utterances               {len(rows)}")
    print(f"intent accuracy overall  {result.overall:.1%}")
    print(f"intent accuracy English  {result.english:.1%}   (target >= 95%)")
    print(f"intent accuracy others   {result.other:.1%}   (target >= 85%)")
    for lang, value in result.per_language.items():
        print(f"  {lang}                     {value:.1%}")
    print(f"out-of-scope recall      {result.oos_recall:.1%}   (target >= 90%)")
    print(f"macro-F1                 {result.macro_f1:.3f}")
    print(f"entity exact match       {result.entities:.1%}   (target >= 95%)")
    if args.errors:
        print("\n".join(result.errors))
    for miss in result.misses():
        print(f"MISSED TARGET: {miss}")
    return 1 if result.misses() else 0


if __name__ == "__main__":
    sys.exit(main())
