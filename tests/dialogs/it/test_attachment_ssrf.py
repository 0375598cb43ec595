"""The issue's SSRF, end to end: a "file" whose link is the embedded ServiceNow's own HR case
list is refused in one sentence, the ticket still opens, and nothing is attached."""

from __future__ import annotations

from tests.dialogs.it.conftest import ItBed
from tests.dialogs.it.helpers import card_of, form_submit, says


async def test_a_link_to_servicenow_itself_is_refused_and_the_ticket_still_opens(
    bed: ItBed,
) -> None:
    """User: "my screen flickers" + a 'file' at the emulator's /sn_hr_core_case_list.do →
    Submit → the ticket card says the bot can't fetch it; no attachment; no request to it."""
    servicenow = str(bed.emulator.http.base_url).rstrip("/")
    hostile = {
        "contentType": "application/octet-stream",
        "contentUrl": f"{servicenow}/sn_hr_core_case_list.do",
        "name": "cases.html",
    }
    elsewhere = {
        "contentType": "image/png",
        "contentUrl": "http://169.254.169.254/latest/meta-data/iam",
        "name": "metadata.png",
    }
    form = card_of(
        (await bed.send(text="my screen flickers", attachments=[hostile, elsewhere]))[-1]
    )
    answer = await bed.chat.press(form_submit(form))
    assert says(answer, "I can't fetch cases.html: its link points to the ServiceNow instance.")
    assert says(answer, "I can't fetch metadata.png: in local mode I only download files sent")
    [row] = await bed.emulator.incidents("short_description=my screen flickers")
    assert await bed.emulator.attachments(row["sys_id"]) == []
