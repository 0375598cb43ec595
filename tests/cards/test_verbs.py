"""Verbs without a handler are impossible: every verb of every card the bot sends (buttons, row
actions, nested forms, refreshes) starts a declared topic or is a declared action of one, which
its topic's dialog says it handles; and every declared action is on some card."""

from __future__ import annotations

from typing import Any

import pytest

from cards.common import card_to_dict
from dialogs.actions import CardSubmit
from dialogs.it.ticket_details import TicketDetails
from dialogs.main import MainDialog
from dialogs.topics import topic_dialogs
from tests.cards.samples import SAMPLE_CARDS
from topics import BY_ID, CONTINUE_VERB, IT_TICKET_DETAILS, TOPICS

# Topics the router answers itself (MainDialog._start), without a dialog of their own.
ROUTER_TOPICS = frozenset(t.id for t in TOPICS if t.kind == "router")
DIALOG_OF = {dialog.topic.id: dialog for dialog in topic_dialogs()}


def _verbs(node: Any) -> set[str]:
    """Every verb in a card: an Action.Execute's `verb` and the `verb` its data carries."""
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("verb"), str):
            found.add(node["verb"])
        for value in node.values():
            found |= _verbs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _verbs(item)
    return found


def _every_verb() -> dict[str, set[str]]:
    return {name: _verbs(card_to_dict(build())) for name, build in SAMPLE_CARDS.items()}


def _problem(verb: str) -> str | None:
    """Why a card's verb would reach no handler, or None when it reaches one."""
    topic = BY_ID.get(CardSubmit(verb=verb).topic_id)
    if verb == CONTINUE_VERB:
        return None
    if topic is None:
        return "names no declared topic"
    if verb == topic.verb:
        if topic.id in ROUTER_TOPICS or topic.id in DIALOG_OF:
            return None
        return "starts a topic that has no dialog"
    if verb not in topic.action_verbs:
        return f"is not one of {topic.id}'s declared actions {sorted(topic.actions)}"
    if verb not in DIALOG_OF[topic.id].action_verbs:
        return f"is declared, but {DIALOG_OF[topic.id].__name__} does not handle it"
    return None


def test_every_verb_on_every_card_reaches_a_handler() -> None:
    problems = [
        f"{name}: {verb} {why}"
        for name, verbs in _every_verb().items()
        for verb in sorted(verbs)
        if (why := _problem(verb)) is not None
    ]
    assert not problems, "\n".join(problems)


def test_every_declared_action_is_on_a_card_and_handled_by_its_dialog() -> None:
    on_cards = set().union(*_every_verb().values())
    for topic in TOPICS:
        for verb in topic.action_verbs:
            assert verb in on_cards, f"{verb} is declared but no card sends it"
            assert DIALOG_OF[topic.id].action_verbs == topic.action_verbs, topic.id


def test_an_undeclared_action_cannot_be_built() -> None:
    with pytest.raises(KeyError, match="declares no action 'teleport'"):
        IT_TICKET_DETAILS.action("teleport")


def test_the_router_refuses_a_dialog_that_leaves_a_declared_action_unhandled() -> None:
    class Forgetful(TicketDetails):
        action_verbs = frozenset[str]()

    with pytest.raises(ValueError, match="it.ticket_details.refresh"):
        MainDialog([Forgetful(None)], None)  # type: ignore[arg-type]
