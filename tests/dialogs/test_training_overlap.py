"""No line of an evaluation set is also a training line, or its score would mean nothing.

Checked: the independent sets the lead puts in tests/dialogs/eval/*.jsonl (whatever is there),
the team's utterances.jsonl, and our held-out dev.jsonl, style.jsonl, fresh.jsonl, dev2.jsonl
and dev3.jsonl. Lines are compared normalised: case folded, punctuation dropped, whitespace
collapsed. Only a bare command of at most two short words ("cancel", "start over", "キャンセル")
may be in both: it is the vocabulary the bot is documented to answer, and no paraphrase of "hi"
is learnt from seeing "hi".
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from dialogs._text import is_cjk
from dialogs._training import training_examples
from dialogs._triggers import load_phrases

HERE = Path(__file__).parent
EVALUATION_SETS = sorted((HERE / "eval").glob("*.jsonl")) + [
    HERE / "utterances.jsonl",
    HERE / "dev.jsonl",
    HERE / "style.jsonl",
    HERE / "fresh.jsonl",
    HERE / "dev2.jsonl",
    HERE / "dev3.jsonl",
    HERE / "dev4.jsonl",
]


def normalise(text: str) -> str:
    """Case folded, punctuation and symbols dropped, whitespace collapsed."""
    kept = "".join(
        " " if unicodedata.category(ch)[0] in "PSZC" else ch
        for ch in unicodedata.normalize("NFKC", text).casefold()
    )
    return " ".join(kept.split())


def is_bare_command(normalised: str) -> bool:
    """At most two words and 15 characters; in Chinese or Japanese, at most 6 characters."""
    limit = 6 if is_cjk(normalised) else 15
    return len(normalised.split()) <= 2 and len(normalised) <= limit


@pytest.fixture(scope="module")
def training_lines() -> set[str]:
    return {normalise(example.text) for example in training_examples(load_phrases())}


def test_normalising_ignores_case_punctuation_and_spacing() -> None:
    assert normalise("  Is my  printer ticket, still OPEN?! ") == "is my printer ticket still open"
    assert normalise("ＩＮＣ１００２３のステータス。") == "inc10023のステータス"


def test_only_bare_commands_are_exempt() -> None:
    assert is_bare_command("start over") and is_bare_command("キャンセル")
    assert not is_bare_command("nah forget it") and not is_bare_command("このボットは何ができるの")


@pytest.mark.parametrize("path", EVALUATION_SETS, ids=lambda p: p.name)
def test_no_evaluation_line_is_a_training_line(path: Path, training_lines: set[str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    shared = sorted(
        text
        for text in set(texts)
        if normalise(text) in training_lines and not is_bare_command(normalise(text))
    )
    assert shared == [], f"{path.name}: {len(shared)} lines are training lines too: {shared}"
