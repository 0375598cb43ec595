"""My cases: open ones by default, closed or all on request, five per page, each row opens it."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.hr import FILTERS, case_list_card
from dialogs.base import TopicOptions
from dialogs.hr._common import HRTopic, send_card, user_zone
from flows import hr
from flows.models import ListFilter

PAGE_SIZE = 5
MAX_OFFSET = 10_000  # far beyond anyone's cases; keeps a tampered button harmless


class ListCases(HRTopic):
    """One page of the user's HR cases; the card's buttons page and switch the filter."""

    topic_id = "hr.list_cases"

    async def answer(self, dc: DialogContext, options: TopicOptions) -> None:
        await self.show_typing(dc.context)
        user = await self.employee(dc)
        page = await hr.list_cases(
            self.deps.orchestrator, user, _filter(options), _offset(options), PAGE_SIZE
        )
        await send_card(dc.context, case_list_card(page, user_zone(dc.context)))


def _filter(options: TopicOptions) -> ListFilter:
    """The filter a button carried or the user said; anything else means open cases."""
    said = (options.data or {}).get("filter") or options.entities.get("filter")
    return next((f for f in FILTERS if f == said), "open")


def _offset(options: TopicOptions) -> int:
    """The page offset a paging button carried (a tampered value falls back to the first page)."""
    value = (options.data or {}).get("offset", 0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return 0
    try:
        return min(max(int(value), 0), MAX_OFFSET)
    except ValueError:
        return 0
