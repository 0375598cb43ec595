"""Cards every topic shares: welcome, help, and the card → activity attachment seam.

Cards are built with Microsoft's typed Adaptive Card models (`microsoft-teams-cards`) and target
Adaptive Cards 1.5, the version Teams renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.schema import Attachment
from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    OpenUrlAction,
    SubmitAction,
    TextBlock,
    TextInput,
)

from flows.models import ListFilter

CARD_VERSION: Final = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# What the bot can do, in the order the help card shows it: (topic id, button title, one line).
TOPIC_MENU: tuple[tuple[str, str, str], ...] = (
    ("it.create_ticket", "Report an IT problem", "Open an IT ticket, e.g. “my laptop won't boot”."),
    ("it.list_tickets", "My IT tickets", "See your open tickets and their state."),
    ("it.ticket_updates", "IT ticket updates", "Hear what changed on a ticket."),
    ("hr.create_case", "Ask HR", "Open an HR case, e.g. “my payslip is wrong”."),
    ("hr.list_cases", "My HR cases", "See your HR cases."),
    ("hr.case_updates", "HR case updates", "Hear what changed on an HR case."),
)

# A short title for every topic, for buttons that offer it.
TOPIC_TITLES: dict[str, str] = {
    "it.create_ticket": "Report an IT problem",
    "it.ticket_status": "Ticket status",
    "it.ticket_details": "Ticket details",
    "it.list_tickets": "My IT tickets",
    "it.update_ticket": "Update a ticket",
    "it.ticket_updates": "IT ticket updates",
    "hr.create_case": "Ask HR",
    "hr.case_details": "HR case details",
    "hr.case_updates": "HR case updates",
    "hr.list_cases": "My HR cases",
}
CONTINUE_VERB = "router.continue"
# The filters of the "my cases" / "my tickets" lists, in the order their buttons show them,
# and the word each puts before "cases" / "tickets" ("all" needs none).
FILTERS: tuple[ListFilter, ...] = ("open", "closed", "all")
FILTER_TITLES: dict[str, str] = {"open": "open", "closed": "closed", "all": ""}

# Lengths ServiceNow accepts: `short_description` 160 characters, description and journal 4000.
SHORT_DESCRIPTION_MAX = 160
DESCRIPTION_MAX = 4000
COMMENT_MAX = 4000


class Paged(Protocol):
    """A page of records, as the list builders need it (`CasePage`, `TicketPage`)."""

    @property
    def filter(self) -> ListFilter: ...
    @property
    def offset(self) -> int: ...
    @property
    def page_size(self) -> int: ...
    @property
    def has_previous(self) -> bool: ...
    @property
    def has_next(self) -> bool: ...


def card_to_dict(card: AdaptiveCard) -> dict[str, Any]:
    """The card as the JSON object a channel receives (camelCase, no nulls)."""
    data: dict[str, Any] = card.model_dump(by_alias=True, exclude_none=True, mode="json")
    data["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json"
    return data


def to_attachment(card: AdaptiveCard) -> Attachment:
    """Wrap a typed card as a Bot Framework attachment."""
    return Attachment(content_type=CARD_CONTENT_TYPE, content=card_to_dict(card))


def new_card(body: list[CardElement], actions: list[Any] | None = None) -> AdaptiveCard:
    """An Adaptive Card 1.5 with the given body and actions."""
    return AdaptiveCard(version=CARD_VERSION, body=body, actions=actions or None)


def submit(title: str, verb: str, **data: Any) -> SubmitAction:
    """An `Action.Submit` whose data carries the `verb` the handler routes on, plus ids."""
    return SubmitAction(title=title, data={"verb": verb, **data})


def text_input(
    input_id: str,
    label: str,
    max_length: int,
    *,
    value: str | None = None,
    required: str = "",
    multiline: bool = False,
) -> TextInput:
    """A text field of a form; `required` is the sentence shown when it is left empty."""
    return TextInput(
        id=input_id,
        label=label,
        value=value,
        max_length=max_length,
        is_multiline=multiline or None,
        is_required=bool(required) or None,
        error_message=required or None,
    )


def form_buttons(submit_verb: str, cancel_verb: str, draft_key: str, retry: bool) -> list[Any]:
    """Submit (Retry after a failure) and Cancel of a create form; both carry the draft's key."""
    send = submit("Retry" if retry else "Submit", submit_verb, draft_key=draft_key)
    cancel = submit("Cancel", cancel_verb, draft_key=draft_key)
    cancel.associated_inputs = "none"  # cancelling must not trip the form's required fields
    return [send, cancel]


def open_in_servicenow(url: str) -> list[OpenUrlAction]:
    """The link to the record in ServiceNow, when there is one."""
    return [OpenUrlAction(title="Open in ServiceNow", url=url)] if url else []


def filter_buttons(current: str, verb: str) -> list[SubmitAction]:
    """Buttons that switch a list to the other filters, from its first page."""
    return [
        submit(f"Show {name}", verb, filter=name, offset=0) for name in FILTERS if name != current
    ]


def paging_buttons(page: Paged, verb: str) -> list[SubmitAction]:
    """Previous / Next (keeping the filter), then the other filters."""
    actions: list[SubmitAction] = []
    if page.has_previous:
        offset = max(page.offset - page.page_size, 0)
        actions.append(submit("Previous", verb, filter=page.filter, offset=offset))
    if page.has_next:
        offset = page.offset + page.page_size
        actions.append(submit("Next", verb, filter=page.filter, offset=offset))
    return actions + filter_buttons(page.filter, verb)


def topic_buttons() -> list[SubmitAction]:
    """One button per topic of the menu; each starts its topic."""
    return [submit(title, topic_id) for topic_id, title, _ in TOPIC_MENU]


def _menu_lines() -> list[CardElement]:
    return [
        TextBlock(text=f"• **{title}**: {what}", wrap=True, spacing="None")
        for _, title, what in TOPIC_MENU
    ]


def _hint() -> TextBlock:
    return TextBlock(
        text="Or just tell me in your own words. Say “cancel” at any time to stop.",
        wrap=True,
        is_subtle=True,
    )


def help_card(intro: str = "Here is what I can do for you:") -> AdaptiveCard:
    """The help card: what the bot does, with a button that starts each topic."""
    body: list[CardElement] = [TextBlock(text=intro, wrap=True, weight="Bolder")]
    return new_card([*body, *_menu_lines(), _hint()], topic_buttons())


def welcome_card(name: str | None = None) -> AdaptiveCard:
    """The first card a new user sees: who the bot is and what it can do."""
    greeting = f"Hi {name.split()[0]}!" if name and name.strip() else "Hi!"
    body: list[CardElement] = [
        TextBlock(text=f"{greeting} I'm Snowdesk.", size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text="I open and follow your IT tickets and HR cases in ServiceNow, right here in chat.",
            wrap=True,
        ),
    ]
    return new_card([*body, *_menu_lines(), _hint()], topic_buttons())


def message_card(text: str, actions: list[SubmitAction] | None = None) -> AdaptiveCard:
    """A short card with one paragraph and optional buttons."""
    return new_card([TextBlock(text=text, wrap=True)], actions)


def format_when(dt: datetime | None, tz_name: str | None = None) -> str:
    """A date and time for people: in their time zone when known, else UTC with the zone named."""
    if dt is None:
        return "unknown"
    moment = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(tz_name) if tz_name else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # a channel sent a zone we do not know: fall back to UTC, named
    if zone is None:
        return f"{moment.astimezone(UTC):%d %b %Y, %H:%M} UTC"
    return f"{moment.astimezone(zone):%d %b %Y, %H:%M}"


def disambiguation_card(topic_ids: list[str], entities: dict[str, str], text: str) -> AdaptiveCard:
    """“Did you mean …?”: a button per close topic, carrying what the user said, and an out."""
    buttons = [
        submit(TOPIC_TITLES[topic_id], topic_id, entities=entities, text=text)
        for topic_id in topic_ids
    ]
    body: list[CardElement] = [TextBlock(text="I'm not sure I got that. Did you mean…", wrap=True)]
    return new_card(body, [*buttons, submit("Something else", "help")])


def switch_topic_card(
    current_topic: str, new_topic: str, entities: dict[str, str], text: str
) -> AdaptiveCard:
    """Offer to leave the running topic for the one the user just asked for."""
    question = (
        f"We're in the middle of “{TOPIC_TITLES[current_topic]}”. "
        f"Do you want to switch to “{TOPIC_TITLES[new_topic]}”?"
    )
    return new_card(
        [TextBlock(text=question, wrap=True)],
        [
            submit(f"Switch to {TOPIC_TITLES[new_topic]}", new_topic, entities=entities, text=text),
            submit("Keep going", CONTINUE_VERB),
        ],
    )
