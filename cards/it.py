"""IT ticket cards: the create form, the ticket, its details, the list, and the short answers.

Builders only turn typed results (`flows.models`) into cards or plain text; they never call
ServiceNow. Every date goes through `format_when` in the user's time zone (`tz`) when known.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Column,
    ColumnSet,
    Container,
    Fact,
    FactSet,
    RefreshDefinition,
    RichTextBlock,
    ShowCardAction,
    TextBlock,
)

from cards.common import (
    ADD_COMMENT,
    DESCRIPTION_MAX,
    DETAILS_VIEW,
    SHORT_DESCRIPTION_MAX,
    SUMMARY_VIEW,
    comment_form,
    form_buttons,
    format_when,
    new_card,
    open_in_servicenow,
    paging_buttons,
    refresh_with,
    strong,
    submit,
    subtle,
    text_input,
    user_text,
)
from flows.models import Choice as FieldChoice
from flows.models import Comment, RecordUpdates, Ticket, TicketPage
from i18n import N_, _
from topics import IT_CREATE_TICKET, IT_LIST_TICKETS, IT_TICKET_DETAILS, IT_TICKET_UPDATES, REFRESH
from topics import IT_UPDATE_TICKET as UPDATE

URGENCY_LABELS: dict[str, str] = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
# Whole sentences per list filter: the filter's word moves around in other languages.
_LIST_TITLES: dict[str, str] = {
    "open": N_("Your open tickets"),
    "closed": N_("Your closed tickets"),
    "all": N_("All your tickets"),
}
_EMPTY_LIST: dict[str, str] = {
    "open": N_("You have no open IT tickets."),
    "closed": N_("You have no closed IT tickets."),
    "all": N_("You have no IT tickets yet."),
}


def ticket_form_card(
    *,
    categories: Sequence[FieldChoice],
    draft: dict[str, Any],
    key: str,
    problems: Sequence[str] = (),
    retry: bool = False,
    file_names: Sequence[str] = (),
) -> AdaptiveCard:
    """The create-ticket form, filled with the draft; `key` makes its Submit idempotent."""
    body: list[CardElement] = [
        TextBlock(text=_("Report an IT problem"), size="Large", weight="Bolder", wrap=True),
        *_form_notes(problems, retry, file_names),
        text_input(
            "short_description",
            _("What's the problem, in a few words?"),
            SHORT_DESCRIPTION_MAX,
            value=str(draft.get("short_description") or ""),
            required=_("Please describe the problem in a few words."),
        ),
        text_input(
            "description",
            _("Anything else we should know?"),
            DESCRIPTION_MAX,
            value=str(draft.get("description") or ""),
            multiline=True,
        ),
        _urgency_input(str(draft.get("urgency") or "medium")),
        _category_input(categories, str(draft.get("category") or "")),
    ]
    return new_card(body, form_buttons(IT_CREATE_TICKET, key, retry))


def _form_notes(
    problems: Sequence[str], retry: bool, file_names: Sequence[str]
) -> list[CardElement]:
    notes: list[CardElement] = [
        TextBlock(text=problem, wrap=True, color="Attention") for problem in problems
    ]
    if retry:
        notes.append(
            TextBlock(
                text=_("Your ticket was not created yet. Your text is kept: press Retry."),
                wrap=True,
                weight="Bolder",  # Warning-yellow text reads at ~1.5:1 on Teams' light theme
            )
        )
    if file_names:
        names = ", ".join(file_names)
        notes.append(
            TextBlock(text=_("I'll attach: {names}").format(names=names), wrap=True, is_subtle=True)
        )
    return notes


def _urgency_input(value: str, input_id: str = "urgency") -> ChoiceSetInput:
    return ChoiceSetInput(
        id=input_id,
        label=_("How urgent is it?"),
        style="expanded",
        value=value if value in URGENCY_LABELS else "medium",
        choices=[Choice(title=_(label), value=value) for value, label in URGENCY_LABELS.items()],
    )


def _category_input(categories: Sequence[FieldChoice], value: str) -> ChoiceSetInput:
    known = {choice.value for choice in categories}
    return ChoiceSetInput(
        id="category",
        label=_("Category"),
        style="compact",
        placeholder=_("Choose a category (optional)"),
        value=value if value in known else None,
        choices=[Choice(title=choice.label, value=choice.value) for choice in categories],
    )


def _ticket_facts(ticket: Ticket, tz: str | None, *, full: bool) -> FactSet:
    facts = [
        Fact(title=_("Number"), value=ticket.number),
        Fact(title=_("State"), value=ticket.state or _("unknown")),
        Fact(title=_("Priority"), value=ticket.priority or _("not set")),
        Fact(title=_("Urgency"), value=ticket.urgency or _("not set")),
        Fact(title=_("Category"), value=ticket.category or _("none")),
    ]
    if full:
        facts += [
            Fact(
                title=_("Assignment group"),
                value=ticket.assignment_group or _("not assigned yet"),
            ),
            Fact(title=_("Assigned to"), value=ticket.assigned_to or _("nobody yet")),
        ]
    facts.append(Fact(title=_("Opened"), value=format_when(ticket.opened_at, tz)))
    if full:
        facts.append(Fact(title=_("Updated"), value=format_when(ticket.updated_at, tz)))
    return FactSet(facts=facts)


def _heading(ticket: Ticket, lead: str = "") -> list[CardElement]:
    """The number (in `lead`, a sentence with a {number} placeholder, when given) and summary."""
    title = _(lead).format(number=ticket.number) if lead else ticket.number
    return [
        TextBlock(text=title, size="Large", weight="Bolder", wrap=True),
        user_text(ticket.short_description or _("(no summary)"), spacing="None"),
    ]


def ticket_card(ticket: Ticket, *, tz: str | None, notes: Sequence[str] = ()) -> AdaptiveCard:
    """The answer to a created ticket: its number and key facts; Details, Updates, ServiceNow."""
    body: list[CardElement] = [
        *_heading(ticket, N_("I've opened {number}")),
        _ticket_facts(ticket, tz, full=False),
        *(TextBlock(text=note, wrap=True, is_subtle=True) for note in notes),
    ]
    # The same buttons, in the same order, as the HR case card.
    actions: list[Any] = [
        submit(_("Details"), IT_TICKET_DETAILS.verb, number=ticket.number),
        submit(_("Updates"), IT_TICKET_UPDATES.verb, number=ticket.number),
    ]
    return new_card(
        body, [*actions, *open_in_servicenow(ticket.url)], _refresh(ticket, SUMMARY_VIEW)
    )


def _refresh(ticket: Ticket, view: str) -> RefreshDefinition:
    """Teams shows the owner this card as the ticket is now (`view`: this card or details)."""
    return refresh_with(IT_TICKET_DETAILS.action(REFRESH), number=ticket.number, view=view)


def ticket_details_card(ticket: Ticket, *, comment_key: str, tz: str | None) -> AdaptiveCard:
    """Everything an employee may see of a ticket, with the actions they may take on it.

    `comment_key` goes into the comment form so a double click adds one comment.
    """
    body: list[CardElement] = [*_heading(ticket), _ticket_facts(ticket, tz, full=True)]
    if ticket.description:
        body.append(_section(_("Description"), user_text(ticket.description, spacing="Small")))
    if ticket.latest_comment is not None:
        body.append(_section(_("Latest comment"), *_comment(ticket.latest_comment, tz)))
    if ticket.attachments:
        names = "\n".join(f"- {item.file_name}" for item in ticket.attachments)
        body.append(_section(_("Attachments"), user_text(names, spacing="Small")))
    actions: list[Any] = []
    if ticket.active:
        comment = comment_form(ticket.number, UPDATE.action("comment"), comment_key)
        actions += [
            ShowCardAction(title=_(ADD_COMMENT), card=comment),
            ShowCardAction(title=_("Change urgency"), card=urgency_form(ticket)),
            submit(_("Add a file"), UPDATE.action("attach"), number=ticket.number),
        ]
    actions.append(submit(_("Updates"), IT_TICKET_UPDATES.verb, number=ticket.number))
    return new_card(
        body, [*actions, *open_in_servicenow(ticket.url)], _refresh(ticket, DETAILS_VIEW)
    )


def _section(title: str, *items: CardElement) -> Container:
    return Container(
        separator=True,
        items=[TextBlock(text=title, weight="Bolder", wrap=True), *items],
    )


def _comment(comment: Comment, tz: str | None) -> list[CardElement]:
    author = comment.author or _("someone")
    who = f"— {author}, {format_when(comment.created_at, tz)}"
    return [user_text(comment.text, spacing="Small"), user_text(subtle(who))]


def urgency_form(ticket: Ticket) -> AdaptiveCard:
    """A one-choice form that changes the ticket's urgency."""
    body: list[CardElement] = [_urgency_input(ticket.urgency_name)]
    return new_card(
        body, [submit(_("Change urgency"), UPDATE.action("urgency"), number=ticket.number)]
    )


def ticket_status_card(ticket: Ticket, *, tz: str | None) -> AdaptiveCard:
    """The answer to "status of my ticket": one sentence and a Details button."""
    details = submit(_("Details"), IT_TICKET_DETAILS.verb, number=ticket.number)
    return new_card([status_line(ticket, tz)], [details])


def status_line(ticket: Ticket, tz: str | None) -> RichTextBlock:
    """One sentence: state, who has it, when it last changed (the summary shown as written)."""
    holder = ticket.assigned_to or ticket.assignment_group or _("nobody yet")
    when = format_when(ticket.updated_at, tz)
    summary = f" ({ticket.short_description})" if ticket.short_description else ""
    # One sentence around a bold state: split the translation at its {state} placeholder.
    sentence = _("{record} is {state}, with {holder}; last updated {when}.")
    before, after = sentence.split("{state}", 1)
    return user_text(
        before.format(record=f"{ticket.number}{summary}"),
        strong(ticket.state or _("unknown")),
        after.format(holder=holder, when=when),
    )


def ticket_list_card(page: TicketPage, *, tz: str | None) -> AdaptiveCard:
    """One page of the user's tickets: a row each (opens its details), paging and filter buttons."""
    title = _(_LIST_TITLES[page.filter])
    first, last = page.offset + 1, page.offset + len(page.items)
    body: list[CardElement] = [
        TextBlock(text=title, size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text=_("{first}–{last} of {total}, as of {when}").format(
                first=first, last=last, total=page.total, when=format_when(page.as_of, tz)
            ),
            is_subtle=True,
            wrap=True,
            spacing="None",
        ),
        *(_ticket_row(ticket, tz) for ticket in page.items),
    ]
    return new_card(body, paging_buttons(page, IT_LIST_TICKETS.action("page")))


def _ticket_row(ticket: Ticket, tz: str | None) -> ColumnSet:
    return ColumnSet(
        separator=True,
        select_action=submit(_("Details"), IT_TICKET_DETAILS.verb, number=ticket.number),
        columns=[
            Column(
                width="stretch",
                items=[
                    user_text(strong(ticket.number), f" {ticket.short_description}"),
                    TextBlock(
                        text=_("Updated {when}").format(when=format_when(ticket.updated_at, tz)),
                        is_subtle=True,
                        spacing="None",
                        wrap=True,
                    ),
                ],
            ),
            Column(width="auto", items=[TextBlock(text=ticket.state or _("unknown"), wrap=True)]),
        ],
    )


def empty_list_text(filter_name: str) -> str:
    """What to say when the user has no tickets under this filter."""
    return _(_EMPTY_LIST.get(filter_name, _EMPTY_LIST["all"]))


def ticket_updates_text(updates: RecordUpdates, *, tz: str | None, max_comments: int = 3) -> str:
    """A short text answer: what changed last and when, then the latest customer-visible comments."""
    state = updates.state or _("unknown")
    when = format_when(updates.updated_at, tz)
    if updates.updated_by:
        first = _("{number} is {state}; last changed {when} by {who}.").format(
            number=updates.number, state=state, when=when, who=updates.updated_by
        )
    else:
        first = _("{number} is {state}; last changed {when}.").format(
            number=updates.number, state=state, when=when
        )
    lines = [first]
    comments = updates.comments[:max_comments]
    if not comments:
        lines.append(_("There are no comments on it yet."))
    else:
        lines.append(_("Latest comments:"))
        someone = _("someone")
        lines += [
            f"- {format_when(c.created_at, tz)}, {c.author or someone}: {c.text}" for c in comments
        ]
    return "\n\n".join(lines)
