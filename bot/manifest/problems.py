"""A problem found in a Teams app package, said so an admin knows what to change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """`where` is a manifest path such as `bots[0].botId`, or a file name."""

    where: str
    message: str

    def line(self) -> str:
        """One line for the terminal."""
        return f"{self.where}: {self.message}" if self.where else self.message


def json_path(parts: Iterable[str | int]) -> str:
    """`bots[0].commandLists[1].commands` from a sequence of keys and indexes."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
