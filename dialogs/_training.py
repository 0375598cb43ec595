"""The recogniser's training corpus: trigger phrases, template expansions and hand-written lines.

Trigger phrases alone are too few and too alike to generalise from, so each language also has a
template file, `dialogs/training/<lang>.json`: slot vocabularies ("device", "hr_thing", ...) and,
per label, templates such as "my {device} {broke}{urg}". Every template is filled a few times
with slot values drawn by a generator seeded from the template itself, so the corpus is the same
on every machine and every start. English and the other Latin-script languages also get copies
with one typo, because people type fast. The `dialogs/training/*.jsonl` files add lines no
template produces (long stories, indirect reports, chat-speak), written by people who had not
seen the templates: `handwritten.jsonl`, `written.jsonl`, and `retired_eval.jsonl` (evaluation
sets that were scored once and then became training data).

A label is a topic id, or `<topic>#<tag>` for phrases that also set an entity to "true"
("cancel#restart" is "start over").
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialogs._triggers import LANGUAGES, Phrase
from topics import of_kind

TRAINING_DIR = Path(__file__).with_name("training")
TAG_SEPARATOR = "#"
# Fills per template: enough variety for the slots to count, few enough that a template with
# big slots does not drown the topics written with fixed phrases.
FILLS = 6
# One line in this many also gets a copy with a typo (not Japanese: no letters to slip on).
TYPO_EVERY = 2
# Someone else's record is out of scope, however it is asked: each English template about
# reading or changing one's own records also yields a copy about another person, as `none`.
OTHER_PEOPLE_TOPICS = of_kind("status", "details", "updates", "list", "update")
# One copy per template: the recogniser also refuses a named record by rule, and a second
# copy cost start-up time without changing any answer on our sets.
OTHER_PEOPLE_FILLS = 1
_MY = re.compile(r"\bmy\b", re.IGNORECASE)
# Trigger phrases are what an admin wrote for a topic: they weigh more than generated lines.
TRIGGER_WEIGHT = 3.0
HANDWRITTEN_WEIGHT = 2.0
_SLOT = re.compile(r"\{(\w+)\}")
_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "t": "ry",
    "n": "bm",
    "s": "ad",
    "r": "et",
    "l": "k",
    "c": "xv",
}


@dataclass(frozen=True)
class Example:
    """One training line: its text, its label, how much it counts and the template it came from."""

    text: str
    label: str
    lang: str
    weight: float = 1.0
    # Lines of one template share a group, so calibration folds hold out whole templates.
    group: str = ""


def label_of(phrase: Phrase) -> str:
    """The training label of a trigger phrase: its topic, plus its tag when it has one."""
    return f"{phrase.topic}{TAG_SEPARATOR}{phrase.tag}" if phrase.tag else phrase.topic


def training_examples(phrases: Sequence[Phrase]) -> list[Example]:
    """Everything the model learns from: the (possibly admin-overridden) trigger phrases first."""
    triggers = [Example(p.text, label_of(p), p.lang, TRIGGER_WEIGHT, p.text) for p in phrases]
    return triggers + list(_built_in_examples())


@cache
def _built_in_examples() -> tuple[Example, ...]:
    """Template expansions and hand-written lines; read once per process, they never change."""
    generated = [example for lang in LANGUAGES for example in _expand_language(lang)]
    return tuple(generated + _written())


def _expand_language(lang: str) -> Iterator[Example]:
    data = json.loads((TRAINING_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    slots: dict[str, list[str]] = data["slots"]
    for label, templates in data["templates"].items():
        for template in templates:
            rng = random.Random(f"{lang}|{label}|{template}")
            for text in _fills(template, slots, rng):
                yield Example(text, label, lang, group=template)
                if lang != "ja" and rng.randrange(TYPO_EVERY) == 0:
                    yield Example(_typo(text, rng), label, lang, group=template)
            if lang == "en" and label in OTHER_PEOPLE_TOPICS and _MY.search(template):
                theirs = _MY.sub("{person}'s", template, count=1)
                for text in _fills(theirs, slots, rng)[:OTHER_PEOPLE_FILLS]:
                    yield Example(text, "none", lang, group=theirs)


def _fills(template: str, slots: dict[str, list[str]], rng: random.Random) -> list[str]:
    """Up to FILLS distinct texts from one template, record numbers drawn afresh each time."""
    names = _SLOT.findall(template)
    if not names:
        return [template]
    texts: list[str] = []
    # Bounded: a template whose slots allow fewer than FILLS texts stops early.
    for _ in range(FILLS * 4):
        values = {name: _slot_value(name, slots, rng) for name in names}
        text = " ".join(template.format_map(values).split())
        if text not in texts:
            texts.append(text)
        if len(texts) == FILLS:
            break
    return texts


def _slot_value(name: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    number = rng.randrange(10000, 11000)
    if name == "inc":
        return rng.choice(
            (f"INC{number:07d}", f"inc {number}", f"INC-{number}", f"incident {number}")
            + (f"ticket {number}", f"inc{number:07d}")
        )
    if name == "hrc":
        return rng.choice((f"HRC{number:07d}", f"hrc {number}", f"HRC-{number}", f"case {number}"))
    return rng.choice(slots[name])


def _typo(text: str, rng: random.Random) -> str:
    """The text with one slip in a word of four letters or more: swap, drop, double or miss."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    index = rng.choice(candidates)
    word = words[index]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == 1:
        word = word[:at] + word[at + 1 :]
    elif kind == 2:
        word = word[:at] + word[at] + word[at:]
    else:
        near = _KEYBOARD_NEIGHBOURS.get(word[at].lower(), "")
        word = word[:at] + (rng.choice(near) if near else word[at]) + word[at + 1 :]
    words[index] = word
    return " ".join(words)


def _written() -> list[Example]:
    rows = [
        json.loads(line)
        for path in sorted(TRAINING_DIR.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [Example(r["text"], r["label"], r["lang"], HANDWRITTEN_WEIGHT, r["text"]) for r in rows]
