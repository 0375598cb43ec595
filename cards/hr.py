"""HR cards: the create-case form, the case card, case details, my cases, and the updates text.

Builders are pure: they take typed results from `flows/hr.py` and return typed Adaptive Cards
(1.5). Every button carries a `verb`; ids travel in the action's data.
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
    ExecuteAction,
    Fact,
    FactSet,
    RefreshDefinition,
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
from flows.models import CasePage, Comment, HRCase, HRService, RecordUpdates
from i18n import N_, _
from topics import HR_CASE_DETAILS, HR_CASE_UPDATES, HR_CREATE_CASE, HR_LIST_CASES, REFRESH

SUBJECT_MAX = SHORT_DESCRIPTION_MAX  # the subject is the case's short description

COE_TABLE_PREFIX = "sn_hr_core_case_"
# Whole sentences per list filter: the filter's word moves around in other languages.
_LIST_HEADINGS: dict[str, str] = {
    "open": N_("Your open HR cases: {first}–{last} of {total}"),
    "closed": N_("Your closed HR cases: {first}–{last} of {total}"),
    "all": N_("Your HR cases: {first}–{last} of {total}"),
}
_EMPTY_HEADINGS: dict[str, str] = {
    "open": N_("You have no open HR cases."),
    "closed": N_("You have no closed HR cases."),
    "all": N_("You have no HR cases."),
}


def _title(text: str) -> TextBlock:
    return TextBlock(text=text, size="Medium", weight="Bolder", wrap=True)


def _subtle(text: str) -> TextBlock:
    return TextBlock(text=text, wrap=True, is_subtle=True, spacing="Small")


def coe_label(coe: str) -> str:
    """A centre of excellence as people name it: `sn_hr_core_case_payroll`, "Payroll Case" →
    "Payroll" (the COE is a table; ServiceNow displays the table's label)."""
    if coe.startswith(COE_TABLE_PREFIX):
        return coe.removeprefix(COE_TABLE_PREFIX).replace("_", " ").capitalize()
    return coe.removesuffix(" Case")


def service_choices(services: Sequence[HRService]) -> list[Choice]:
    """HR services grouped by centre of excellence (1.5 has no choice groups: the COE leads)."""
    labelled = sorted((coe_label(s.coe), s.name, s.sys_id) for s in services)
    return [
        Choice(title=f"{coe} · {name}" if coe else name, value=sys_id)
        for coe, name, sys_id in labelled
    ]


def case_form_card(
    *,
    services: Sequence[HRService],
    draft: dict[str, Any],
    key: str,
    problems: Sequence[str] = (),
    retry: bool = False,
) -> AdaptiveCard:
    """The create-case form, filled with the draft; problems listed, Retry when creating failed."""
    body: list[CardElement] = [_title(_(HR_CREATE_CASE.title))]
    if retry:
        body.append(
            TextBlock(text=_("Your answers are kept. Press Retry to send them again."), wrap=True)
        )
    body += [TextBlock(text=f"• {p}", wrap=True, color="Attention") for p in problems]
    body += [
        ChoiceSetInput(
            id="service_sys_id",
            label=_("What is it about?"),
            choices=service_choices(services),
            value=str(draft.get("service_sys_id") or "") or None,
            placeholder=_("Choose an HR service"),
            is_required=True,
            error_message=_("Please choose what your case is about."),
        ),
        text_input(
            "subject",
            _("Subject"),
            SUBJECT_MAX,
            value=str(draft.get("subject") or ""),
            required=_("Please give your case a subject."),
        ),
        text_input(
            "description",
            _("Tell us more (optional)"),
            DESCRIPTION_MAX,
            value=str(draft.get("description") or ""),
            multiline=True,
        ),
    ]
    return new_card(body, form_buttons(HR_CREATE_CASE, key, retry))


def case_card(case: HRCase, *, tz: str | None) -> AdaptiveCard:
    """The answer to a new case: number, service, state, opened; Details, Updates, ServiceNow."""
    body: list[CardElement] = [
        _title(_("Your HR case {number} is open").format(number=case.number))
    ]
    if case.subject:
        body.append(user_text(case.subject))
    body += [
        FactSet(
            facts=[
                Fact(title=_("Number"), value=case.number),
                Fact(title=_("Service"), value=case.service or "—"),
                Fact(title=_("State"), value=case.state or "—"),
                Fact(title=_("Opened"), value=format_when(case.opened_at, tz)),
            ]
        ),
        _subtle(_("HR will answer here and in the employee portal.")),
    ]
    # The same buttons, in the same order, as the IT ticket card.
    actions: list[Any] = [
        submit(_("Details"), HR_CASE_DETAILS.verb, number=case.number),
        submit(_("Updates"), HR_CASE_UPDATES.verb, number=case.number),
    ]
    return new_card(body, actions + open_in_servicenow(case.url), _refresh(case, SUMMARY_VIEW))


def _refresh(case: HRCase, view: str) -> RefreshDefinition:
    """Teams shows the owner this card as the case is now (`view`: this card or details)."""
    return refresh_with(HR_CASE_DETAILS.action(REFRESH), number=case.number, view=view)


def _comment_block(comment: Comment, tz: str | None) -> list[CardElement]:
    author = comment.author or _("HR")
    return [
        TextBlock(text=_("Latest comment"), weight="Bolder", wrap=True, spacing="Medium"),
        user_text(comment.text),
        user_text(subtle(f"{author}, {format_when(comment.created_at, tz)}")),
    ]


def comment_action(case: HRCase, comment_key: str) -> ShowCardAction:
    """ "Add a comment": the inline form whose button carries the case number and a key."""
    form = comment_form(case.number, HR_CASE_DETAILS.action("comment"), comment_key)
    return ShowCardAction(title=_(ADD_COMMENT), card=form)


def case_details_card(case: HRCase, *, comment_key: str, tz: str | None) -> AdaptiveCard:
    """Case details: facts, description, latest visible comment; Updates, Add a comment, portal."""
    facts = [
        Fact(title=_("Number"), value=case.number),
        Fact(title=_("Service"), value=case.service or "—"),
        Fact(title=_("State"), value=case.state or "—"),
        Fact(title=_("Priority"), value=case.priority or "—"),
        Fact(title=_("Opened"), value=format_when(case.opened_at, tz)),
        Fact(title=_("Updated"), value=format_when(case.updated_at, tz)),
        Fact(title=_("Assigned to"), value=case.assigned_to or _("Not assigned yet")),
    ]
    body: list[CardElement] = [_title(case.number), user_text(case.subject or _("HR case"))]
    body.append(FactSet(facts=facts))
    if case.description:
        body.append(user_text(case.description, spacing="Medium"))
    if case.latest_comment is not None:
        body += _comment_block(case.latest_comment, tz)
    # The same order as a ticket's: what the employee may do first, then Updates and the link.
    actions: list[Any] = [comment_action(case, comment_key)] if case.active else []
    actions.append(submit(_("Updates"), HR_CASE_UPDATES.verb, number=case.number))
    return new_card(body, actions + open_in_servicenow(case.url), _refresh(case, DETAILS_VIEW))


def _case_row(case: HRCase, tz: str | None) -> ColumnSet:
    # The whole row opens the case, as a ticket's row does: a Details button per row would put
    # six buttons on the card, and Teams' chat column fits four.
    text = Column(
        width="stretch",
        items=[
            user_text(strong(case.number), f" {case.subject}"),
            _subtle(_("Updated {when}").format(when=format_when(case.updated_at, tz))),
        ],
    )
    state = Column(width="auto", items=[TextBlock(text=case.state or "—", wrap=True)])
    return ColumnSet(
        columns=[text, state],
        separator=True,
        select_action=submit(_("Details"), HR_CASE_DETAILS.verb, number=case.number),
    )


def _list_heading(page: CasePage) -> str:
    if not page.items:
        return _(_EMPTY_HEADINGS[page.filter])
    first, last = page.offset + 1, page.offset + len(page.items)
    return _(_LIST_HEADINGS[page.filter]).format(first=first, last=last, total=page.total)


def _list_actions(page: CasePage) -> list[ExecuteAction]:
    actions = paging_buttons(page, HR_LIST_CASES.action("page"))
    if not page.items:
        actions.insert(0, submit(_(HR_CREATE_CASE.title), HR_CREATE_CASE.verb))
    return actions


def case_list_card(page: CasePage, *, tz: str | None) -> AdaptiveCard:
    """One page of the user's cases; each row opens its details; paging and filter buttons."""
    body: list[CardElement] = [_title(_list_heading(page))]
    if page.items:
        body.append(Container(items=[_case_row(case, tz) for case in page.items]))
    else:
        body.append(TextBlock(text=_("Would you like to open one?"), wrap=True))
    body.append(_subtle(_("As of {when}").format(when=format_when(page.as_of, tz))))
    return new_card(body, list(_list_actions(page)))


def case_updates_text(updates: RecordUpdates, *, tz: str | None) -> str:
    """Plain sentences: what changed last and when, then the latest customer-visible comments."""
    when = format_when(updates.updated_at, tz)
    if updates.updated_by:
        first = _("Your HR case {number} was last updated on {when} by {who}.").format(
            number=updates.number, when=when, who=updates.updated_by
        )
    else:
        first = _("Your HR case {number} was last updated on {when}.").format(
            number=updates.number, when=when
        )
    if updates.state:
        first += " " + _("It is now {state}.").format(state=updates.state)
    lines = [first]
    if not updates.comments:
        lines.append(_("There are no comments on it yet."))
        return "\n\n".join(lines)
    lines.append(_("Latest comments:") if len(updates.comments) > 1 else _("Latest comment:"))
    for comment in updates.comments[:3]:
        author = comment.author or _("HR")
        when = format_when(comment.created_at, tz)
        lines.append(
            _("{author} wrote on {when}: {text}").format(
                author=author, when=when, text=comment.text
            )
        )
    return "\n\n".join(lines)
