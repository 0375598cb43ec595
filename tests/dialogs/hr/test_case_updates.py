"""Case updates: a short text answer, in the user's time zone, customer-visible comments only."""

from __future__ import annotations

from tests.dialogs.hr.conftest import HRBed


async def test_any_news_answers_in_plain_sentences_without_work_notes(bed: HRBed) -> None:
    """User (Teams, Europe/Berlin): "any news on my HR case?" → "Your HR case HRC… was last updated
    on <Berlin time> by …" and the latest comments; never the agent's work notes."""
    bed.chat.extra = {"localTimezone": "Europe/Berlin"}
    replies = await bed.chat.say("any news on my HR case?")
    assert len(replies) == 1 and not replies[0].get("attachments")
    text = replies[0].get("text") or ""
    assert text.startswith("Your HR case HRC")
    assert "UTC" not in text  # shown in the user's zone
    assert "Verified employee record." not in text


async def test_view_updates_button_and_utc_named_without_a_zone(bed: HRBed) -> None:
    """User presses "Updates" on a case card (no time zone known) → the updates of that case,
    with times in UTC, named; the comment just added by an agent is there."""
    rows = await bed.emulator.cases("opened_for.user_name=abel.tuter^active=true")
    number = rows[0]["number"]
    await bed.emulator.update_case(number, {"comments": "Your payslip is corrected."})
    replies = await bed.chat.press({"verb": "hr.case_updates", "number": number})
    text = replies[0].get("text") or ""
    assert text.startswith(f"Your HR case {number} was last updated on ")
    assert " UTC" in text
    assert "Your payslip is corrected." in text


async def test_servicenow_down_ends_the_topic_gracefully(bed: HRBed) -> None:
    """ServiceNow fails → User: "any news on my HR case?" → one sentence with a reference id;
    ServiceNow back → the next message is answered normally."""
    # The employee is looked up once and then known to the bot for SNOWDESK_IDENTITY_TTL.
    await bed.chat.say("any news on my HR case?")
    await bed.emulator.faults(error_next=5, error_statuses=[503])
    failed = await bed.chat.say("any news on my HR case?")
    assert (failed[0].get("text") or "").startswith("Sorry, ServiceNow isn't answering right now.")
    await bed.emulator.faults(error_next=0)
    again = await bed.chat.say("any news on my HR case?")
    assert (again[0].get("text") or "").startswith("Your HR case HRC")
