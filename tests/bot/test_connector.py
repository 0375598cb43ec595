"""The connector's serializer: every reply goes out as exactly the JSON msrest would send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botbuilder.core import CardFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    HeroCard,
    Mention,
    OAuthCard,
    SuggestedActions,
)
from botframework.connector import models
from msrest import Serializer

from bot.connector import _ActivitySerializer

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Hi Abel!", "wrap": True}, {"type": "Input.Text"}],
    "actions": [{"type": "Action.Submit", "title": "Go", "data": {"verb": "help", "n": 1}}],
}
CLASSES = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
ABEL = ChannelAccount(id="29:abel", name="Abel Tuter", aad_object_id="00000000-aaaa")


def _incoming() -> Activity:
    return Activity(
        type=ActivityTypes.message,
        id="1700000000000",
        channel_id="msteams",
        service_url="https://smba.example/amer/",
        from_property=ABEL,
        recipient=ChannelAccount(id="28:bot", name="Snowdesk"),
        conversation=ConversationAccount(id="a:1", conversation_type="personal", tenant_id="t"),
        locale="de-DE",
    )


def _reply(**fields: object) -> Activity:
    reply = Activity(**fields)
    return TurnContext.apply_conversation_reference(
        reply, TurnContext.get_conversation_reference(_incoming())
    )


REPLIES = {
    "text": _reply(type="message", text="hello", text_format="plain"),
    "typing": _reply(type=ActivityTypes.typing),
    "cards": _reply(
        type="message",
        attachments=[
            Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD),
            Attachment(
                content_type="application/vnd.microsoft.card.hero", content=HeroCard(title="t")
            ),
        ],
    ),
    "sign-in": _reply(
        type="message",
        attachments=[
            CardFactory.oauth_card(
                OAuthCard(
                    text="Sign in",
                    connection_name="sso",
                    buttons=[CardAction(type="signin", title="Sign in", value="https://x")],
                )
            )
        ],
    ),
    "mention": _reply(
        type="message",
        text="<at>Abel Tuter</at>, I sent it to your personal chat.",
        entities=[Mention(mentioned=ABEL, text="<at>Abel Tuter</at>", type="mention")],
        channel_data={"notification": {"alert": True}, "tenant": {"id": "t"}},
    ),
    "suggested": _reply(
        type="message",
        text="Which one?",
        suggested_actions=SuggestedActions(
            actions=[CardAction(type="imBack", title="Yes", value="yes")], to=["29:abel"]
        ),
    ),
    "timestamped": _reply(type="message", text="late", timestamp=datetime(2026, 12, 1, tzinfo=UTC)),
}


@pytest.mark.parametrize("name", REPLIES)
def test_every_reply_serializes_exactly_as_msrest_does(name: str) -> None:
    activity = REPLIES[name]
    expected = Serializer(CLASSES).body(activity, "Activity")
    assert _ActivitySerializer(CLASSES).body(activity, "Activity") == expected


def test_a_card_goes_out_as_the_same_object_and_the_activity_is_left_as_it_was() -> None:
    activity = REPLIES["cards"]
    body = _ActivitySerializer(CLASSES).body(activity, "Activity")
    assert body["attachments"][0]["content"] == CARD
    assert activity.attachments[0].content is CARD
