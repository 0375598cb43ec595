"""The main router: disambiguation, fallback, and every interruption inside a running topic.

The topics here are recording test doubles and the recogniser is scripted, so each test says
exactly what the router must do with one recognition; the real recogniser has its own tests
(`test_recognizer*.py`), and the real topics are driven through the router in tests/dialogs/hr,
tests/dialogs/it and tests/e2e.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import ConversationState, MemoryStorage, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import Activity, ActivityTypes

from bot.handler import SnowdeskBot
from dialogs.actions import card_submit
from dialogs.base import KEEP_GOING, TopicDeps, TopicDialog, TopicOptions
from dialogs.main import (
    CANCELLED,
    NOT_AVAILABLE,
    OUT_OF_SCOPE,
    STARTING_OVER,
    MainDialog,
)
from dialogs.recognizer import Recognition
from dialogs.search import RecordSearch
from flows.models import Employee
from tests.cards.schema import assert_valid_card
from topics import HR_CASE_DETAILS, IT_CREATE_TICKET


class RecordingTopic(TopicDialog):
    """Says what started it and what it received; waits for more until its submit verb."""

    events: list[str]

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        started = TopicOptions.of(options)
        await inner_dc.context.send_activity(f"{self.topic_id} started {started.entities}")
        return Dialog.end_of_turn

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        activity = inner_dc.context.activity
        submit = card_submit(activity)
        if submit is not None:
            await inner_dc.context.send_activity(f"{self.topic_id} done")
            return await inner_dc.end_dialog()
        await inner_dc.context.send_activity(f"{self.topic_id} got {activity.text}")
        return Dialog.end_of_turn

    async def on_reprompt_dialog(self, context: TurnContext, instance: Any) -> None:
        await context.send_activity(f"{self.topic_id} still waiting")


class CreateTicket(RecordingTopic):
    topic = IT_CREATE_TICKET
    continue_verbs = frozenset({IT_CREATE_TICKET.action("submit")})
    action_verbs = IT_CREATE_TICKET.action_verbs


class CaseDetails(RecordingTopic):
    topic = HR_CASE_DETAILS
    action_verbs = HR_CASE_DETAILS.action_verbs


@dataclass
class ScriptedRecognizer:
    """Text → the recognition a test needs; anything else is out of scope."""

    script: dict[str, Recognition] = field(default_factory=dict)

    async def recognize_async(self, text: str | None) -> Recognition:
        return self.script.get(text or "", Recognition(topic="none", confidence=0.9))


SCRIPT = {
    "my laptop is broken": Recognition(
        "it.create_ticket", 0.9, {"description": "my laptop is broken"}
    ),
    "laptop thing hr": Recognition(
        "it.create_ticket",
        0.3,
        {"description": "laptop thing hr"},
        (("hr.case_details", 0.28), ("it.list_tickets", 0.25), ("help", 0.2)),
    ),
    "show my hr case": Recognition("hr.case_details", 0.95),
    "maybe a case": Recognition("hr.case_details", 0.5),
    "help": Recognition("help", 1.0),
    "cancel": Recognition("cancel", 1.0),
    "start over": Recognition("cancel", 1.0, {"restart": "true"}),
    "my tickets": Recognition("it.list_tickets", 0.95),
    "hi": Recognition("greeting", 1.0),
}


def make_adapter() -> TestAdapter:
    storage = MemoryStorage()
    conversation_state = ConversationState(storage)

    async def nobody(context: TurnContext) -> Employee:
        return Employee(sys_id="0" * 32)

    deps = TopicDeps(orchestrator=None, current_employee=nobody)  # type: ignore[arg-type]
    router = MainDialog([CreateTicket(deps), CaseDetails(deps)], ScriptedRecognizer(SCRIPT))
    bot = SnowdeskBot(
        conversation_state, conversation_state, UserState(storage), router, RecordSearch(deps)
    )
    return TestAdapter(bot.on_turn)


def press(data: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, value=data)


def card(activity: Activity) -> dict[str, Any]:
    content: dict[str, Any] = activity.attachments[0].content
    assert_valid_card(content)
    return content


def buttons(activity: Activity) -> list[dict[str, Any]]:
    return [action["data"] for action in card(activity)["actions"]]


def text_of(activity: Activity) -> str:
    return " ".join(
        block["text"] for block in card(activity)["body"] if block["type"] == "TextBlock"
    )


async def turn(adapter: TestAdapter, user_says: str | Activity) -> list[Activity]:
    """One user turn; the bot's messages in order (the turn completes inside the call)."""
    adapter.activity_buffer.clear()
    await adapter.receive_activity(user_says)
    replies = [a for a in adapter.activity_buffer if a.type == ActivityTypes.message]
    adapter.activity_buffer.clear()
    return replies


def said(replies: list[Activity]) -> list[str]:
    return [reply.text if reply.text else text_of(reply) for reply in replies]


async def test_unsure_recognition_offers_the_closest_topics_with_what_was_said() -> None:
    """User: laptop thing hr (confidence 0.3) → Bot: Did you mean… [Ask IT]
    [HR case details] [Something else] (My IT tickets is not built here, so not offered);
    User presses the first → the topic starts with the entities the message carried."""
    adapter = make_adapter()
    (reply,) = await turn(adapter, "laptop thing hr")
    assert "Did you mean" in text_of(reply)
    offered = buttons(reply)
    assert [b["verb"] for b in offered] == ["it.create_ticket", "hr.case_details", "help"]
    assert offered[0]["entities"] == {"description": "laptop thing hr"}
    assert said(await turn(adapter, press(offered[0]))) == [
        "it.create_ticket started {'description': 'laptop thing hr'}"
    ]


async def test_out_of_scope_gets_a_friendly_no_and_the_help_card() -> None:
    """User: what's the weather → Bot: Sorry, that's not something I can do … (help card)."""
    (reply,) = await turn(make_adapter(), "what's the weather")
    assert text_of(reply).startswith(OUT_OF_SCOPE)
    assert {b["verb"] for b in buttons(reply)} >= {"it.create_ticket", "hr.create_case"}


async def test_a_topic_that_does_not_exist_yet_is_said_to_be_unavailable() -> None:
    """User: my tickets (it.list_tickets is not registered here) → Bot: not available yet."""
    (reply,) = await turn(make_adapter(), "my tickets")
    assert text_of(reply).startswith(NOT_AVAILABLE)


async def test_help_inside_a_topic_answers_then_continues_where_it_was() -> None:
    """User: my laptop is broken → topic starts; User: help → help card, topic still waiting;
    User: it is a Dell → the same topic receives it."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    help_reply, reprompt = await turn(adapter, "help")
    assert "carry on where we were" in text_of(help_reply)
    assert reprompt.text == "it.create_ticket still waiting"
    assert said(await turn(adapter, "it is a Dell")) == ["it.create_ticket got it is a Dell"]


async def test_cancel_inside_a_topic_ends_it_and_the_next_message_starts_fresh() -> None:
    """User: my laptop is broken → topic; User: cancel → "OK, I've stopped…";
    User: show my hr case → a new topic starts (the old one is gone)."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    assert said(await turn(adapter, "cancel")) == [CANCELLED]
    assert said(await turn(adapter, "show my hr case")) == ["hr.case_details started {}"]


async def test_start_over_restarts_the_running_topic_from_scratch() -> None:
    """User: my laptop is broken → topic (with a description); User: start over →
    "OK, let's start over." and the same topic begins again with nothing pre-filled."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    assert said(await turn(adapter, "start over")) == [
        STARTING_OVER,
        "it.create_ticket started {}",
    ]


async def test_a_clear_request_for_another_topic_offers_to_switch() -> None:
    """In a topic, User: show my hr case (0.95) → "Do you want to switch…?" [Switch] [Keep going];
    Keep going → "let's carry on" and the topic reprompts; asking again and pressing Switch → the new topic starts."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    (offer,) = await turn(adapter, "show my hr case")
    assert "switch to “HR case details”" in text_of(offer)
    switch, keep_going = buttons(offer)
    assert said(await turn(adapter, press(keep_going))) == [
        KEEP_GOING,
        "it.create_ticket still waiting",
    ]
    await turn(adapter, "show my hr case")
    assert said(await turn(adapter, press(switch))) == ["hr.case_details started {}"]


async def test_a_vague_message_inside_a_topic_is_the_topic_input_not_a_switch() -> None:
    """In a topic, User: maybe a case (0.5, below the switch bar) → the topic receives it."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    assert said(await turn(adapter, "maybe a case")) == ["it.create_ticket got maybe a case"]


async def test_a_card_submit_goes_to_the_running_topic_never_to_the_recogniser() -> None:
    """In a topic, a Submit that also carries the text "cancel" still reaches the topic as
    its form submission."""
    adapter = make_adapter()
    await turn(adapter, "my laptop is broken")
    submit = Activity(
        type=ActivityTypes.message,
        text="cancel",
        value={"verb": "it.create_ticket.submit", "short_description": "cancel"},
    )
    assert said(await turn(adapter, submit)) == ["it.create_ticket done"]


async def test_greeting_gets_the_help_card() -> None:
    """User: hi → Bot: Hi! Here is what I can do … (a button per topic)."""
    (reply,) = await turn(make_adapter(), "hi")
    assert text_of(reply).startswith("Hi!")
