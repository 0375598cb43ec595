"""The recogniser: message text → topic id, confidence and entities, offline and deterministic.

How it works: a linear classifier (scikit-learn's LinearSVC over TF-IDF words, word pairs and
character n-grams, see dialogs/_model.py) is trained at start-up on the trigger phrases
(dialogs/triggers/<topic>.json, admin overrides on top) plus a much larger corpus generated
from templates and hand-written lines (dialogs/_training.py), with many out-of-scope examples:
other systems (expenses, timesheets, travel), other people's records, agent actions, chit-chat.
Its scores are calibrated on held-out folds, so `confidence` estimates how often the topic is
right. Rules then settle what the words cannot: a record number decides between HR and IT
("HRC…" is an HR case) and rules out new or many records; approving or deleting is never done.
Entities are extracted only when the user said them.

"start over" / "restart" are recognised as topic `cancel` with entity `{"restart": "true"}`
(the `tagged` phrases of cancel.json): the router ends the running topic and starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import topics
from dialogs import _entities as ent
from dialogs import _model, _text, _training
from dialogs._model import LinearModel, TrainingSet
from dialogs._text import (
    HR_NUMBER_TOKEN,
    NUMBER_TOKEN,
    Vocabulary,
    clean,
    fold,
    mark_possessives,
)
from dialogs._training import OTHER_PEOPLE_TOPICS, TAG_SEPARATOR, TRAINING_DIR, training_examples
from dialogs._triggers import Phrase, load_domains, load_phrases
from topics import (
    HR_CASE_DETAILS,
    HR_CASE_UPDATES,
    IT_TICKET_DETAILS,
    IT_UPDATE_TICKET,
    TOPICS,
    counterparts,
    of_kind,
)

log = logging.getLogger(__name__)

NONE_TOPIC = "none"
# The router shows "Did you mean …?" when confidence is below this: with calibrated
# probabilities, a guess right less than about half the time is worth a question.
DISAMBIGUATION_THRESHOLD = 0.45
GENERAL_TOPICS = frozenset(t.id for t in TOPICS if not t.desk)
_COUNTERPART = counterparts()
_LIST_TOPICS = of_kind("list")
_CREATE_TOPICS = of_kind("create")
_URGENCY_TOPICS = of_kind("create", "update")
# With a record number the user means that one record: not a new one, not a list.
_MANY_RECORD_TOPICS = _CREATE_TOPICS | _LIST_TOPICS
ALTERNATIVES = 3
_ONLY_QUESTION_MARKS = re.compile(r"\s*[?？¿]+[\s?？¿!]*")
_MENTION = re.compile(r"^(?:\s*(?:<at>[^<]*</at>|@[\w.-]+)[\s,:;-]*)+")
# HR updates is also where a comment for HR goes; only these verbs make the rest a comment,
# so "quick question: any news from HR?" stays a question.
_COMMENT_VERBS = Vocabulary(
    ("add", "comment", "reply", "respond", "tell", "let", "note", "write", "inform", "mention")
    + (
        "message",
        "update",
        "ajoute",
        "dis",
        "anade",
        "dile",
        "diles",
        "fuge",
        "sag",
        "voeg",
        "laat",
        "zet",
        "schrijf",
        "schreib",
        "schreibe",
        "comenta",
        "escribe",
        "commente",
        "ecris",
        "kommentiere",
    )
    + ("pass", "追加", "伝え")
)


@dataclass(frozen=True)
class Recognition:
    """What the employee wants: one topic id, how sure we are, and the details they gave."""

    topic: str
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()


class TextRecognizer(Protocol):
    """What the router needs: the local recogniser, or the generative one in front of it."""

    async def recognize_async(self, text: str | None) -> Recognition:
        """Recognise one message without blocking the event loop."""
        ...


class Recognizer:
    """A calibrated linear model over the training corpus, plus rules for numbers and refusals."""

    def __init__(
        self,
        phrases: Sequence[Phrase],
        domains: dict[str, list[str]] | None = None,
        ticket_prefixes: Sequence[str] = ("INC",),
        hr_prefixes: Sequence[str] = ("HRC",),
        model_dir: Path | None = None,
    ) -> None:
        self._numbers = ent.NumberFinder(ticket_prefixes, hr_prefixes)
        self._refusals = Vocabulary((domains or {}).get(NONE_TOPIC, []))

        def training_set() -> TrainingSet:
            examples = training_examples(phrases)
            return TrainingSet(
                texts=tuple(self._prepare(clean(e.text)) for e in examples),
                labels=tuple(e.label for e in examples),
                weights=tuple(e.weight for e in examples),
                groups=tuple(e.group for e in examples),
            )

        key = _fingerprint(phrases, (*ticket_prefixes, "|", *hr_prefixes))
        self.model = _fitted(key, training_set, model_dir)

    @classmethod
    def load(
        cls,
        override_dir: Path | None = None,
        ticket_prefixes: Sequence[str] = ("INC",),
        hr_prefixes: Sequence[str] = ("HRC",),
        model_dir: Path | None = None,
    ) -> Recognizer:
        """Learn the trigger phrases (built-in, then `override_dir`) and the corpus, at start-up
        (or read the model fitted on the same data from `model_dir`)."""
        return cls(
            load_phrases(override_dir),
            load_domains(override_dir),
            ticket_prefixes,
            hr_prefixes,
            model_dir,
        )

    def recognize(self, text: str | None) -> Recognition:
        """Recognise one message; any text at all is accepted and treated as plain text."""
        cleaned = _without_mention(clean(text))
        folded = fold(cleaned)
        if not folded.strip():
            return Recognition(NONE_TOPIC, 1.0)
        if _ONLY_QUESTION_MARKS.fullmatch(folded):
            # "?", "???": the employee does not know what to ask; the menu is the answer.
            return Recognition("help", 0.9)
        matches = self._numbers.find(folded)
        number = ent.unique_number(matches)
        by_label = self.model.probabilities(self._prepare(cleaned))
        by_topic = _topics(by_label)
        if self._refusals.found_in(folded):
            return _refused(by_topic)
        topic = _decide(by_topic, number)
        # Reading or changing a record is only for one's own, whatever the model makes of the
        # words around "Lisa's ticket" (a new ticket for a colleague is still fine).
        if topic in OTHER_PEOPLE_TOPICS and ent.names_someone_elses_record(cleaned):
            return _refused(by_topic)
        confidence = _confidence(by_topic, topic, number)
        ranking = sorted(by_topic.items(), key=lambda item: (-item[1], item[0]))
        alternatives = tuple((t, round(p, 3)) for t, p in ranking if t != topic)[:ALTERNATIVES]
        tag = _tag(by_label, topic)
        entities = _entities(topic, cleaned, folded, number, tag)
        return Recognition(topic, round(confidence, 3), entities, alternatives)

    async def recognize_async(self, text: str | None) -> Recognition:
        """`recognize` for the router: the local model answers in well under a millisecond."""
        return self.recognize(text)

    def recognize_as(
        self, text: str | None, topic: str, confidence: float, tag: str
    ) -> Recognition:
        """A topic chosen elsewhere (a chat model), with this recogniser's rules and entities."""
        cleaned = _without_mention(clean(text))
        folded = fold(cleaned)
        number = ent.unique_number(self._numbers.find(folded))
        if self._refusals.found_in(folded):
            return Recognition(NONE_TOPIC, 0.9)
        decided = _decide({topic: confidence}, number)
        if decided in OTHER_PEOPLE_TOPICS and ent.names_someone_elses_record(cleaned):
            return Recognition(NONE_TOPIC, 0.9)
        entities = _entities(decided, cleaned, folded, number, tag if decided == topic else "")
        return Recognition(decided, round(confidence, 3), entities)

    def _prepare(self, cleaned: str) -> str:
        """What the model reads: possessives marked, folded, record numbers masked."""
        folded = fold(mark_possessives(cleaned))
        return _mask_numbers(folded, self._numbers.find(folded))


# Models fitted in this process, by fingerprint: tests and the bot share the built-in one.
_FITTED: dict[str, LinearModel] = {}
_FITTED_MAX = 4


def _fingerprint(phrases: Sequence[Phrase], prefixes: Sequence[str]) -> str:
    """What a fitted model depends on, as a short hash, without expanding the corpus: the
    phrases, the number prefixes, the training files and the code that prepares and fits."""
    digest = hashlib.sha256()
    for module in (_text, ent, _training, _model, topics, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    for path in sorted(TRAINING_DIR.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    rows = [[p.text, p.topic, p.lang, p.tag] for p in phrases]
    digest.update(json.dumps([rows, list(prefixes)], ensure_ascii=False).encode())
    return digest.hexdigest()[:24]


def _fitted(
    key: str, training_set: Callable[[], TrainingSet], model_dir: Path | None = None
) -> LinearModel:
    """The model of fingerprint `key`: fitted before in this process, else read from
    `model_dir` (the file is named by the fingerprint, so a changed trigger file fits a new
    one), else fitted on `training_set()` and saved there."""
    model = _FITTED.get(key)
    if model is None:
        model = _read_or_fit(key, training_set, model_dir)
        if len(_FITTED) >= _FITTED_MAX:
            del _FITTED[next(iter(_FITTED))]
        _FITTED[key] = model
    return model


def _read_or_fit(
    key: str, training_set: Callable[[], TrainingSet], model_dir: Path | None
) -> LinearModel:
    if model_dir is None:
        return LinearModel(training_set())
    path = model_dir / f"recognizer-{key}.npz"
    try:
        return LinearModel.read(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as error:  # a damaged file: fit again, replace it
        log.warning("recognizer.model_unreadable", extra={"error_type": type(error).__name__})
    if _fit_in_child(training_set, path):
        try:
            return LinearModel.read(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning("recognizer.model_unreadable", extra={"error_type": type(error).__name__})
    model = LinearModel(training_set())
    try:
        model.save(path)
    except OSError as error:  # a read-only disk costs start-up time, nothing else
        log.warning("recognizer.model_not_saved", extra={"error_type": type(error).__name__})
    return model


def _fit_in_child(training_set: Callable[[], TrainingSet], path: Path) -> bool:
    """Fit and save the model in a forked child; True when it saved one. Fitting imports
    scikit-learn and builds large matrices: in a child, the bot's own memory never holds them
    (its peak RSS stayed ~150 MB higher after an in-process fit)."""
    if not sys.platform.startswith("linux"):
        return False  # fork is unsafe with macOS system libraries and absent on Windows
    child = multiprocessing.get_context("fork").Process(
        target=_fit_and_save, args=(training_set, path), name="recognizer-fit"
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        log.warning("recognizer.fit_in_child_failed", extra={"exit_code": child.exitcode})
    return child.exitcode == 0


def _fit_and_save(training_set: Callable[[], TrainingSet], path: Path) -> None:
    try:
        LinearModel(training_set()).save(path)
    except OSError as error:  # e.g. a read-only disk: the parent fits in-process instead
        log.warning("recognizer.model_not_saved", extra={"error_type": type(error).__name__})
        sys.exit(1)


def _without_mention(cleaned: str) -> str:
    """The message without a leading "@Snowdesk" (or "<at>Snowdesk</at>"): a name is no greeting."""
    stripped = _MENTION.sub("", cleaned)
    return stripped if stripped.strip() else cleaned


def _topics(by_label: dict[str, float]) -> dict[str, float]:
    """Probabilities per topic: "cancel" and "cancel#restart" are both the cancel topic."""
    merged: dict[str, float] = defaultdict(float)
    for label, probability in by_label.items():
        merged[label.split(TAG_SEPARATOR)[0]] += probability
    return dict(merged)


def _tag(by_label: dict[str, float], topic: str) -> str:
    """The entity a tagged label sets, when that label outweighs the topic's plain label."""
    prefix = f"{topic}{TAG_SEPARATOR}"
    tagged = [(p, label) for label, p in by_label.items() if label.startswith(prefix)]
    if not tagged:
        return ""
    probability, label = max(tagged)
    return label[len(prefix) :] if probability > by_label.get(topic, 0.0) else ""


def _decide(by_topic: dict[str, float], number: ent.NumberMatch | None) -> str:
    """The most probable topic, moved to the desk and kind of topic a record number implies."""
    topic = max(sorted(by_topic), key=lambda t: by_topic[t])
    if number is None or topic in {"help", "cancel", NONE_TOPIC}:
        return topic
    if topic == "greeting":
        return _number_topic(number)
    if not topic.startswith(f"{number.domain}."):
        topic = _COUNTERPART[topic]
    if topic in _MANY_RECORD_TOPICS:
        allowed = [t for t in by_topic if t.startswith(f"{number.domain}.")]
        allowed = [t for t in allowed if t not in _MANY_RECORD_TOPICS]
        topic = (
            max(sorted(allowed), key=lambda t: by_topic[t]) if allowed else _number_topic(number)
        )
    return topic


def _confidence(by_topic: dict[str, float], topic: str, number: ent.NumberMatch | None) -> float:
    """The topic's probability; a number that moved the desk brings the other desk's share."""
    moved = 0.0
    if number is not None and topic not in GENERAL_TOPICS:
        moved = sum(
            p
            for t, p in by_topic.items()
            if not t.startswith(f"{number.domain}.") and _COUNTERPART.get(t) == topic
        )
    return min(1.0, by_topic.get(topic, 0.0) + moved)


def _refused(by_topic: dict[str, float]) -> Recognition:
    """Approving, rejecting, deleting or someone else's records are not for the bot: `none`."""
    ranking = sorted(by_topic.items(), key=lambda item: (-item[1], item[0]))
    alternatives = tuple((t, round(p, 3)) for t, p in ranking if t != NONE_TOPIC)[:ALTERNATIVES]
    return Recognition(NONE_TOPIC, 0.9, {}, alternatives)


def _number_topic(number: ent.NumberMatch) -> str:
    return HR_CASE_DETAILS.id if number.domain == "hr" else IT_TICKET_DETAILS.id


def _mask_numbers(folded: str, matches: Sequence[ent.NumberMatch]) -> str:
    """Replace each record number by its desk's token, so "status of INC0010023" ≈ "status of …"."""
    for match in reversed(matches):
        token = HR_NUMBER_TOKEN if match.domain == "hr" else NUMBER_TOKEN
        folded = f"{folded[: match.start]} {token} {folded[match.end :]}"
    return folded


def _entities(
    topic: str,
    text: str,
    folded: str,
    number: ent.NumberMatch | None,
    tag: str,
) -> dict[str, str]:
    found: dict[str, str | None] = {}
    if topic not in GENERAL_TOPICS and number is not None:
        found["number"] = number.value
    if topic in _LIST_TOPICS:
        found["filter"] = ent.find_filter(folded)
    if topic in _URGENCY_TOPICS:
        found["urgency"] = ent.find_urgency(folded)
    if topic == IT_UPDATE_TICKET.id or (
        topic == HR_CASE_UPDATES.id and _COMMENT_VERBS.found_in(folded)
    ):
        found["comment"] = ent.find_comment(text)
    if topic in _CREATE_TOPICS:
        found["description"] = ent.find_description(text)
    if tag:
        found[tag] = "true"
    return {name: value for name, value in found.items() if value}
