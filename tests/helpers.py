"""Helpers shared by the tests: where the public reference material (`../shared/`) lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_path(*parts: str) -> Path:
    """A path inside `../shared/` (or `$SNOWDESK_SHARED_DIR`); skips the test when it is absent."""
    root = Path(os.environ.get("SNOWDESK_SHARED_DIR", REPO.parent / "shared"))
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference material not found at {path} (set SNOWDESK_SHARED_DIR)")
    return path
