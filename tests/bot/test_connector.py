"""The connector's serializer: a card goes into the reply body unchanged, as msrest would send it."""

from __future__ import annotations

from botbuilder.schema import Activity, Attachment, HeroCard
from botframework.connector import models
from msrest import Serializer

from bot.connector import _CardSerializer

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Hi Abel!", "wrap": True}, {"type": "Input.Text"}],
    "actions": [{"type": "Action.Submit", "title": "Go", "data": {"verb": "help", "n": 1}}],
}
CLASSES = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}


def reply(*attachments: Attachment) -> Activity:
    return Activity(type="message", text="hello", attachments=list(attachments))


def test_a_card_reply_serializes_exactly_as_msrest_does() -> None:
    card = Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD)
    hero = Attachment(
        content_type="application/vnd.microsoft.card.hero", content=HeroCard(title="t")
    )
    activity = reply(card, hero)
    expected = Serializer(CLASSES).body(activity, "Activity")
    assert _CardSerializer(CLASSES).body(activity, "Activity") == expected
    assert activity.attachments[0].content is CARD  # the activity is left as it was


def test_other_bodies_are_msrest_s_own() -> None:
    activity = reply()
    assert _CardSerializer(CLASSES).body(activity, "Activity") == Serializer(CLASSES).body(
        activity, "Activity"
    )
