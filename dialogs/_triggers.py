"""Trigger phrases as data: one JSON file per topic in `dialogs/triggers/`, admin overrides on top.

A file `<topic id>.json` in the override directory replaces the built-in file of that topic,
the way Copilot Studio lets a maker edit a topic's trigger phrases without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from topics import TOPICS as DECLARED

# One trigger file per declared topic (desk topics and the router's own).
TOPICS: tuple[str, ...] = tuple(topic.id for topic in DECLARED)
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "nl", "ja")
BUILT_IN_DIR = Path(__file__).with_name("triggers")


class TriggerFileError(ValueError):
    """A trigger file is missing, unreadable or malformed; the message names the file."""


class TopicTriggers(BaseModel):
    """One topic's trigger phrases per language; `tagged` phrases also set an entity to "true"."""

    model_config = ConfigDict(extra="forbid")

    topic: str
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    tagged: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Phrase:
    """One trigger phrase, the topic it belongs to and the entity tag it carries (if any)."""

    text: str
    topic: str
    lang: str
    tag: str = ""


def load_phrases(override_dir: Path | None = None) -> list[Phrase]:
    """Every trigger phrase of every topic, built-in files overridden by `override_dir`."""
    phrases: list[Phrase] = []
    for topic in TOPICS:
        phrases.extend(_expand(_read(_path_for(topic, override_dir), topic)))
    return phrases


def _path_for(topic: str, override_dir: Path | None) -> Path:
    if override_dir is not None:
        candidate = override_dir / f"{topic}.json"
        if candidate.is_file():
            return candidate
    return BUILT_IN_DIR / f"{topic}.json"


def _read(path: Path, topic: str) -> TopicTriggers:
    try:
        triggers = TopicTriggers.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise TriggerFileError(f"cannot read trigger file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TriggerFileError(f"{path} is not valid JSON (line {exc.lineno})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TriggerFileError(f"{path}: field '{where}': {first['msg']}") from exc
    if triggers.topic != topic:
        raise TriggerFileError(f"{path}: field 'topic' is '{triggers.topic}', expected '{topic}'")
    return triggers


def _expand(triggers: TopicTriggers) -> list[Phrase]:
    out = [
        Phrase(text, triggers.topic, lang)
        for lang, texts in triggers.phrases.items()
        for text in texts
    ]
    out += [
        Phrase(text, triggers.topic, lang, tag)
        for tag, by_lang in triggers.tagged.items()
        for lang, texts in by_lang.items()
        for text in texts
    ]
    return out


DOMAIN_KEYS = frozenset({"hr", "it", "none"})


def load_domains(override_dir: Path | None = None) -> dict[str, list[str]]:
    """Words that name a desk (`hr`, `it`) or an action the bot never does (`none`).

    They live in `_domains.json` next to the trigger phrases, overridable the same way. The
    recogniser's model learns the desks from its corpus and reads only `none` (refusals); the
    desk lists stay valid keys so that existing override files keep loading.
    """
    path = _path_for("_domains", override_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TriggerFileError(f"cannot read trigger file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TriggerFileError(f"{path} is not valid JSON (line {exc.lineno})") from exc
    if not isinstance(data, dict) or set(data) != DOMAIN_KEYS:
        raise TriggerFileError(f"{path}: expected exactly the keys 'hr', 'it' and 'none'")
    for domain, words in data.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise TriggerFileError(f"{path}: field '{domain}' must be a list of strings")
    return data
