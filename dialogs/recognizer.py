"""The recogniser: message text → topic id, confidence and entities, offline and deterministic.

How it works: every trigger phrase (dialogs/triggers/<topic>.json, admin overrides on top) is
turned into a TF-IDF vector of words, word pairs and character n-grams, so typos and inflections
still share most features. A message is scored against every phrase through an inverted index
(cosine similarity); a topic scores as its best phrase. Rules then settle what similarity
cannot: a record number decides between HR and IT ("HRC…" is an HR case), and a message too far
from every phrase is `none`. Entities are extracted only when the user said them.

"start over" / "restart" are recognised as topic `cancel` with entity `{"restart": "true"}`
(the `tagged` phrases of cancel.json): the router ends the running topic and starts afresh.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dialogs import _entities as ent
from dialogs._text import NUMBER_TOKEN, clean, features, fold
from dialogs._triggers import Phrase, load_phrases

NONE_TOPIC = "none"
# Below this best similarity nothing is close enough: the message is out of scope.
NONE_FLOOR = 0.22
# The router shows "Did you mean …?" when confidence is below this.
DISAMBIGUATION_THRESHOLD = 0.45
GENERAL_TOPICS = frozenset({"help", "cancel", "greeting", NONE_TOPIC})
_COUNTERPART = {
    "hr.create_case": "it.create_ticket",
    "hr.case_details": "it.ticket_details",
    "hr.case_updates": "it.ticket_updates",
    "hr.list_cases": "it.list_tickets",
    "it.create_ticket": "hr.create_case",
    "it.ticket_details": "hr.case_details",
    "it.ticket_status": "hr.case_details",
    "it.list_tickets": "hr.list_cases",
    "it.update_ticket": "hr.case_updates",
    "it.ticket_updates": "hr.case_updates",
}
_LIST_TOPICS = frozenset({"hr.list_cases", "it.list_tickets"})
_CREATE_TOPICS = frozenset({"hr.create_case", "it.create_ticket"})
_URGENCY_TOPICS = _CREATE_TOPICS | {"it.update_ticket"}


@dataclass(frozen=True)
class Recognition:
    """What the employee wants: one topic id, how sure we are, and the details they gave."""

    topic: str
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class _Scored:
    ranking: list[tuple[str, float]]
    best_phrase: dict[str, Phrase]


class Recognizer:
    """Nearest trigger phrase by TF-IDF cosine, plus rules for numbers and out-of-scope text."""

    def __init__(
        self,
        phrases: Sequence[Phrase],
        ticket_prefixes: Sequence[str] = ("INC",),
        hr_prefixes: Sequence[str] = ("HRC",),
    ) -> None:
        self._numbers = ent.NumberFinder(ticket_prefixes, hr_prefixes)
        self._phrases = list(phrases)
        self._index(self._phrases)

    @classmethod
    def load(
        cls,
        override_dir: Path | None = None,
        ticket_prefixes: Sequence[str] = ("INC",),
        hr_prefixes: Sequence[str] = ("HRC",),
    ) -> Recognizer:
        """Learn the trigger phrases (built-in, then `override_dir`) once, at start-up."""
        return cls(load_phrases(override_dir), ticket_prefixes, hr_prefixes)

    def recognize(self, text: str | None) -> Recognition:
        """Recognise one message; any text at all is accepted and treated as plain text."""
        folded = fold(clean(text))
        if not folded.strip():
            return Recognition(NONE_TOPIC, 1.0)
        matches = self._numbers.find(folded)
        scored = self._score(_mask_numbers(folded, matches))
        number = ent.unique_number(matches)
        topic, score = self._decide(scored.ranking, number)
        alternatives = tuple((t, round(s, 3)) for t, s in scored.ranking if t != topic)[:3]
        entities = _entities(topic, clean(text), folded, number, scored.best_phrase.get(topic))
        return Recognition(topic, _confidence(score, scored.ranking, topic), entities, alternatives)

    def _index(self, phrases: Sequence[Phrase]) -> None:
        counted = [features(self._masked(fold(clean(p.text)))) for p in phrases]
        document_frequency: dict[str, int] = defaultdict(int)
        for feats in counted:
            for name in feats:
                document_frequency[name] += 1
        total = len(phrases)
        self._idf = {
            name: math.log((total + 1) / (count + 1)) + 1.0
            for name, count in document_frequency.items()
        }
        self._unknown_idf = math.log(total + 1) + 1.0
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, feats in enumerate(counted):
            for name, weight in _unit(feats, self._idf, self._unknown_idf).items():
                self._postings[name].append((position, weight))

    def _masked(self, folded: str) -> str:
        return _mask_numbers(folded, self._numbers.find(folded))

    def _score(self, folded: str) -> _Scored:
        query = _unit(features(folded), self._idf, self._unknown_idf)
        similarity: dict[int, float] = defaultdict(float)
        for name, weight in query.items():
            for position, phrase_weight in self._postings.get(name, ()):
                similarity[position] += weight * phrase_weight
        best: dict[str, float] = {}
        best_phrase: dict[str, Phrase] = {}
        for position, value in similarity.items():
            phrase = self._phrases[position]
            if value > best.get(phrase.topic, 0.0):
                best[phrase.topic] = value
                best_phrase[phrase.topic] = phrase
        ranking = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return _Scored(ranking, best_phrase)

    def _decide(
        self, ranking: list[tuple[str, float]], number: ent.NumberMatch | None
    ) -> tuple[str, float]:
        if not ranking:
            return (_number_topic(number), 0.5) if number else (NONE_TOPIC, 1.0)
        topic, score = ranking[0]
        if number and (topic in GENERAL_TOPICS - {"cancel", "help"} or score < NONE_FLOOR):
            return _number_topic(number), max(score, 0.5)
        if score < NONE_FLOOR:
            return NONE_TOPIC, 1.0 - score
        if number and topic in _COUNTERPART and not topic.startswith(number.domain + "."):
            return _COUNTERPART[topic], score
        return topic, score


def _number_topic(number: ent.NumberMatch) -> str:
    return "hr.case_details" if number.domain == "hr" else "it.ticket_details"


def _mask_numbers(folded: str, matches: Sequence[ent.NumberMatch]) -> str:
    """Replace each record number by one token, so "status of INC0010023" ≈ "status of …"."""
    for match in reversed(matches):
        folded = f"{folded[: match.start]} {NUMBER_TOKEN} {folded[match.end :]}"
    return folded


def _unit(
    feats: dict[str, int], idf: dict[str, float], unknown_idf: float
) -> dict[str, float]:
    weighted = {
        name: (1.0 + math.log(count)) * idf.get(name, unknown_idf) for name, count in feats.items()
    }
    norm = math.sqrt(sum(value * value for value in weighted.values())) or 1.0
    return {name: value / norm for name, value in weighted.items()}


def _confidence(score: float, ranking: list[tuple[str, float]], topic: str) -> float:
    """Best similarity, lowered when the runner-up is close (the message is ambiguous)."""
    if topic == NONE_TOPIC and (not ranking or ranking[0][0] != NONE_TOPIC):
        return round(min(1.0, score), 3)
    runner_up = next((s for t, s in ranking if t != topic), 0.0)
    margin = max(0.0, score - runner_up)
    return round(min(1.0, 0.35 + score * 0.5 + margin), 3)


def _entities(
    topic: str,
    text: str,
    folded: str,
    number: ent.NumberMatch | None,
    phrase: Phrase | None,
) -> dict[str, str]:
    found: dict[str, str | None] = {}
    if topic not in GENERAL_TOPICS and number is not None:
        found["number"] = number.value
    if topic in _LIST_TOPICS:
        found["filter"] = ent.find_filter(folded)
    if topic in _URGENCY_TOPICS:
        found["urgency"] = ent.find_urgency(folded)
    if topic == "it.update_ticket":
        found["comment"] = ent.find_comment(text)
    if topic in _CREATE_TOPICS:
        found["description"] = ent.find_description(text)
    if topic == "cancel" and phrase is not None and phrase.tag:
        found[phrase.tag] = "true"
    return {name: value for name, value in found.items() if value}
