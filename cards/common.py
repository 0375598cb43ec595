"""Cards every topic shares: welcome, help, and the card → activity attachment seam.

Cards are built with Microsoft's typed Adaptive Card models (`microsoft-teams-cards`) and target
Adaptive Cards 1.5, the version Teams renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.schema import Attachment
from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    SubmitAction,
    TextBlock,
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
# The filters of the "my cases" / "my tickets" lists, in the order their buttons show them.
FILTERS: tuple[ListFilter, ...] = ("open", "closed", "all")


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
