"""One declaration per topic: everything that names a topic is derived from `topics`.

Adding a topic is one declaration plus its own dialog, card and trigger files; these tests
fail when any of those is missing, or when something else starts declaring topics again.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import topics
from bot.manifest.build import with_commands
from dialogs._triggers import BUILT_IN_DIR
from dialogs.topics import topic_dialogs
from topics import TOPICS, Desk, desk_topics

REPO = Path(__file__).resolve().parents[1]
SOURCE_PACKAGES = ("bot", "dialogs", "flows", "cards", "servicenow")
TOPIC_ID = re.compile(r"^(hr|it)\.[a-z_]+(\.[a-z_]+)?$")


def test_every_desk_topic_has_exactly_one_dialog() -> None:
    declared = [t.id for t in desk_topics()]
    assert [d.topic.id for d in topic_dialogs()] == declared


def test_every_declared_topic_has_a_trigger_file_and_no_file_is_undeclared() -> None:
    files = {p.stem for p in BUILT_IN_DIR.glob("*.json") if not p.stem.startswith("_")}
    assert files == {t.id for t in TOPICS}
    for path in BUILT_IN_DIR.glob("*.json"):
        if not path.stem.startswith("_"):
            assert json.loads(path.read_text(encoding="utf-8"))["topic"] == path.stem


def test_every_desk_topic_has_a_title_a_manifest_command_and_a_mirror() -> None:
    manifest = json.loads((REPO / "manifest" / "manifest.json").read_text(encoding="utf-8"))
    personal = with_commands(manifest)["bots"][0]["commandLists"][0]["commands"]
    titles = [command["title"] for command in personal]
    for topic in desk_topics():
        assert topic.title and topic.description
        assert topic.command in titles
        mirror = topics.topic(topic.counterpart)
        assert mirror.desk not in (None, topic.desk), topic.id


def test_hr_and_it_offer_the_same_kinds_where_the_domain_allows() -> None:
    desks: tuple[Desk, ...] = ("hr", "it")
    kinds = {desk: {t.kind for t in desk_topics(desk)} for desk in desks}
    # IT's "status" and "update" are HR's details and updates (a case has no urgency to change).
    assert kinds["it"] - kinds["hr"] == {"status", "update"}
    assert kinds["hr"] <= kinds["it"]


def test_an_undeclared_action_is_refused() -> None:
    with pytest.raises(KeyError, match="declares no action"):
        topics.IT_CREATE_TICKET.action("delete")


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_no_module_outside_the_declaration_spells_a_topic_id_or_verb() -> None:
    spelled = []
    for package in SOURCE_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "emulator" in path.parts:
                continue  # the emulator's demo data has users such as "hr.agent"
            spelled += [
                f"{path.relative_to(REPO)}: {value}"
                for value in _string_constants(path)
                if TOPIC_ID.match(value)
            ]
    assert spelled == []
