"""Cards every topic shares: welcome, help, and the card → activity attachment seam.

Cards are built with Microsoft's typed Adaptive Card models (`microsoft-teams-cards`) and target
Adaptive Cards 1.5, the version Teams renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    ExecuteAction,
    OpenUrlAction,
    RefreshDefinition,
    RichTextBlock,
    TextBlock,
    TextInput,
    TextRun,
)

from flows.models import ListFilter
from i18n import N_, _, format_moment
from topics import CONTINUE_VERB, HELP, MENU, Topic

CARD_VERSION: Final = "1.5"
# Buttons Teams shows in a row in its 540 px chat column; the rest go to the overflow menu.
MAX_VISIBLE_ACTIONS: Final = 4

# The filters of the "my cases" / "my tickets" lists, in the order their buttons show them.
FILTERS: tuple[ListFilter, ...] = ("open", "closed", "all")
# Each filter's button: a whole phrase, since word order differs between languages.
FILTER_BUTTONS: dict[str, str] = {
    "open": N_("Show open"),
    "closed": N_("Show closed"),
    "all": N_("Show all"),
}

# Lengths ServiceNow accepts: `short_description` 160 characters, description and journal 4000.
SHORT_DESCRIPTION_MAX = 160
DESCRIPTION_MAX = 4000
COMMENT_MAX = 4000
ADD_COMMENT = N_("Add a comment")


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


def user_text(*parts: str | TextRun, spacing: str | None = None) -> RichTextBlock:
    """Text that came from a person (a summary, a comment, a description): shown exactly as
    written. A TextBlock would render its markdown, so "[click](https://…)" from a user would
    become a link; a TextRun never does."""
    runs = [TextRun(text=part) if isinstance(part, str) else part for part in parts if part]
    return RichTextBlock(inlines=runs or [TextRun(text=" ")], spacing=spacing)


def strong(text: str) -> TextRun:
    """A bold run of the bot's own words (a number, a state) inside `user_text`."""
    return TextRun(text=text, weight="Bolder")


def subtle(text: str) -> TextRun:
    """A subtle run inside `user_text` (who wrote a comment, and when)."""
    return TextRun(text=text, is_subtle=True)


def new_card(
    body: list[CardElement],
    actions: list[Any] | None = None,
    refresh: RefreshDefinition | None = None,
) -> AdaptiveCard:
    """An Adaptive Card 1.5 with the given body and actions, the first `MAX_VISIBLE_ACTIONS`
    shown as buttons and the rest in the card's overflow menu; `refresh` (see `refresh_with`)
    brings a record's card up to date when its owner sees it again."""
    return AdaptiveCard(
        version=CARD_VERSION,
        body=body,
        actions=with_overflow(actions or []) or None,
        refresh=refresh,
    )


def with_overflow(actions: list[Any]) -> list[Any]:
    """The actions, those past the first `MAX_VISIBLE_ACTIONS` marked `mode: secondary`.

    Builders list actions most important first; Teams (and Microsoft's renderer) put secondary
    actions in the "…" menu instead of a row of buttons that runs out of the chat column.
    """
    for action in actions[MAX_VISIBLE_ACTIONS:]:
        action.mode = "secondary"
    return actions


def submit(title: str, verb: str, **data: Any) -> ExecuteAction:
    """A button: a Universal Action (`Action.Execute`) with its `verb`, plus ids in its data.

    The data repeats the verb, so the same button works where the channel turns it into an
    `Action.Submit` (the Emulator, Web Chat: `dialogs/base.py: to_attachment` decides).
    """
    return ExecuteAction(title=title, verb=verb, data={"verb": verb, **data})


# Which of a record's cards its refresh rebuilds (the `view` in the refresh action's data).
SUMMARY_VIEW, DETAILS_VIEW = "summary", "details"


def refresh_with(verb: str, **data: Any) -> RefreshDefinition:
    """The card's `refresh`: the action Teams runs to show the card as it is now. Whom it runs
    for (`userIds`: the card's owner) is filled in where the card is sent."""
    return RefreshDefinition(action=ExecuteAction(verb=verb, data={"verb": verb, **data}))


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


def form_buttons(topic: Topic, draft_key: str, retry: bool) -> list[Any]:
    """Submit (Retry after a failure) and Cancel of a create form; both carry the draft's key."""
    send = submit(_("Retry") if retry else _("Submit"), topic.action("submit"), draft_key=draft_key)
    cancel = submit(_("Cancel"), topic.action("cancel"), draft_key=draft_key)
    cancel.associated_inputs = "none"  # cancelling must not trip the form's required fields
    return [send, cancel]


def comment_form(
    number: str, verb: str, comment_key: str, *, value: str | None = None
) -> AdaptiveCard:
    """The one-field form that adds a customer-visible comment to a case or ticket."""
    body: list[CardElement] = [
        text_input(
            "comment",
            _("Your comment on {number}").format(number=number),
            COMMENT_MAX,
            value=value,
            required=_("Please write your comment."),
            multiline=True,
        )
    ]
    return new_card(body, [submit(_(ADD_COMMENT), verb, number=number, comment_key=comment_key)])


def confirm_comment_card(
    *, number: str, summary: str, comment: str, verb: str, comment_key: str
) -> AdaptiveCard:
    """A comment the user typed, shown back before anything is written: edit it or add it."""
    question = (
        _("Add this comment to {number} ({summary})?").format(number=number, summary=summary)
        if summary
        else _("Add this comment to {number}?").format(number=number)
    )
    form = comment_form(number, verb, comment_key, value=comment)
    body: list[CardElement] = [TextBlock(text=question, wrap=True, weight="Bolder")]
    return new_card([*body, *(form.body or [])], form.actions)


def open_in_servicenow(url: str) -> list[OpenUrlAction]:
    """The link to the record in ServiceNow, when there is one."""
    return [OpenUrlAction(title=_("Open in ServiceNow"), url=url)] if url else []


def filter_buttons(current: str, verb: str) -> list[ExecuteAction]:
    """Buttons that switch a list to the other filters, from its first page."""
    return [
        submit(_(FILTER_BUTTONS[name]), verb, filter=name, offset=0)
        for name in FILTERS
        if name != current
    ]


def paging_buttons(page: Paged, verb: str) -> list[ExecuteAction]:
    """Previous / Next (keeping the filter), then the other filters."""
    actions: list[ExecuteAction] = []
    if page.has_previous:
        offset = max(page.offset - page.page_size, 0)
        actions.append(submit(_("Previous"), verb, filter=page.filter, offset=offset))
    if page.has_next:
        offset = page.offset + page.page_size
        actions.append(submit(_("Next"), verb, filter=page.filter, offset=offset))
    return actions + filter_buttons(page.filter, verb)


def topic_buttons() -> list[ExecuteAction]:
    """One button per topic of the menu; each starts its topic."""
    return [submit(_(topic.title), topic.verb) for topic in MENU]


def _menu_lines() -> list[CardElement]:
    return [
        TextBlock(text=f"• **{_(topic.title)}**: {_(topic.menu)}", wrap=True, spacing="None")
        for topic in MENU
    ]


def _hint() -> TextBlock:
    return TextBlock(
        text=_("Or just tell me in your own words. Say “cancel” at any time to stop."),
        wrap=True,
        is_subtle=True,
    )


def help_card(intro: str = N_("Here is what I can do for you:")) -> AdaptiveCard:
    """The help card: what the bot does, with a button that starts each topic; `intro` is
    shown translated (a msgid, or a sentence the caller already translated)."""
    body: list[CardElement] = [TextBlock(text=_(intro), wrap=True, weight="Bolder")]
    return new_card([*body, *_menu_lines(), _hint()], topic_buttons())


def welcome_card(name: str | None = None) -> AdaptiveCard:
    """The first card a new user sees: who the bot is and what it can do."""
    greeting = (
        _("Hi {name}! I'm Snowdesk.").format(name=name.split()[0])
        if name and name.strip()
        else _("Hi! I'm Snowdesk.")
    )
    body: list[CardElement] = [
        TextBlock(text=greeting, size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text=_(
                "I open and follow your IT tickets and HR cases in ServiceNow, right here in chat."
            ),
            wrap=True,
        ),
    ]
    return new_card([*body, *_menu_lines(), _hint()], topic_buttons())


def team_intro_card() -> AdaptiveCard:
    """The one card the bot posts when it is added to a team or group chat: what it does, and
    that everyone's tickets and cases stay in their personal chat with it."""
    body: list[CardElement] = [
        TextBlock(text=_("Hi everyone, I'm Snowdesk."), size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text=_("I open and follow IT tickets and HR cases in ServiceNow for each of you."),
            wrap=True,
        ),
        TextBlock(
            text=_(
                "Your tickets and cases stay private: I show them only in your personal chat "
                "with me. Mention me with “help” to see what I can do."
            ),
            wrap=True,
        ),
    ]
    return new_card(body)


def message_card(text: str, actions: list[ExecuteAction] | None = None) -> AdaptiveCard:
    """A short card with one paragraph and optional buttons."""
    return new_card([TextBlock(text=text, wrap=True)], actions)


def picked_record_card(
    *, number: str, summary: str, word: str, others: Sequence[str], verb: str
) -> AdaptiveCard:
    """Which record the user's words picked ("I took INC… (VPN drops): it mentions “vpn”."),
    with a button for each other record that matched too."""
    before, after = _("I took {number} ({summary}): it mentions “{word}”.").split("{summary}")
    note = user_text(before.format(number=number), summary, after.format(word=word))
    buttons = [
        submit(_("No, {number}").format(number=other), verb, number=other) for other in others
    ]
    return new_card([note], buttons or None)


def format_when(dt: datetime | None, tz_name: str | None = None) -> str:
    """A date and time for people, in the turn's language: in their time zone when known, else
    UTC with the zone named."""
    if dt is None:
        return _("unknown")
    moment = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(tz_name) if tz_name else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # a channel sent a zone we do not know: fall back to UTC, named
    if zone is None:
        return f"{format_moment(moment.astimezone(UTC))} UTC"
    return format_moment(moment.astimezone(zone))


def disambiguation_card(topics: list[Topic], entities: dict[str, str], text: str) -> AdaptiveCard:
    """“Did you mean …?”: a button per close topic, carrying what the user said, and an out."""
    buttons = [submit(_(t.title), t.verb, entities=entities, text=text) for t in topics]
    body: list[CardElement] = [
        TextBlock(text=_("I'm not sure I got that. Did you mean…"), wrap=True)
    ]
    return new_card(body, [*buttons, submit(_("Something else"), HELP.verb)])


def switch_topic_card(
    current: Topic, new: Topic, entities: dict[str, str], text: str
) -> AdaptiveCard:
    """Offer to leave the running topic for the one the user just asked for."""
    question = _("We're in the middle of “{current}”. Do you want to switch to “{new}”?").format(
        current=_(current.title), new=_(new.title)
    )
    return new_card(
        [TextBlock(text=question, wrap=True)],
        [
            submit(
                _("Switch to {topic}").format(topic=_(new.title)),
                new.verb,
                entities=entities,
                text=text,
            ),
            submit(_("Keep going"), CONTINUE_VERB),
        ],
    )


def someone_elses_card() -> AdaptiveCard:
    """What a record's card shows anyone but its owner: that it is someone's, and no details."""
    return message_card(
        _(
            "This card shows someone else's ticket or case, so only they can see it. "
            "Say “help” to me to see your own."
        )
    )
