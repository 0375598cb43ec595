"""Text normalisation and features for the recogniser: plain text in, sparse features out.

Everything a user types is treated as plain text: markup, control characters and query-like
syntax are just characters. Work is capped so a pasted log file costs the same as a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

MAX_CHARS = 600
MAX_TOKENS = 80
NUMBER_TOKEN = "zznumzz"
# HR case numbers get their own token: the number alone then tells the model the desk.
HR_NUMBER_TOKEN = "zzhrnumzz"

_KEEP_MARKS = {"\u3099", "\u309a"}  # Japanese (han)dakuten: they change the kana, keep them
_WORD = re.compile(r"\w+")
# English contractions typed with or without the apostrophe must read the same:
# "won't" / "wont", "it's" / "its". French elisions ("l'écran") are left apart.
_CONTRACTION = re.compile(r"(\w)['’](t|s|re|ve|ll|d|m)\b")
# "Sam's tickets" is someone else's record; folding would make it "sams", a word like any other.
# Contractions that only look possessive ("it's", "what's") are left alone, and so are days
# ("last week's ticket", "Monday's call"): a day owns no record.
NOT_OWNERS = (
    r"it|that|what|there|here|who|he|she|let|where|how|when|why|one|this|today|yesterday|"
    r"tomorrow|tonight|week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_POSSESSIVE = re.compile(
    rf"\b(?!(?:{NOT_OWNERS})['’]s\b)(\w+)['’]s\b",
    re.IGNORECASE,
)
POSSESSIVE_TOKEN = "zzposszz"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def clean(text: str | None) -> str:
    """The message as plain, capped text: control characters become spaces, width is folded."""
    if not text:
        return ""
    capped = text[:MAX_CHARS]
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in capped)
    return " ".join(unicodedata.normalize("NFKC", visible).split())


def fold(text: str) -> str:
    """Lower case without accents ("Gehaltsabrechnung Über" → "gehaltsabrechnung uber")."""
    joined = _CONTRACTION.sub(r"\1\2", text.casefold())
    decomposed = unicodedata.normalize("NFKD", joined)
    bare = "".join(ch for ch in decomposed if ch in _KEEP_MARKS or unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare)


def mark_possessives(text: str) -> str:
    """Put a token after each possessive ("Sam's" → "Sam's zzposszz") before folding."""
    return _POSSESSIVE.sub(rf"\1's {POSSESSIVE_TOKEN}", text)


def is_cjk(token: str) -> bool:
    """True when the token holds Chinese or Japanese characters (no spaces between words)."""
    return _CJK.search(token) is not None


def tokens(folded: str) -> list[str]:
    """Word tokens of folded text, capped; CJK runs stay whole (features split them)."""
    return _WORD.findall(folded)[:MAX_TOKENS]


def features(folded: str) -> Counter[str]:
    """Sparse features: words, word pairs and character n-grams (typos still share most)."""
    feats: Counter[str] = Counter()
    words = tokens(folded)
    for word in words:
        if is_cjk(word):
            _cjk_features(word, feats)
        else:
            _word_features(word, feats)
    for left, right in zip(words, words[1:], strict=False):
        feats[f"b:{left}_{right}"] += 1
    return feats


def _word_features(word: str, feats: Counter[str]) -> None:
    feats.update(_word_grams(word))


@lru_cache(maxsize=65536)
def _word_grams(word: str) -> tuple[str, ...]:
    """The word itself and its character 3- and 4-grams; kept, since a corpus repeats words."""
    if word in (NUMBER_TOKEN, HR_NUMBER_TOKEN, POSSESSIVE_TOKEN) or word.isdigit():
        return (f"w:{word}",)
    padded = f"<{word}>"
    grams = [
        padded[start : start + size] for size in (3, 4) for start in range(len(padded) - size + 1)
    ]
    return (f"w:{word}", *grams)


def _cjk_features(run: str, feats: Counter[str]) -> None:
    for index, char in enumerate(run):
        feats[f"c:{char}"] += 1
        if index + 1 < len(run):
            feats[f"c:{run[index : index + 2]}"] += 1
        if index + 2 < len(run):
            feats[f"c:{run[index : index + 3]}"] += 1


class Vocabulary:
    """Words and phrases found as whole words in folded text (CJK: as substrings)."""

    def __init__(self, phrases: Sequence[str]) -> None:
        latin = sorted({fold(p) for p in phrases if not is_cjk(p)}, key=len, reverse=True)
        cjk = sorted({fold(p) for p in phrases if is_cjk(p)}, key=len, reverse=True)
        parts = []
        if latin:
            parts.append(r"(?<!\w)(?:" + "|".join(map(re.escape, latin)) + r")(?!\w)")
        if cjk:
            parts.append("|".join(map(re.escape, cjk)))
        self._pattern = re.compile("|".join(parts)) if parts else None

    def found_in(self, folded: str) -> bool:
        """True when any of the words or phrases occurs in `folded`."""
        return self._pattern is not None and self._pattern.search(folded) is not None
