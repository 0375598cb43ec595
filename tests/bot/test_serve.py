"""`snowdesk run` refuses a broken configuration with one sentence, never a stack trace.

Run as an admin runs it: a separate process, in a folder of its own (no developer `.env`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWDESK_", "SERVICENOW_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**clean, "STORAGE_URL": "memory://", "PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_broken_template_stops_start_up_naming_file_and_field(tmp_path: Path) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "ITSM.CreateTicket.json").write_text(
        '{"Scenario": "ITSM.CreateTicket", "Table": "incident", "Operation": "DESTROY"}'
    )
    result = _run(tmp_path, SNOWDESK_TEMPLATES_DIR=str(overrides))
    assert result.returncode == 2
    assert result.stderr.startswith("Snowdesk cannot start: ")
    assert "ITSM.CreateTicket.json" in result.stderr and "Operation" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PORT": "abc"}, "PORT: Input should be a valid integer"),
        ({"STORAGE_URL": "foo://x"}, "STORAGE_URL 'foo://x' is not supported"),
    ],
)
def test_a_wrong_setting_is_one_sentence(tmp_path: Path, env: dict[str, str], said: str) -> None:
    result = _run(tmp_path, **env)
    assert result.returncode == 2
    assert said in result.stderr and "Traceback" not in result.stderr
