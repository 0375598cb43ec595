"""Create ticket: "my laptop won't boot, it's urgent" → a pre-filled form → Submit → ticket card.

Two turns when the first message says the problem. Files the user sends while the form is open
(or with the first message) are kept as references in the topic's state and attached to the new
ticket after it is created; the draft itself is kept by FormTopic until ServiceNow has it.
"""

from __future__ import annotations

from typing import Annotated, Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard
from pydantic import BaseModel, field_validator

from cards.common import DESCRIPTION_MAX, SHORT_DESCRIPTION_MAX
from cards.it import ticket_card, ticket_form_card
from dialogs.attachments import FileContent, IncomingFile, download_all, files_in
from dialogs.base import TopicOptions, user_zone
from dialogs.forms import FormTopic, beyond_summary, checked_text, summary_of, topic_state
from dialogs.it._categories import suggest_category
from flows import it
from flows.errors import ServiceFailure
from flows.models import Employee, Ticket, TicketDraft, Urgency
from i18n import N_, _
from topics import IT_CREATE_TICKET

FILES = "files"
ATTACHED = "attached"
CATEGORY_MAX = 40


class TicketForm(BaseModel):
    """The create-ticket form as submitted; each check answers with a sentence for the user."""

    short_description: Annotated[
        str, checked_text(N_("Short description"), SHORT_DESCRIPTION_MAX, required=True)
    ]
    description: Annotated[str, checked_text(N_("Description"), DESCRIPTION_MAX)] = ""
    urgency: Urgency = "medium"
    category: Annotated[str, checked_text(N_("Category"), CATEGORY_MAX)] = ""

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: object) -> object:
        if value in (None, ""):
            return "medium"
        if value not in ("high", "medium", "low"):
            raise ValueError(_("Please choose High, Medium or Low urgency."))
        return value


class CreateTicket(FormTopic):
    """Open an IT ticket from a pre-filled form, with any files the user sent meanwhile."""

    topic = IT_CREATE_TICKET
    draft_model = TicketForm

    async def initial_draft(self, dc: DialogContext, options: TopicOptions) -> dict[str, Any]:
        self._keep_files(dc)
        said = options.entities.get("description", "").strip()
        short = summary_of(said, SHORT_DESCRIPTION_MAX)
        categories = await it.get_categories(self.deps.orchestrator) if said else []
        return {
            "short_description": short,
            "description": beyond_summary(said, short),
            "urgency": options.entities.get("urgency") or "medium",
            "category": suggest_category(said, categories),
        }

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        if self._keep_files(inner_dc):
            names = ", ".join(f["name"] for f in topic_state(inner_dc)[FILES])
            await inner_dc.context.send_activity(
                _("Got it. I'll attach {names} when you submit the form.").format(names=names)
            )
            return Dialog.end_of_turn
        return await super().on_continue_dialog(inner_dc)

    async def form_card(
        self, dc: DialogContext, draft: dict[str, Any], key: str, problems: list[str], retry: bool
    ) -> AdaptiveCard:
        categories = await it.get_categories(self.deps.orchestrator)
        names = [f["name"] for f in topic_state(dc).get(FILES, [])]
        return ticket_form_card(
            categories=categories,
            draft=draft,
            key=key,
            problems=problems,
            retry=retry,
            file_names=names,
        )

    async def create(self, dc: DialogContext, draft: BaseModel, key: str) -> AdaptiveCard:
        user = await self.employee(dc)
        ticket_draft = TicketDraft.model_validate(draft.model_dump())
        ticket = await it.create_ticket(self.deps.orchestrator, user, ticket_draft, key)
        notes = await self._attach_files(dc, user, ticket)
        return ticket_card(ticket, tz=user_zone(dc.context), notes=notes)

    async def created(self, dc: DialogContext, key: str) -> AdaptiveCard | None:
        user = await self.employee(dc)
        ticket = await it.created_ticket(self.deps.orchestrator, user, key)
        return ticket_card(ticket, tz=user_zone(dc.context)) if ticket else None

    def _keep_files(self, dc: DialogContext) -> bool:
        """Remember the files this activity carries; True when it carried any."""
        files = files_in(dc.context.activity)
        if files:
            kept = topic_state(dc).setdefault(FILES, [])
            kept += [f.model_dump() for f in files]
        return bool(files)

    async def _attach_files(self, dc: DialogContext, user: Employee, ticket: Ticket) -> list[str]:
        """Attach the kept files once each; a file that fails is named, the ticket stands."""
        state = topic_state(dc)
        attached: list[str] = state.setdefault(ATTACHED, [])
        pending = [IncomingFile.model_validate(f) for f in state.get(FILES, [])]
        pending = [f for f in pending if f.url not in attached]
        notes: list[str] = []
        for file, result in zip(pending, await download_all(pending), strict=True):
            if not isinstance(result, FileContent):
                notes.append(result.reason)
                continue
            try:
                await it.attach_file(
                    self.deps.orchestrator,
                    user,
                    ticket.number,
                    result.name,
                    result.content_type,
                    result.data,
                )
            except ServiceFailure:
                notes.append(
                    _("I couldn't attach {name}: please add it from the ticket's details.").format(
                        name=file.name
                    )
                )
                continue
            attached.append(file.url)
            notes.append(_("{name} is attached.").format(name=file.name))
        return notes
