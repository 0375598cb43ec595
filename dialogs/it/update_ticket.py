"""Update a ticket: add a comment, change its urgency, or attach a file; answer with its details.

Started by the details card's forms (`it.update_ticket.comment` / `.urgency` / `.attach`) or by
text ("tell them on INC0010023: it works again", "make my ticket urgent"). Flows check that the
user may change the ticket (theirs, not closed) and raise NotAllowed with the reason otherwise.
"""

from __future__ import annotations

import secrets
from typing import cast, get_args

from botbuilder.dialogs import DialogContext, DialogTurnResult

from cards.common import COMMENT_MAX
from cards.it import ticket_details_card
from dialogs.attachments import FileContent, IncomingFile, download_all, files_in
from dialogs.base import TopicOptions, plain, record_number, send_card, user_zone
from dialogs.comments import ask_for_comment, confirm_comment, waiting_comment
from dialogs.forms import clean_text, comment_key, topic_state
from dialogs.it._common import ITTopic
from flows import it
from flows.models import Ticket, Urgency
from i18n import N_, _
from topics import IT_UPDATE_TICKET

ASK_FOR_FILE = N_("Please send me the file to attach to {number}, or say “cancel”.")
WAITING = "waiting_for_file"


class UpdateTicket(ITTopic):
    """Change one of the user's tickets and show it again."""

    topic = IT_UPDATE_TICKET
    action_verbs = IT_UPDATE_TICKET.action_verbs

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        typed = options.entities.get("comment", "") if not options.verb else ""
        urgency = plain(options.data, "urgency") or options.entities.get("urgency", "")
        if options.verb == IT_UPDATE_TICKET.action("comment"):
            return await self._comment(dc, options, plain(options.data, "comment"))
        if typed:
            # Typed words become a comment only once the user has seen them and said so.
            ticket = await self._ticket(dc, options)
            await confirm_comment(
                dc,
                number=ticket.number,
                summary=ticket.short_description,
                said=typed,
                verb=IT_UPDATE_TICKET.action("comment"),
            )
            return True
        if options.verb == IT_UPDATE_TICKET.action("urgency") or (urgency and not options.verb):
            return await self._urgency(dc, options, urgency)
        files = files_in(dc.context.activity)
        if options.verb == IT_UPDATE_TICKET.action("attach") or files:
            return await self._attach_or_ask(dc, options, files)
        if options.verb:
            await self._show(dc, await self._ticket(dc, options))
            return True
        ticket = await self._ticket(dc, options)
        await ask_for_comment(dc, number=ticket.number, summary=ticket.short_description)
        return False

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        number = waiting_comment(inner_dc)
        if number is not None:
            said = (inner_dc.context.activity.text or "").strip()
            options = TopicOptions(entities={"number": number}, text=said)
            return await self.guarded(inner_dc, lambda: self._comment(inner_dc, options, said))
        file_for = str(topic_state(inner_dc).get(WAITING) or "")
        return await self.guarded(inner_dc, lambda: self._receive_file(inner_dc, file_for))

    async def _comment(self, dc: DialogContext, options: TopicOptions, raw: str) -> bool:
        try:
            text = clean_text(raw, field=N_("Your comment"), max_length=COMMENT_MAX, required=True)
        except ValueError as problem:
            await dc.context.send_activity(str(problem))
            return True
        number = await self._number(dc, options)
        card_key = plain(options.data, "comment_key") or dc.context.activity.id or ""
        key = comment_key(card_key, number, text)
        user = await self.employee(dc)
        updated = await it.add_comment(self.deps.orchestrator, user, number, text, key)
        await dc.context.send_activity(
            _("Thanks, I've added your comment to {number}.").format(number=updated.number)
        )
        await self._show(dc, updated)
        return True

    async def _urgency(self, dc: DialogContext, options: TopicOptions, raw: str) -> bool:
        if raw not in get_args(Urgency):
            await dc.context.send_activity(_("Please choose High, Medium or Low urgency."))
            return True
        number = await self._number(dc, options)
        user = await self.employee(dc)
        urgency = cast(Urgency, raw)
        updated = await it.change_urgency(self.deps.orchestrator, user, number, urgency)
        await dc.context.send_activity(
            _("Done: {number} now has urgency {urgency}.").format(
                number=updated.number, urgency=updated.urgency
            )
        )
        await self._show(dc, updated)
        return True

    async def _attach_or_ask(
        self, dc: DialogContext, options: TopicOptions, files: list[IncomingFile]
    ) -> bool:
        number = await self._number(dc, options)
        if files:
            await self._attach(dc, number, files)
            return True
        topic_state(dc)[WAITING] = number
        await dc.context.send_activity(_(ASK_FOR_FILE).format(number=number))
        return False

    async def _receive_file(self, dc: DialogContext, number: str) -> bool:
        files = files_in(dc.context.activity)
        if not files:
            await dc.context.send_activity(_(ASK_FOR_FILE).format(number=number))
            return False
        await self._attach(dc, number, files)
        return True

    async def _attach(self, dc: DialogContext, number: str, files: list[IncomingFile]) -> None:
        user = await self.employee(dc)
        for result in await download_all(files):
            if isinstance(result, FileContent):
                await it.attach_file(
                    self.deps.orchestrator,
                    user,
                    number,
                    result.name,
                    result.content_type,
                    result.data,
                )
                await dc.context.send_activity(
                    _("I've attached {name} to {number}.").format(name=result.name, number=number)
                )
            else:
                await dc.context.send_activity(result.reason)
        await self._show(dc, await it.get_ticket_details(self.deps.orchestrator, user, number))

    async def _number(self, dc: DialogContext, options: TopicOptions) -> str:
        """The number named, else the user's latest ticket's (one read to find it)."""
        return record_number(options) or (await self._ticket(dc, options)).number

    async def _ticket(self, dc: DialogContext, options: TopicOptions) -> Ticket:
        """The ticket to change: the one named, else the user's latest (raises RecordNotFound)."""
        return await self.read(dc, it.get_ticket_details, options)

    async def _show(self, dc: DialogContext, ticket: Ticket) -> None:
        card = ticket_details_card(
            ticket, comment_key=secrets.token_hex(8), tz=user_zone(dc.context)
        )
        await send_card(dc.context, card)
