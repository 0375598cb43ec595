"""The fitted model is kept on disk by its training data: a restart reads it back (same answers,
no fitting), a changed trigger file fits a new one, and a damaged file is replaced."""

from __future__ import annotations

import json
from pathlib import Path

from dialogs import recognizer as module
from dialogs.recognizer import Recognizer

MESSAGES = ("my laptop won't boot", "status of INC0010023", "what's the weather", "my HR cases")


def _answers(recognizer: Recognizer) -> list[tuple[str, float]]:
    return [(r.topic, round(r.confidence, 6)) for r in map(recognizer.recognize, MESSAGES)]


def test_a_restart_reads_the_model_back_and_answers_the_same(tmp_path: Path) -> None:
    module._FITTED.clear()  # as a new process: nothing fitted in memory yet
    first = Recognizer.load(model_dir=tmp_path)
    (saved,) = tmp_path.glob("recognizer-*.npz")
    module._FITTED.clear()
    again = Recognizer.load(model_dir=tmp_path)
    assert _answers(again) == _answers(first)
    assert list(tmp_path.glob("recognizer-*.npz")) == [saved]


def test_changed_triggers_fit_a_new_model_and_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    models, overrides = tmp_path / "models", tmp_path / "triggers"
    overrides.mkdir()
    module._FITTED.clear()
    Recognizer.load(model_dir=models)
    override = {"topic": "greeting", "phrases": {"en": ["g'day to the whole service desk"]}}
    (overrides / "greeting.json").write_text(json.dumps(override), encoding="utf-8")
    Recognizer.load(overrides, model_dir=models)
    assert len(list(models.glob("recognizer-*.npz"))) == 2
    for saved in models.glob("recognizer-*.npz"):
        saved.write_bytes(b"not a model")
    module._FITTED.clear()
    assert Recognizer.load(model_dir=models).recognize("my HR cases").topic == "hr.list_cases"
