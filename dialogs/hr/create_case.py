"""Create an HR case: message → form pre-filled from what the user said → Submit → case card.

The HR services come from `HRSD.GetHRServicesForUser` and are kept with the draft, so showing the
form again (a validation problem, a Retry) costs no second lookup.
"""

from __future__ import annotations

from typing import Annotated, Any

from botbuilder.dialogs import DialogContext
from microsoft_teams.cards import AdaptiveCard
from pydantic import BaseModel, ConfigDict

from cards.common import DESCRIPTION_MAX
from cards.hr import SUBJECT_MAX, case_card, case_form_card
from dialogs.base import TopicOptions, user_zone
from dialogs.forms import FormTopic, beyond_summary, checked_text, summary_of, topic_state
from dialogs.hr._services import suggest_service
from flows import hr
from flows.models import HRCaseDraft, HRService
from i18n import N_
from topics import HR_CREATE_CASE

SERVICES = "hr_services"
SYS_ID_MAX = 64


class HRCaseForm(BaseModel):
    """The create-case form as submitted: what ServiceNow will accept, or a sentence why not."""

    model_config = ConfigDict(extra="ignore")

    service_sys_id: Annotated[
        str, checked_text(N_("What it is about"), SYS_ID_MAX, required=True)
    ] = ""
    subject: Annotated[str, checked_text(N_("Subject"), SUBJECT_MAX, required=True)] = ""
    description: Annotated[str, checked_text(N_("Description"), DESCRIPTION_MAX)] = ""


class CreateCase(FormTopic):
    """Open an HR case for the user, from one sentence and one Submit."""

    topic = HR_CREATE_CASE
    draft_model = HRCaseForm

    async def initial_draft(self, dc: DialogContext, options: TopicOptions) -> dict[str, Any]:
        services = await self._services(dc)
        said = options.entities.get("description") or ""
        service = suggest_service(options.text, services) if options.text else None
        subject, description = _split(said)
        return {
            "service_sys_id": service.sys_id if service else "",
            "subject": subject,
            "description": description,
        }

    async def form_card(
        self, dc: DialogContext, draft: dict[str, Any], key: str, problems: list[str], retry: bool
    ) -> AdaptiveCard:
        services = await self._services(dc)
        return case_form_card(
            services=services, draft=draft, key=key, problems=problems, retry=retry
        )

    async def create(self, dc: DialogContext, draft: BaseModel, key: str) -> AdaptiveCard:
        user = await self.employee(dc)
        case_draft = HRCaseDraft.model_validate(draft.model_dump())
        case = await hr.create_case(self.deps.orchestrator, user, case_draft, key)
        return case_card(case, tz=user_zone(dc.context))

    async def created(self, dc: DialogContext, key: str) -> AdaptiveCard | None:
        user = await self.employee(dc)
        case = await hr.created_case(self.deps.orchestrator, user, key)
        return case_card(case, tz=user_zone(dc.context)) if case else None

    async def _services(self, dc: DialogContext) -> list[HRService]:
        state = topic_state(dc)
        if SERVICES not in state:
            user = await self.employee(dc)
            services = await hr.get_hr_services(self.deps.orchestrator, user)
            state[SERVICES] = [s.model_dump() for s in services]
        return [HRService.model_validate(s) for s in state[SERVICES]]


def _split(said: str) -> tuple[str, str]:
    """Subject and description from what the user said: the subject is its summary (the same
    rule as a ticket's), the description keeps every word when the subject does not."""
    subject = summary_of(said, SUBJECT_MAX)
    return subject, beyond_summary(said, subject)[:DESCRIPTION_MAX]
