"""How a state item travels to and from a database: jsonpickle JSON plus a separate eTag.

botbuilder's `MemoryStorage` keeps live Python objects, so nothing ever has to survive
serialisation there. The dialog stack stores `DialogState` / `DialogInstance` objects (and prompt
options holding `Activity` objects); like botbuilder-azure's storages, we flatten items with
jsonpickle so those objects come back as the same classes after a restart.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

ETAG = "e_tag"
ANY_ETAG = "*"


class EtagConflictError(KeyError):
    """A write carried an eTag that is no longer the stored one: someone else wrote first.

    A `KeyError` like `MemoryStorage` raises, and its text starts with "Etag conflict" so
    botbuilder's `TeamsSSOTokenExchangeMiddleware` recognises it as a duplicate.
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"Etag conflict: the item '{key}' changed since it was read")
        self.key = key


def etag_of(item: object) -> str | None:
    """The eTag a dict or `StoreItem` carries, or None."""
    if isinstance(item, dict):
        return item.get(ETAG)
    return getattr(item, ETAG, None)


def new_etag() -> str:
    """A fresh eTag, unique across processes sharing one database."""
    return uuid.uuid4().hex


def expected_etag(key: str, item: object) -> str | None:
    """The eTag the stored item must still have for this write, or None for "write anyway"."""
    etag = etag_of(item)
    if etag == "":
        raise ValueError(f"storage.write(): the item '{key}' has an empty eTag")
    return None if etag in (None, ANY_ETAG) else etag


def check_etag(key: str, expected: str | None, stored: str | None) -> None:
    """Raise `EtagConflictError` when a conditional write would overwrite a newer item."""
    if expected is not None and stored is not None and expected != stored:
        raise EtagConflictError(key)


def encode(item: object) -> str:
    """The item as JSON text, without its eTag (the eTag is stored beside it)."""
    flat: Any = Pickler().flatten(item)
    if isinstance(flat, dict):
        flat.pop(ETAG, None)
    return json.dumps(flat, separators=(",", ":"))


def decode(text: str, etag: str) -> object:
    """The item back as the objects it was written as, carrying its current eTag."""
    flat = json.loads(text)
    if isinstance(flat, dict):
        flat[ETAG] = etag
    return Unpickler().restore(flat)


def require_keys(keys: object) -> None:
    """Reads need a key list, as botbuilder's storage contract tests expect."""
    if keys is None:
        raise ValueError("Keys are required when reading")


def require_changes(changes: object) -> None:
    """Writes need a mapping, as botbuilder's storage contract tests expect."""
    if changes is None:
        raise ValueError("Changes are required when writing")


def prepare_writes(changes: dict[str, object]) -> list[tuple[str, str | None, str]]:
    """(key, expected eTag or None, JSON document) for each change, checked before any I/O."""
    return [(key, expected_etag(key, item), encode(item)) for key, item in changes.items()]


DEFAULT_CLAIM_TTL_S = 24 * 3600.0  # Teams redelivers within minutes; a day is ample


def require_claim(key: str, ttl_seconds: float) -> None:
    """A claim needs a key and a positive lifetime."""
    if not key:
        raise ValueError("A claim needs a key")
    if ttl_seconds <= 0:
        raise ValueError("A claim needs a positive ttl_seconds")
