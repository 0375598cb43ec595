"""Latest updates: "did anyone look at my laptop ticket?" → what changed last, latest comments."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.it import ticket_updates_text
from cards.notifications import muted_text
from dialogs.base import TopicOptions, send_plain, user_zone
from dialogs.it._common import ITTopic
from flows import it
from topics import IT_TICKET_UPDATES


class TicketUpdates(ITTopic):
    """A short text answer for the named ticket or the user's most recently updated one."""

    topic = IT_TICKET_UPDATES
    action_verbs = IT_TICKET_UPDATES.action_verbs  # "Stop updates" (mute)

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        updates = await self.read(dc, it.get_ticket_updates, options)
        mutes = self.deps.mutes
        if options.verb == self.topic.action("mute") and mutes is not None:
            # Read first: only the record's owner finds it, so only they can mute it.
            await mutes.mute(updates.sys_id)
            await dc.context.send_activity(muted_text(updates.number))
            return True
        await send_plain(dc.context, ticket_updates_text(updates, tz=user_zone(dc.context)))
        return True
