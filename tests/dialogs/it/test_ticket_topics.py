"""Status, details, my tickets, updates and changes: only the user's own tickets, never work notes."""

from __future__ import annotations

from tests.cards.schema import assert_valid_card
from tests.dialogs.it.conftest import ItBed
from tests.dialogs.it.helpers import card_of, open_ticket, says, texts_of

ABEL = "abel.tuter@example.com"


async def test_status_is_one_line_with_a_details_button(bed: ItBed) -> None:
    """User: what's the status of INC…? → "INC… (summary) is New, with …; last updated …"
    with a Details button that opens the details card."""
    number = await open_ticket(bed.chat, "Outlook crashes at start")
    replies = await bed.chat.say(f"what's the status of {number}?")
    card = card_of(replies[-1])
    assert_valid_card(card)
    assert texts_of(card)[0].startswith(f"{number} (Outlook crashes at start) is New")
    details = card_of((await bed.chat.press(card["actions"][0]["data"]))[-1])
    assert texts_of(details)[0] == number


async def test_someone_elses_ticket_gets_the_same_answer_as_a_missing_one(bed: ItBed) -> None:
    """User: status of <a colleague's ticket> → the not-found sentence, word for word the same as
    for INC9999999; nothing about the colleague's ticket is shown."""
    [theirs, *_] = await bed.emulator.incidents(f"caller_id.email!={ABEL}^active=true")
    missing = await bed.chat.say("status of INC9999999")
    other = await bed.chat.say(f"status of {theirs['number']}")
    assert missing[-1]["text"] == other[-1]["text"]
    assert "I can't find that ticket" in other[-1]["text"]
    details = await bed.chat.press({"verb": "it.ticket_details", "number": theirs["number"]})
    assert details[-1]["text"] == missing[-1]["text"]


async def test_my_tickets_lists_open_ones_and_a_row_opens_details(bed: ItBed) -> None:
    """User: show my tickets → "Your open tickets", rows with number and state, "as of" time;
    User presses a row → its details card."""
    number = await open_ticket(bed.chat, "Monitor flickers")
    card = card_of((await bed.chat.say("show my tickets"))[-1])
    assert_valid_card(card)
    assert texts_of(card)[0] == "Your open tickets"
    assert "as of" in texts_of(card)[1]
    row = next(
        item
        for item in card["body"]
        if item.get("selectAction", {}).get("data", {}).get("number") == number
    )
    details = card_of((await bed.chat.press(row["selectAction"]["data"]))[-1])
    assert texts_of(details)[0] == number


async def test_my_tickets_pages_by_five_and_a_new_ticket_shows_at_once(bed: ItBed) -> None:
    """User: six tickets → page 1 has five and Next; Next → the rest; the list is cached per user
    but the user's own new ticket appears straight away."""
    for n in range(6):
        await open_ticket(bed.chat, f"Paging check {n}")
    first = card_of((await bed.chat.say("show my tickets"))[-1])
    rows = [item for item in first["body"] if "selectAction" in item]
    assert len(rows) == 5
    nxt = next(a for a in first["actions"] if a["title"] == "Next")
    second = card_of((await bed.chat.press(nxt["data"]))[-1])
    assert texts_of(second)[1].startswith("6–")
    newest = await open_ticket(bed.chat, "Cache check")
    again = card_of((await bed.chat.say("show my tickets"))[-1])
    assert any(newest in text for text in texts_of(again))


async def test_comment_from_the_details_card_is_added_once_and_shown(bed: ItBed) -> None:
    """User: details of INC… → Add comment: "It boots now" (pressed twice) → "Thanks…" and the
    refreshed details card showing the comment; ServiceNow holds it once, as a comment."""
    number = await open_ticket(bed.chat, "Laptop slow")
    details = card_of((await bed.chat.say(f"show me {number}"))[-1])
    comment_form = details["actions"][0]["card"]
    value = {**comment_form["actions"][0]["data"], "comment": "It boots now"}
    first = await bed.chat.press(value)
    await bed.chat.press(value)
    assert says(first, f"Thanks, I've added your comment to {number}.")
    assert says(first, "It boots now")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert row["comments"].count("It boots now") == 1
    assert row["work_notes"] == ""


async def test_urgency_change_answers_with_the_refreshed_details(bed: ItBed) -> None:
    """User: details → Change urgency: Low → "Done: INC… now has urgency 3 - Low" + details card."""
    number = await open_ticket(bed.chat, "Mouse double-clicks")
    details = card_of((await bed.chat.say(f"details of {number}"))[-1])
    value = {**details["actions"][1]["card"]["actions"][0]["data"], "urgency": "low"}
    replies = await bed.chat.press(value)
    assert says(replies, f"Done: {number} now has urgency 3 - Low.")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert row["urgency"] == "3 - Low"


async def test_attachment_added_to_an_existing_ticket(bed: ItBed) -> None:
    """User: details → Add a file → "Please send me the file…"; User: sends photo.jpg →
    "I've attached photo.jpg to INC…" and the refreshed details card; ServiceNow has the file."""
    bed.files.files = {"photo.jpg": b"jpeg bytes"}
    number = await open_ticket(bed.chat, "Dock has no power")
    details = card_of((await bed.chat.say(f"details of {number}"))[-1])
    asked = await bed.chat.press(details["actions"][2]["data"])
    assert says(asked, f"Please send me the file to attach to {number}")
    file = {
        "contentType": "image/jpeg",
        "contentUrl": bed.files.url("photo.jpg"),
        "name": "photo.jpg",
    }
    replies = await bed.send(attachments=[file])
    assert says(replies, f"I've attached photo.jpg to {number}.")
    assert replies[-1]["attachments"]
    [row] = await bed.emulator.incidents(f"number={number}")
    assert [a["file_name"] for a in await bed.emulator.attachments(row["sys_id"])] == ["photo.jpg"]


async def test_a_closed_ticket_cannot_be_changed(bed: ItBed) -> None:
    """Agent closes INC…; User presses Add comment on the old card → "Sorry, I can't do that:
    INC… is closed." and no comment is written."""
    number = await open_ticket(bed.chat, "Old headset")
    details = card_of((await bed.chat.say(f"details of {number}"))[-1])
    [row] = await bed.emulator.incidents(f"number={number}")
    await bed.emulator.patch_incident(
        row["sys_id"], {"state": "7", "close_code": "Solution provided", "close_notes": "Replaced."}
    )
    value = {**details["actions"][0]["card"]["actions"][0]["data"], "comment": "Still broken"}
    replies = await bed.chat.press(value)
    assert replies[-1]["text"] == f"Sorry, I can't do that: {number} is closed."
    [after] = await bed.emulator.incidents(f"number={number}")
    assert "Still broken" not in after["comments"]


async def test_updates_show_comments_but_never_work_notes(bed: ItBed) -> None:
    """Agent adds a work note and a comment; User: any updates on INC…? → the state, when it changed,
    and the comment; the details card shows the comment too; the work note appears nowhere."""
    number = await open_ticket(bed.chat, "Wifi drops in room 12")
    [row] = await bed.emulator.incidents(f"number={number}")
    await bed.emulator.patch_incident(
        row["sys_id"], {"work_notes": "AGENT-ONLY suspect AP firmware"}
    )
    await bed.emulator.patch_incident(
        row["sys_id"], {"comments": "We are replacing the access point."}
    )
    updates = await bed.chat.say(f"any updates on {number}?")
    text = updates[-1]["text"]
    assert text.startswith(f"{number} is ")
    assert updates[-1]["textFormat"] == "plain"  # what agents wrote is never rendered
    assert "We are replacing the access point." in text
    details = await bed.chat.say(f"details of {number}")
    assert says(details, "We are replacing the access point.")
    for reply in [*updates, *details]:
        assert "AGENT-ONLY" not in str(reply)
