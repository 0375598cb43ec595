"""The HR desk's words: what HR topics say when a case is not there."""

from __future__ import annotations

from dialogs.answering import AnsweringTopic, Desk
from i18n import N_
from topics import HR_CREATE_CASE

NOT_FOUND = N_(
    "I can't find that HR case. Please check the number: I can only show cases you opened."
)
NO_CASES = N_("You don't have any HR cases yet. Would you like to open one?")
HR_DESK = Desk(not_found=NOT_FOUND, nothing_yet=NO_CASES, create=HR_CREATE_CASE)


class HRTopic(AnsweringTopic):
    """A one-turn HR topic."""

    desk = HR_DESK
