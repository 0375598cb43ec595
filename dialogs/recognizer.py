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
from dialogs._text import NUMBER_TOKEN, Vocabulary, clean, features, fold
from dialogs._triggers import Phrase, load_domains, load_phrases
from topics import (
    HR_CASE_DETAILS,
    IT_TICKET_DETAILS,
    IT_UPDATE_TICKET,
    TOPICS,
    counterparts,
    of_kind,
)

NONE_TOPIC = "none"
# Below this best similarity nothing is close enough: the message is out of scope.
NONE_FLOOR = 0.22
# help, cancel and greeting are short phrases: a long message must be closer to count as one.
GENERAL_FLOOR = NONE_FLOOR
# A feature found in more than this share of all phrases is left out of the index.
COMMON = 0.03
# How much the nearest phrase counts against the topic's centroid.
NEAREST_WEIGHT = 0.6
# A topic of the desk the message names must score at least this share of the best topic.
DESK_SWITCH_RATIO = 0.5
# The router shows "Did you mean …?" when confidence is below this.
DISAMBIGUATION_THRESHOLD = 0.45
GENERAL_TOPICS = frozenset(t.id for t in TOPICS if not t.desk)
_COUNTERPART = counterparts()
_LIST_TOPICS = of_kind("list")
_CREATE_TOPICS = of_kind("create")
_URGENCY_TOPICS = of_kind("create", "update")
# With a record number the user means that one record: not a new one, not a list.
_MANY_RECORD_TOPICS = _CREATE_TOPICS | _LIST_TOPICS
# "help with my laptop" is about the laptop; "cancel" stays cancel whatever it names.
_YIELD_TO_DESK = frozenset({"help", "greeting"})


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
    """Nearest trigger phrases by TF-IDF cosine, plus rules for desks, numbers and out-of-scope."""

    def __init__(
        self,
        phrases: Sequence[Phrase],
        domains: dict[str, list[str]] | None = None,
        ticket_prefixes: Sequence[str] = ("INC",),
        hr_prefixes: Sequence[str] = ("HRC",),
    ) -> None:
        self._numbers = ent.NumberFinder(ticket_prefixes, hr_prefixes)
        vocabularies = domains or {}
        self._desks = {
            name: Vocabulary(words, prefixes=True)
            for name, words in vocabularies.items()
            if name != NONE_TOPIC
        }
        self._refusals = Vocabulary(vocabularies.get(NONE_TOPIC, []))
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
        return cls(
            load_phrases(override_dir), load_domains(override_dir), ticket_prefixes, hr_prefixes
        )

    def recognize(self, text: str | None) -> Recognition:
        """Recognise one message; any text at all is accepted and treated as plain text."""
        cleaned = clean(text)
        folded = fold(cleaned)
        if not folded.strip():
            return Recognition(NONE_TOPIC, 1.0)
        matches = self._numbers.find(folded)
        masked = _mask_numbers(folded, matches)
        scored = self._score(masked)
        if not scored.ranking or scored.ranking[0][1] < NONE_FLOOR:
            scored = self._score(masked, self._common)
        number = ent.unique_number(matches)
        if self._refusals.found_in(folded):
            return _refused(scored.ranking)
        desk = self._desk(cleaned, folded, matches)
        topic, score = _decide(scored.ranking, number, desk)
        alternatives = tuple((t, round(s, 3)) for t, s in scored.ranking if t != topic)[:3]
        entities = _entities(topic, cleaned, folded, number, scored.best_phrase.get(topic))
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
        self._common: dict[str, list[tuple[int, float]]] = defaultdict(list)
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        # Features in many phrases ("<my", "ket") barely tell topics apart but cost the most
        # time: they are scored only for vague messages ("my ticket") that match nothing else.
        common = {name for name, count in document_frequency.items() if count > total * COMMON}
        for position, feats in enumerate(counted):
            for name, weight in _unit(feats, self._idf, self._unknown_idf).items():
                postings = self._common if name in common else self._postings
                postings[name].append((position, weight))
                sums[phrases[position].topic][name] += weight
        # A topic's centroid rewards words common across its phrases ("printer", "laptop").
        self._centroids: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for topic, vector in sums.items():
            norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            for name, value in vector.items():
                self._centroids[name].append((topic, value / norm))

    def _masked(self, folded: str) -> str:
        return _mask_numbers(folded, self._numbers.find(folded))

    def _score(
        self, folded: str, common: dict[str, list[tuple[int, float]]] | None = None
    ) -> _Scored:
        query = _unit(features(folded), self._idf, self._unknown_idf)
        similarity: dict[int, float] = defaultdict(float)
        centroid: dict[str, float] = defaultdict(float)
        for name, weight in query.items():
            for position, phrase_weight in self._postings.get(name, ()):
                similarity[position] += weight * phrase_weight
            for position, phrase_weight in (common or {}).get(name, ()):
                similarity[position] += weight * phrase_weight
            for topic, topic_weight in self._centroids.get(name, ()):
                centroid[topic] += weight * topic_weight
        best: dict[str, float] = {}
        best_phrase: dict[str, Phrase] = {}
        for position, value in similarity.items():
            phrase = self._phrases[position]
            if value > best.get(phrase.topic, 0.0):
                best[phrase.topic] = value
                best_phrase[phrase.topic] = phrase
        combined = {
            topic: NEAREST_WEIGHT * value + (1 - NEAREST_WEIGHT) * centroid[topic]
            for topic, value in best.items()
        }
        ranking = sorted(combined.items(), key=lambda item: (-item[1], item[0]))
        return _Scored(ranking, best_phrase)

    def _desk(self, cleaned: str, folded: str, matches: Sequence[ent.NumberMatch]) -> str:
        """`hr` or `it` when the words (or a record number) say which desk, else ""."""
        if len({m.domain for m in matches}) == 1:
            return matches[0].domain
        evidence = {name: words.count(folded) for name, words in self._desks.items()}
        evidence["it"] = evidence.get("it", 0) + cleaned.split().count("IT")
        hr, it = evidence.get("hr", 0), evidence.get("it", 0)
        return "hr" if hr > it else "it" if it > hr else ""


def _decide(
    ranking: list[tuple[str, float]], number: ent.NumberMatch | None, desk: str
) -> tuple[str, float]:
    """The topic: nearest phrases, moved to the desk the message names, `none` when far."""
    if not ranking:
        return (_number_topic(number), 0.5) if number else (NONE_TOPIC, 1.0)
    topic, score = ranking[0]
    if number and topic in {"greeting", NONE_TOPIC}:
        return _number_topic(number), max(score, 0.5)
    if score < NONE_FLOOR and not desk:
        return NONE_TOPIC, 1.0 - score
    if topic == NONE_TOPIC and score >= NONE_FLOOR:
        return topic, score
    if topic in GENERAL_TOPICS and not desk:
        return (topic, score) if score >= GENERAL_FLOOR else (NONE_TOPIC, 1.0 - score)
    if topic in GENERAL_TOPICS and topic not in _YIELD_TO_DESK and score >= GENERAL_FLOOR:
        return topic, score
    # A record that has a number already exists: the user wants to see or change it.
    home = desk or topic.split(".")[0]
    allowed = [
        (t, s)
        for t, s in ranking
        if t.startswith(f"{home}.") and not (number and t in _MANY_RECORD_TOPICS)
    ]
    if allowed and (allowed[0][1] >= score * DESK_SWITCH_RATIO or score < NONE_FLOOR):
        return allowed[0]
    if topic in _COUNTERPART and not topic.startswith(f"{home}."):
        return _COUNTERPART[topic], score * DESK_SWITCH_RATIO
    return topic, score


def _refused(ranking: list[tuple[str, float]]) -> Recognition:
    """Approving, rejecting or deleting records is not something the bot does: `none`."""
    alternatives = tuple((t, round(s, 3)) for t, s in ranking if t != NONE_TOPIC)[:3]
    return Recognition(NONE_TOPIC, 0.9, {}, alternatives)


def _number_topic(number: ent.NumberMatch) -> str:
    return HR_CASE_DETAILS.id if number.domain == "hr" else IT_TICKET_DETAILS.id


def _mask_numbers(folded: str, matches: Sequence[ent.NumberMatch]) -> str:
    """Replace each record number by one token, so "status of INC0010023" ≈ "status of …"."""
    for match in reversed(matches):
        folded = f"{folded[: match.start]} {NUMBER_TOKEN} {folded[match.end :]}"
    return folded


def _unit(feats: dict[str, int], idf: dict[str, float], unknown_idf: float) -> dict[str, float]:
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
    if topic == IT_UPDATE_TICKET.id:
        found["comment"] = ent.find_comment(text)
    if topic in _CREATE_TOPICS:
        found["description"] = ent.find_description(text)
    if topic == "cancel" and phrase is not None and phrase.tag:
        found[phrase.tag] = "true"
    return {name: value for name, value in found.items() if value}
