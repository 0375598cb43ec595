"""`snowdesk run` refuses a broken configuration with one sentence, never a stack trace."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot import serve


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> int:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's, no data/ left behind
    monkeypatch.setenv("STORAGE_URL", "memory://")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return serve.main(argparse.Namespace(host=None, port=None))


def test_a_broken_template_stops_start_up_naming_file_and_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "ITSM.CreateTicket.json").write_text(
        '{"Scenario": "ITSM.CreateTicket", "Table": "incident", "Operation": "DESTROY"}'
    )
    assert _run(monkeypatch, tmp_path, SNOWDESK_TEMPLATES_DIR=str(overrides)) == 2
    error = capsys.readouterr().err
    assert error.startswith("Snowdesk cannot start: ")
    assert "ITSM.CreateTicket.json" in error and "Operation" in error
    assert "Traceback" not in error and error.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PORT": "abc"}, "PORT: Input should be a valid integer"),
        ({"STORAGE_URL": "foo://x"}, "STORAGE_URL 'foo://x' is not supported"),
    ],
)
def test_a_wrong_setting_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    said: str,
) -> None:
    assert _run(monkeypatch, tmp_path, **env) == 2
    error = capsys.readouterr().err
    assert said in error and "Traceback" not in error
