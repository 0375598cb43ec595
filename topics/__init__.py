"""Every topic Snowdesk knows, declared once: id, desk, kind, titles, menu line, verbs.

This module is a leaf: it imports nothing of the project but the message marker of `i18n`
(another leaf), so every layer may read it. Titles and menu lines are English msgids, shown
translated (`i18n._`) where a card shows them; commands and descriptions are the manifest's,
translated in `manifest/languages/`. The
dialog registry, the trigger files, the help and welcome menus, the recogniser's desk rules,
card verbs and the Teams manifest's command list are all derived from `TOPICS`; a test checks
that every declared topic has a dialog, a trigger file and a manifest command, and that no
topic exists anywhere else.

HR and IT mirror each other: a desk topic of one desk names its `counterpart` on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from i18n import N_

Desk = Literal["hr", "it"]
# What a topic does with records; the recogniser's rules and the menus read it.
Kind = Literal["create", "details", "status", "updates", "list", "update", "router"]
# The action of a record's card that Teams runs to show the card as the record is now.
REFRESH = "refresh"


@dataclass(frozen=True)
class Topic:
    """One topic. `actions` are the steps its own cards send back (`<id>.<action>` verbs)."""

    id: str
    kind: Kind
    title: str  # a short title, for buttons that offer the topic (a msgid)
    command: str  # the Teams command list entry (also a phrase the recogniser knows)
    description: str  # the command's description in Teams
    desk: Desk | None = None
    counterpart: str = ""  # the mirror topic on the other desk
    menu: str = ""  # the help card's one line (a msgid); empty = not on the menu
    actions: tuple[str, ...] = ()

    @property
    def verb(self) -> str:
        """The verb of a button that starts this topic."""
        return self.id

    def action(self, name: str) -> str:
        """The verb of one of this topic's own actions; an undeclared action is a bug."""
        if name not in self.actions:
            raise KeyError(f"topic {self.id} declares no action {name!r}")
        return f"{self.id}.{name}"

    @property
    def action_verbs(self) -> frozenset[str]:
        """Every verb this topic's cards send back while it runs."""
        return frozenset(self.action(name) for name in self.actions)


IT_CREATE_TICKET = Topic(
    "it.create_ticket",
    "create",
    title=N_("Ask IT"),
    command="Create IT ticket",
    description="Report an IT problem (laptop, VPN, access, software) and get a ticket number",
    desk="it",
    counterpart="hr.create_case",
    menu=N_("Open an IT ticket, e.g. “my laptop won't boot”."),
    actions=("submit", "cancel"),
)
IT_TICKET_STATUS = Topic(
    "it.ticket_status",
    "status",
    title=N_("Ticket status"),
    command="Ticket status",
    description="Check where one of your IT tickets stands, e.g. INC0010001",
    desk="it",
    counterpart="hr.case_details",
)
IT_TICKET_DETAILS = Topic(
    "it.ticket_details",
    "details",
    title=N_("Ticket details"),
    command="Ticket details",
    description="Show everything about one of your IT tickets",
    desk="it",
    counterpart="hr.case_details",
    actions=(REFRESH,),
)
IT_LIST_TICKETS = Topic(
    "it.list_tickets",
    "list",
    title=N_("My IT tickets"),
    command="My IT tickets",
    description="List the IT tickets you opened and their state",
    desk="it",
    counterpart="hr.list_cases",
    menu=N_("See your open tickets and their state."),
    actions=("page",),
)
IT_UPDATE_TICKET = Topic(
    "it.update_ticket",
    "update",
    title=N_("Update a ticket"),
    command="Update a ticket",
    description="Add a comment or new information to one of your IT tickets",
    desk="it",
    counterpart="hr.case_updates",
    actions=("comment", "urgency", "attach"),
)
IT_TICKET_UPDATES = Topic(
    "it.ticket_updates",
    "updates",
    title=N_("IT ticket updates"),
    command="Ticket updates",
    description="See the latest comments and changes on one of your IT tickets",
    desk="it",
    counterpart="hr.case_updates",
    menu=N_("Hear what changed on a ticket."),
    # "mute": Stop updates on a notification card (no more proactive cards for that ticket).
    actions=("mute",),
)
HR_CREATE_CASE = Topic(
    "hr.create_case",
    "create",
    title=N_("Ask HR"),
    command="Create HR case",
    description="Ask HR for help: open a case about pay, leave, benefits or your employee records",
    desk="hr",
    counterpart="it.create_ticket",
    menu=N_("Open an HR case, e.g. “my payslip is wrong”."),
    actions=("submit", "cancel"),
)
HR_CASE_DETAILS = Topic(
    "hr.case_details",
    "details",
    title=N_("HR case details"),
    command="HR case details",
    description="Show everything about one of your HR cases, e.g. HRC0001234",
    desk="hr",
    counterpart="it.ticket_details",
    actions=("comment", REFRESH),
)
HR_CASE_UPDATES = Topic(
    "hr.case_updates",
    "updates",
    title=N_("HR case updates"),
    command="HR case updates",
    description="See the latest comments and changes on one of your HR cases",
    desk="hr",
    counterpart="it.ticket_updates",
    menu=N_("Hear what changed on an HR case."),
    actions=("mute",),
)
HR_LIST_CASES = Topic(
    "hr.list_cases",
    "list",
    title=N_("My HR cases"),
    command="My HR cases",
    description="List the HR cases you opened and where each one stands",
    desk="hr",
    counterpart="it.list_tickets",
    menu=N_("See your HR cases."),
    actions=("page",),
)
HELP = Topic(
    "help",
    "router",
    title=N_("Help"),
    command="Help",
    description="What Snowdesk can do for you, with a button for each topic",
)
SIGN_OUT = Topic(
    "sign_out",
    "router",
    title=N_("Sign out"),
    command=N_("Sign out"),
    description=N_("Sign out of ServiceNow: Snowdesk forgets your sign-in until you ask again"),
)
CANCEL = Topic("cancel", "router", title=N_("Cancel"), command="", description="")
GREETING = Topic("greeting", "router", title=N_("Hello"), command="", description="")
NONE = Topic("none", "router", title=N_("Something else"), command="", description="")

# Declaration order is the order of menus and the manifest's command list.
TOPICS: tuple[Topic, ...] = (
    IT_CREATE_TICKET,
    IT_LIST_TICKETS,
    IT_TICKET_STATUS,
    IT_TICKET_DETAILS,
    IT_UPDATE_TICKET,
    IT_TICKET_UPDATES,
    HR_CREATE_CASE,
    HR_LIST_CASES,
    HR_CASE_DETAILS,
    HR_CASE_UPDATES,
    HELP,
    SIGN_OUT,
    CANCEL,
    GREETING,
    NONE,
)
# The switch card's "Keep going": the router re-asks the running topic's question.
CONTINUE_VERB = "router.continue"
BY_ID: dict[str, Topic] = {topic.id: topic for topic in TOPICS}
# The verbs of record cards' refresh actions (each declared as its topic's `refresh`).
REFRESH_VERBS: frozenset[str] = frozenset(t.action(REFRESH) for t in TOPICS if REFRESH in t.actions)


def _menu() -> tuple[Topic, ...]:
    """The topics with a menu line, each followed by its counterpart on the other desk."""
    ordered: list[Topic] = []
    for listed in (t for t in TOPICS if t.menu):
        mirror = BY_ID.get(listed.counterpart)
        for entry in (listed, mirror):
            if entry is not None and entry.menu and entry not in ordered:
                ordered.append(entry)
    return tuple(ordered)


# The help card's lines and buttons: desk pairs side by side (IT create, HR create, IT list, ...),
# so both desks read in the same order and the buttons Teams shows first cover both desks.
MENU: tuple[Topic, ...] = _menu()
# The Teams command list of personal chat: desk topics in declaration order, then help.
COMMANDS: tuple[Topic, ...] = tuple(t for t in TOPICS if t.desk) + (HELP, SIGN_OUT)


def topic(topic_id: str) -> Topic:
    """The declared topic with this id (KeyError names an unknown id)."""
    return BY_ID[topic_id]


def desk_topics(desk: Desk | None = None) -> tuple[Topic, ...]:
    """The topics that work on records (of one desk, or of both)."""
    return tuple(t for t in TOPICS if t.desk and (desk is None or t.desk == desk))


def of_kind(*kinds: Kind) -> frozenset[str]:
    """The ids of desk topics of these kinds, e.g. `of_kind("list")`."""
    return frozenset(t.id for t in TOPICS if t.desk and t.kind in kinds)


def counterparts() -> dict[str, str]:
    """Each desk topic's mirror on the other desk."""
    return {t.id: t.counterpart for t in TOPICS if t.counterpart}
