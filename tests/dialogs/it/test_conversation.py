"""Conversation that does not trap people: a typed comment is shown back before anything is
written (then stored verbatim, or refused in one sentence when too long); a comment asked for is
taken from the next message whatever it sounds like; a number that cannot exist gets a plain
answer; every button of the switch card answers."""

from __future__ import annotations

from dialogs.base import KEEP_GOING
from dialogs.forms import ADDED_TO_FORM
from dialogs.main import FORM_EXPIRED
from tests.desk import bot_and_emulator, desk_settings
from tests.dialogs.it.conftest import ItBed
from tests.dialogs.it.helpers import open_ticket, says
from tests.e2e.harness import card_of, texts_of
from topics import IT_UPDATE_TICKET


def _button(card: dict) -> dict:
    (action,) = card["actions"]
    assert action["data"]["verb"] == IT_UPDATE_TICKET.action("comment")
    return action


async def test_a_typed_comment_is_shown_back_and_written_verbatim_once_confirmed(
    bed: ItBed,
) -> None:
    """User: "add a comment to INC…: line one <newline> [link](https://evil.example)" → the comment
    form, filled in, and no comment yet; User: Add a comment → stored exactly as typed."""
    number = await open_ticket(bed.chat, "Dock flickers")
    said = "line one\n\n[link](https://evil.example) & <b>bold</b>"
    confirm = card_of((await bed.chat.say(f"add a comment to {number}: {said}"))[-1])
    assert texts_of(confirm)[0].startswith(f"Add this comment to {number}")
    (field,) = [item for item in confirm["body"] if item.get("id") == "comment"]
    assert field["value"] == said
    [row] = await bed.emulator.incidents(f"number={number}")
    assert row["comments"] == ""  # nothing written by the message itself

    added = await bed.chat.press({**_button(confirm)["data"], "comment": field["value"]})
    assert says(added, f"Thanks, I've added your comment to {number}.")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert said in row["comments"]


async def test_a_comment_longer_than_servicenow_takes_is_refused_not_cut(bed: ItBed) -> None:
    number = await open_ticket(bed.chat, "Scanner jams")
    replies = await bed.chat.say(f"add a comment to {number}: " + "x" * 100_000)
    assert says(replies, "Your comment is too long: 100000 characters, at most 4000.")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert row["comments"] == ""


async def test_add_a_comment_then_the_comment_itself_in_the_next_message(bed: ItBed) -> None:
    """User: "add a comment to INC…" → "What would you like to add…?"; User: "my laptop won't
    boot again" (sounds like a new problem) → it is the comment, added."""
    number = await open_ticket(bed.chat, "Laptop reboots")
    asked = await bed.chat.say(f"add a comment to {number}")
    assert says(asked, f"What would you like to add to {number} (Laptop reboots)?")
    added = await bed.chat.say("my laptop won't boot again")
    assert says(added, f"Thanks, I've added your comment to {number}.")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert "my laptop won't boot again" in row["comments"]


async def test_a_number_that_cannot_exist_is_never_answered_with_another_ticket(
    bed: ItBed,
) -> None:
    """User (who has tickets): "status of INC00100231" (8 digits) → "that isn't a ticket
    number", not the status of their latest ticket."""
    await open_ticket(bed.chat, "Headset crackles")
    replies = await bed.chat.say("status of INC00100231")
    assert [r.get("text") for r in replies] == [
        "“INC00100231” isn't a ticket number: ticket numbers look like INC0010023."
    ]


async def test_keep_going_on_the_switch_card_gets_an_answer(bed: ItBed) -> None:
    """User: "my laptop won't boot" → form; "show my tickets" → "switch?"; Keep going → a
    sentence saying the form above is still open (it used to send nothing)."""
    await bed.chat.say("my laptop won't boot")
    switch = card_of((await bed.chat.say("show my tickets"))[-1])
    keep = next(a for a in switch["actions"] if a["title"] == "Keep going")
    replies = await bed.chat.press(keep["data"])
    assert [r.get("text") for r in replies] == [KEEP_GOING]


async def test_words_typed_while_the_form_is_open_fill_it_in(bed: ItBed) -> None:
    """User: "my laptop won't boot" → form; "it started after yesterday's update" → "I've added
    that…" and the form again, its description holding those words."""
    await bed.chat.say("my laptop won't boot")
    replies = await bed.chat.say("it started after yesterday's update")
    assert replies[0]["text"] == ADDED_TO_FORM
    form = card_of(replies[-1])
    (description,) = [item for item in form["body"] if item.get("id") == "description"]
    assert description["value"].endswith("it started after yesterday's update")


async def test_a_form_left_open_too_long_no_longer_traps_the_next_message() -> None:
    """With SNOWDESK_FORM_IDLE_MINUTES=0: a form is open; User: "show my tickets" → the form is
    closed with a note and the list answers (no "switch?" question, no "fill in the form")."""
    settings = desk_settings("form-idle").model_copy(update={"form_idle_minutes": 0})
    async with bot_and_emulator(settings) as (chat, _):
        await chat.say("my laptop won't boot")
        replies = await chat.say("show my tickets")
        assert replies[0]["text"] == FORM_EXPIRED
        assert texts_of(card_of(replies[-1]))[0].startswith("Your open")


async def test_a_ticket_named_by_its_words_is_the_one_answered_and_the_answer_says_so(
    bed: ItBed,
) -> None:
    """Abel has a VPN ticket, then a newer laptop ticket; User: "is my vpn ticket fixed yet" →
    "I took INC… (VPN drops…): it mentions “vpn”." and that ticket's status, not the laptop's."""
    vpn = await open_ticket(bed.chat, "VPN drops every ten minutes")
    laptop = await open_ticket(bed.chat, "Laptop fan is loud")
    replies = await bed.chat.say("is my vpn ticket fixed yet")
    picked = card_of(replies[0])
    assert texts_of(picked)[0] == f"I took {vpn} (VPN drops every ten minutes): it mentions “vpn”."
    assert all(a["title"].startswith("No, INC") for a in picked.get("actions", []))
    status = texts_of(card_of(replies[-1]))[0]
    assert status.startswith(vpn) and laptop not in status


async def test_a_long_problem_report_reaches_the_form_whole(bed: ItBed) -> None:
    """User: a 900-character story about a laptop (past the recogniser's 600-character read) →
    the form's description holds every word of it, line breaks too: nothing typed is lost."""
    story = "My laptop won't boot since the update.\n\n" + "It shows a blue screen again. " * 30
    form = card_of((await bed.chat.say(story))[-1])
    (description,) = [item for item in form["body"] if item.get("id") == "description"]
    assert len(story) > 900 and description["value"] == story.strip()
