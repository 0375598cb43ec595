"""Create ticket: one sentence → pre-filled form → Submit → one ticket, files attached, nothing lost."""

from __future__ import annotations

from tests.cards.schema import assert_valid_card
from tests.dialogs.it.conftest import ItBed
from tests.dialogs.it.helpers import card_of, form_submit, says, texts_of

PROBLEM = "My laptop won't boot, it's urgent"
SUMMARY = "My laptop won't boot"


async def test_one_sentence_gives_a_prefilled_form_and_submit_opens_the_ticket(bed: ItBed) -> None:
    """User: My laptop won't boot, it's urgent → form (summary, urgency High, category Hardware
    prefilled); User: Submit → ticket card (number, state New, urgency High, priority 2 - High
    as the template maps high urgency); ServiceNow has it, caller Abel."""
    form = card_of((await bed.chat.say(PROBLEM))[-1])
    assert_valid_card(form)
    inputs = {item["id"]: item.get("value") for item in form["body"] if "id" in item}
    assert inputs["short_description"] == SUMMARY  # without "it's urgent": urgency says that
    assert inputs["description"] == PROBLEM
    assert inputs["urgency"] == "high"
    assert inputs["category"] == "hardware"
    answer = card_of((await bed.chat.press(form_submit(form)))[-1])
    assert_valid_card(answer)
    number = texts_of(answer)[0].removeprefix("I've opened ")
    [row] = await bed.emulator.incidents(f"number={number}")
    assert row["short_description"] == SUMMARY
    assert row["urgency"] == "1 - High"
    assert row["caller_id"] == "Abel Tuter"
    facts = {f["title"]: f["value"] for f in answer["body"][2]["facts"]}
    assert facts["State"] == "New" and facts["Urgency"] == "1 - High"
    assert facts["Priority"] == "2 - High" and facts["Category"] == "Hardware"


async def test_invalid_input_shows_the_form_again_with_the_reason(bed: ItBed) -> None:
    """User: open a ticket → empty form; Submit with no summary → "Please fill in …";
    Submit with a 500-character summary → "too long"; nothing is created."""
    form = card_of((await bed.chat.say("open a ticket"))[-1])
    assert form_submit(form)["short_description"] == ""
    again = await bed.chat.press(form_submit(form))
    assert says(again, "Please fill in short description.")
    too_long = await bed.chat.press(form_submit(form, short_description="x" * 500))
    assert says(too_long, "too long: 500 characters")
    assert await bed.emulator.incidents("short_descriptionSTARTSWITHxxxxx") == []


async def test_double_submit_creates_one_ticket(bed: ItBed) -> None:
    """User: Submit, Submit (same card, e.g. a double click or a Teams redelivery) → one ticket,
    and both answers name the same number."""
    form = card_of((await bed.chat.say("open a ticket"))[-1])
    value = form_submit(form, short_description="The printer on floor 3 jams on every page")
    first = texts_of(card_of((await bed.chat.press(value))[-1]))[0]
    second = texts_of(card_of((await bed.chat.press(value))[-1]))[0]
    assert first == second
    rows = await bed.emulator.incidents(
        "short_description=The printer on floor 3 jams on every page"
    )
    assert len(rows) == 1


async def test_servicenow_down_keeps_the_draft_and_retry_creates_it(bed: ItBed) -> None:
    """User: Submit while ServiceNow fails → "ServiceNow isn't answering (reference …)" and the
    same form with a Retry button; ServiceNow back, User: Retry → the ticket, exactly once."""
    form = card_of((await bed.chat.say("open a ticket"))[-1])
    await bed.emulator.faults(error_next=1000, error_statuses=[503])
    value = form_submit(
        form, short_description="VPN drops every ten minutes", description="Since Monday."
    )
    failed = await bed.chat.press(value)
    await bed.emulator.faults(error_next=0)
    assert says(failed, "ServiceNow isn't answering right now")
    retry_form = card_of(failed[-1])
    assert retry_form["actions"][0]["title"] == "Retry"
    kept = form_submit(retry_form)
    assert kept["short_description"] == "VPN drops every ten minutes"
    assert kept["description"] == "Since Monday."
    done = await bed.chat.press(kept)
    assert texts_of(card_of(done[-1]))[0].startswith("I've opened INC")
    assert len(await bed.emulator.incidents("short_description=VPN drops every ten minutes")) == 1


async def test_files_sent_while_creating_are_attached_in_both_shapes(bed: ItBed) -> None:
    """User: "my screen flickers" + screen.png (Emulator shape) → form naming screen.png;
    User: log.txt (Teams file.download.info shape) → "Got it"; Submit → ticket with both files."""
    bed.files.files = {"screen.png": b"\x89PNG fake", "log.txt": b"boot log"}
    emulator_file = {
        "contentType": "image/png",
        "contentUrl": bed.files.url("screen.png"),
        "name": "screen.png",
    }
    form = card_of((await bed.send(text="my screen flickers", attachments=[emulator_file]))[-1])
    assert any("screen.png" in text for text in texts_of(form))
    teams_file = {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "contentUrl": "https://contoso.sharepoint.com/personal/abel/log.txt",
        "name": "log.txt",
        "content": {"downloadUrl": bed.files.url("log.txt"), "fileType": "txt"},
    }
    got = await bed.send(attachments=[teams_file])
    assert says(got, "I'll attach screen.png, log.txt when you submit")
    answer = card_of((await bed.chat.press(form_submit(form)))[-1])
    assert says([{"attachments": [{"content": answer}]}], "log.txt is attached.")
    [row] = await bed.emulator.incidents("short_description=my screen flickers")
    names = sorted(item["file_name"] for item in await bed.emulator.attachments(row["sys_id"]))
    assert names == ["log.txt", "screen.png"]


async def test_an_oversized_file_is_refused_plainly_and_the_ticket_still_opens(bed: ItBed) -> None:
    """User: "keyboard is dead" + huge.bin (over 10 MB) → Submit → ticket card saying the file is
    larger than 10 MB; nothing is attached."""
    bed.files.files = {"huge.bin": b"\0" * (10 * 1024 * 1024 + 1)}
    file = {
        "contentType": "application/octet-stream",
        "contentUrl": bed.files.url("huge.bin"),
        "name": "huge.bin",
    }
    form = card_of((await bed.send(text="keyboard is dead", attachments=[file]))[-1])
    answer = await bed.chat.press(form_submit(form))
    assert says(answer, "huge.bin is larger than 10 MB.")
    [row] = await bed.emulator.incidents("short_description=keyboard is dead")
    assert await bed.emulator.attachments(row["sys_id"]) == []


async def test_a_person_known_when_the_form_opened_stays_known_until_submit(bed: ItBed) -> None:
    """Abel opens a form; an admin deactivates his profile meanwhile; User: Submit → his ticket
    opens once: who he is was settled when the form opened and is remembered per person for
    SNOWDESK_IDENTITY_TTL, so a form is never lost to a lookup in the middle of it."""
    form = card_of((await bed.chat.say("open a ticket"))[-1])
    abel = await bed.emulator.user_sys_id("abel.tuter")
    await bed.emulator.patch("sys_user", abel, {"active": "false"})
    done = await bed.chat.press(form_submit(form, short_description="Badge reader rejects my card"))
    assert texts_of(card_of(done[-1]))[0].startswith("I've opened INC")
    await bed.emulator.patch("sys_user", abel, {"active": "true"})
    assert len(await bed.emulator.incidents("short_description=Badge reader rejects my card")) == 1


async def test_someone_servicenow_does_not_know_hears_it_before_any_form(bed: ItBed) -> None:
    """Abel's profile is inactive; User: "my laptop won't boot" → what is wrong and what an admin
    must do, at once: no form to fill in that could never be submitted, nothing left open."""
    abel = await bed.emulator.user_sys_id("abel.tuter")
    await bed.emulator.patch("sys_user", abel, {"active": "false"})
    replies = await bed.chat.say("my laptop won't boot")
    assert [r.get("attachments") for r in replies] == [None]
    assert says(replies, "ask your ServiceNow admin for an active user whose")
    await bed.emulator.patch("sys_user", abel, {"active": "true"})
    form = card_of((await bed.chat.say("my laptop won't boot"))[-1])
    assert form["actions"][0]["title"] == "Submit"
