"""Every topic's dialog, found by its declared topic and built with the composition root's deps.

The topics themselves are declared in `topics`; a topic's dialog is the class in `dialogs/hr/`
or `dialogs/it/` whose own `topic` is that declaration, so adding a topic edits no list here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from dialogs import hr, it
from dialogs.base import TopicDeps, TopicDialog
from topics import desk_topics


@cache
def topic_dialogs() -> tuple[type[TopicDialog], ...]:
    """One dialog class per declared desk topic, in declaration order."""
    found: dict[str, type[TopicDialog]] = {}
    for package in (hr, it):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            for dialog in _declared_in(importlib.import_module(info.name)):
                if dialog.topic.id in found:
                    raise LookupError(f"two dialogs for topic {dialog.topic.id}")
                found[dialog.topic.id] = dialog
    missing = [t.id for t in desk_topics() if t.id not in found]
    if missing:
        raise LookupError(f"declared topics without a dialog: {', '.join(missing)}")
    return tuple(found[t.id] for t in desk_topics())


def build_topics(deps: TopicDeps) -> list[TopicDialog]:
    """One dialog per declared desk topic; the router maps each `topic_id` to its dialog."""
    return [dialog(deps) for dialog in topic_dialogs()]


def _declared_in(module: ModuleType) -> list[type[TopicDialog]]:
    """The topic dialogs a module defines itself (not those it imports)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, TopicDialog)
        and value.__module__ == module.__name__
        and "topic" in vars(value)
    ]
