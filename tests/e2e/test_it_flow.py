"""One employee's IT ticket, end to end through /api/messages and the embedded ServiceNow emulator."""

from __future__ import annotations

from bot.config import Settings
from tests.cards.schema import assert_valid_card
from tests.desk import form_submit
from tests.e2e.harness import card_of, running_bot, texts_of


async def test_create_list_details_comment_updates() -> None:
    """User: "My laptop won't boot, it's urgent" → pre-filled form; Submit → "I've opened INC…";
    "show my tickets" → the new ticket listed; its row → details; Add comment "Tried safe mode" →
    thanks + refreshed details; "any updates on INC…?" → state and the comment."""
    settings = Settings(_env_file=None, storage_url="memory://")
    async with running_bot(settings) as chat:
        form = card_of((await chat.say("My laptop won't boot, it's urgent"))[-1])
        created = card_of((await chat.press(form_submit(form)))[-1])
        number = texts_of(created)[0].removeprefix("I've opened ")

        listing = card_of((await chat.say("show my tickets"))[-1])
        row = next(
            item["selectAction"]["data"]
            for item in listing["body"]
            if item.get("selectAction", {}).get("data", {}).get("number") == number
        )
        details = card_of((await chat.press(row))[-1])
        assert texts_of(details)[0] == number

        comment = {
            **details["actions"][0]["card"]["actions"][0]["data"],
            "comment": "Tried safe mode",
        }
        commented = await chat.press(comment)
        assert commented[0]["text"] == f"Thanks, I've added your comment to {number}."
        refreshed = card_of(commented[-1])
        assert any("Tried safe mode" in text for text in texts_of(refreshed))

        updates = (await chat.say(f"any updates on {number}?"))[-1]["text"]
        assert updates.startswith(f"{number} is New") and "Tried safe mode" in updates
        for card in (form, created, listing, details, refreshed):
            assert_valid_card(card)
