"""The HR desk's words, and how HR topics take a comment (as IT's update topic does)."""

from __future__ import annotations

import secrets

from botbuilder.dialogs import DialogContext, DialogTurnResult

from cards.common import COMMENT_MAX
from cards.hr import case_details_card
from dialogs.answering import AnsweringTopic, Desk
from dialogs.base import TopicOptions, plain, record_number, send_card, user_zone
from dialogs.comments import ask_for_comment, confirm_comment, waiting_comment
from dialogs.forms import clean_text, comment_key
from flows import hr
from i18n import N_, _
from topics import HR_CASE_DETAILS, HR_CREATE_CASE

NOT_FOUND = N_(
    "I can't find that HR case. Please check the number: I can only show cases you opened."
)
NO_CASES = N_("You don't have any HR cases yet. Would you like to open one?")
HR_DESK = Desk(
    not_found=NOT_FOUND,
    nothing_yet=NO_CASES,
    create=HR_CREATE_CASE,
    not_a_number=N_("“{typed}” isn't an HR case number: case numbers look like HRC0001234."),
    records=hr.list_cases,
)
COMMENT_VERB = HR_CASE_DETAILS.action("comment")
ASK_FOR_NUMBER = N_("Which HR case should I add the comment to? Please tell me its number.")


class HRTopic(AnsweringTopic):
    """A one-turn HR topic."""

    desk = HR_DESK


class CommentingHRTopic(HRTopic):
    """An HR topic that also takes a comment: from a card at once, typed only once confirmed."""

    async def confirm_typed_comment(self, dc: DialogContext, options: TopicOptions) -> None:
        """Show the comment read out of the message back in the case's comment form."""
        case = await self.read(dc, hr.get_case_details, options)
        said = options.entities.get("comment", "")
        await confirm_comment(
            dc, number=case.number, summary=case.subject, said=said, verb=COMMENT_VERB
        )

    async def ask_for_comment(self, dc: DialogContext, options: TopicOptions) -> bool:
        """ "I want to add a comment to my HR case": ask what, and wait for it."""
        case = await self.read(dc, hr.get_case_details, options)
        await ask_for_comment(dc, number=case.number, summary=case.subject)
        return False

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        number = waiting_comment(inner_dc)
        said = (inner_dc.context.activity.text or "").strip()
        options = TopicOptions(entities={"number": number or ""}, text=said)

        async def add() -> bool:
            await self.add_comment(inner_dc, options, said)
            return True

        return await self.guarded(inner_dc, add)

    async def add_comment(self, dc: DialogContext, options: TopicOptions, raw: str) -> None:
        """Add the comment to the case (once per card key) and show the case again."""
        number = record_number(options)
        if number is None:
            await dc.context.send_activity(_(ASK_FOR_NUMBER))
            return
        try:
            text = clean_text(raw, field=N_("Your comment"), max_length=COMMENT_MAX, required=True)
        except ValueError as problem:
            await dc.context.send_activity(str(problem))
            return
        user = await self.employee(dc)
        key = comment_key(
            plain(options.data, "comment_key") or dc.context.activity.id, number, text
        )
        case = await hr.add_case_comment(self.deps.orchestrator, user, number, text, key)
        await dc.context.send_activity(
            _("Thanks, I've added your comment to {number}.").format(number=case.number)
        )
        card = case_details_card(case, comment_key=secrets.token_hex(8), tz=user_zone(dc.context))
        await send_card(dc.context, card)
