"""What an employee hears of a change to their record (`flows.notifications.notice_for`)."""

from __future__ import annotations

from datetime import timedelta

from flows.models import Comment
from flows.notifications import Seen, notice_for
from tests.cards.samples import AGENT_COMMENT, WHEN, changed

BEFORE = WHEN - timedelta(minutes=1)


def test_a_new_comment_by_an_agent_is_told_with_its_text() -> None:
    record = changed(latest_comment=AGENT_COMMENT)
    seen = Seen.of(changed())
    notice = notice_for(record, seen, since=BEFORE)
    assert notice is not None and notice.kind == "comment" and notice.comment == AGENT_COMMENT


def test_the_owners_own_changes_and_snowdesks_are_not_told() -> None:
    own = Comment(author="Abel Tuter", created_at=WHEN, text="It still fails.")
    assert notice_for(changed(latest_comment=own), Seen.of(changed()), since=BEFORE) is None
    by_bot = changed(updated_by="admin", state_value="6", state="Resolved")
    assert notice_for(by_bot, Seen.of(changed()), since=BEFORE, by_bot=["admin"]) is None
    by_owner = changed(updated_by="abel.tuter", state_value="6", state="Resolved")
    assert notice_for(by_owner, Seen.of(changed()), since=BEFORE) is None


def test_nothing_new_tells_nothing_and_a_work_note_changes_nothing_seen() -> None:
    record = changed(latest_comment=AGENT_COMMENT)
    assert notice_for(record, Seen.of(record), since=BEFORE) is None


def test_awaiting_the_caller_asks_and_resolving_resolves() -> None:
    seen = Seen.of(changed())
    asking = changed(state_value="3", hold_reason_value="1", state="On Hold")
    assert getattr(notice_for(asking, seen, since=BEFORE), "kind", None) == "question"
    resolved = changed(state_value="6", state="Resolved")
    assert getattr(notice_for(resolved, seen, since=BEFORE), "kind", None) == "resolved"
    hr_asking = changed("hr", state_value="18", state="Awaiting Acceptance")
    hr_seen = Seen.of(changed("hr"))
    assert getattr(notice_for(hr_asking, hr_seen, since=BEFORE), "kind", None) == "question"
    moved = changed(state_value="1", state="New")
    assert getattr(notice_for(moved, seen, since=BEFORE), "kind", None) == "state"


def test_a_record_never_seen_counts_only_fresh_comments_and_hinted_states() -> None:
    old = Comment(author="Beth Agent", created_at=BEFORE - timedelta(hours=1), text="Old news.")
    assert notice_for(changed(latest_comment=old), None, since=BEFORE) is None
    fresh = notice_for(changed(latest_comment=AGENT_COMMENT), None, since=BEFORE)
    assert fresh is not None and fresh.kind == "comment"
    assert notice_for(changed(), None, since=BEFORE) is None
    hinted = notice_for(changed(), None, since=BEFORE, changed=["state"])
    assert hinted is not None and hinted.kind == "state"


def test_a_record_without_an_owner_tells_nobody() -> None:
    record = changed(owner_sys_id="", latest_comment=AGENT_COMMENT)
    assert notice_for(record, None, since=BEFORE) is None
