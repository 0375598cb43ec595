"""The language a message is written in, for a channel that sends no locale (Web Chat, Direct
Line): a naive Bayes guess over the recogniser's own features, learnt from its per-language
training corpus and trigger phrases. Teams and the Emulator send `locale`, which wins."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

from dialogs._text import clean, features, fold, is_cjk
from dialogs._training import training_examples
from dialogs._triggers import load_phrases

# A guess must be this probable to count; otherwise the conversation keeps its language.
MIN_PROBABILITY = 0.9
# Record numbers and other digits say nothing about a language ("INC0010001" is not French).
_WITH_DIGITS = re.compile(r"\S*\d\S*")


def _words(text: str | None) -> str:
    return _WITH_DIGITS.sub(" ", fold(clean(text)))


class LanguageGuesser:
    """Per-language feature counts; `guess` compares a message's likelihood under each."""

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        self._counts: dict[str, Counter[str]] = {}
        for text, lang in texts:
            self._counts.setdefault(lang, Counter()).update(features(_words(text)))
        self._totals = {lang: sum(counts.values()) for lang, counts in self._counts.items()}
        self._vocabulary = len(set().union(*self._counts.values())) if self._counts else 0

    def guess(self, text: str | None) -> str | None:
        """The language of `text` when it is clear (Japanese script decides alone), else None."""
        folded = _words(text)
        if any(is_cjk(char) for char in folded):
            return "ja" if "ja" in self._counts else None
        found = [f for f in features(folded) if any(f in c for c in self._counts.values())]
        if not found:
            return None
        scores = {
            lang: sum(
                math.log((counts[f] + 1) / (self._totals[lang] + self._vocabulary)) for f in found
            )
            for lang, counts in self._counts.items()
        }
        best = max(scores, key=lambda lang: scores[lang])
        total = sum(math.exp(score - scores[best]) for score in scores.values())
        return best if 1 / total >= MIN_PROBABILITY else None


@cache
def built_in_guesser() -> LanguageGuesser:
    """The guesser over the shipped corpus and trigger phrases, learnt once per process."""
    return LanguageGuesser([(e.text, e.lang) for e in training_examples(load_phrases())])


def guess_language(text: str | None) -> str | None:
    """The language of a message when the corpus makes it clear, else None."""
    return built_in_guesser().guess(text)
