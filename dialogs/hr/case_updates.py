"""Case updates: "any news on my HR case?" → what changed last and the latest visible comments."""

from __future__ import annotations

from botbuilder.dialogs import DialogContext

from cards.hr import case_updates_text
from cards.notifications import muted_text
from dialogs.base import TopicOptions, send_plain, user_zone
from dialogs.comments import asks_to_comment
from dialogs.hr._common import CommentingHRTopic
from flows import hr
from topics import HR_CASE_UPDATES


class CaseUpdates(CommentingHRTopic):
    """Tell the user, in plain sentences, what happened on their HR case (never work notes);
    "add to HRC… that I sent the form" and "I want to add a comment" write, as on IT."""

    topic = HR_CASE_UPDATES
    action_verbs = HR_CASE_UPDATES.action_verbs  # "Stop updates" (mute)

    async def answer(self, dc: DialogContext, options: TopicOptions) -> bool:
        if options.entities.get("comment") and not options.verb:
            await self.confirm_typed_comment(dc, options)
            return True
        if not options.verb and asks_to_comment(options.text):
            return await self.ask_for_comment(dc, options)
        updates = await self.read(dc, hr.get_case_updates, options)
        mutes = self.deps.mutes
        if options.verb == self.topic.action("mute") and mutes is not None:
            # Read first: only the record's owner finds it, so only they can mute it.
            await mutes.mute(updates.sys_id)
            await dc.context.send_activity(muted_text(updates.number))
            return True
        await send_plain(dc.context, case_updates_text(updates, tz=user_zone(dc.context)))
        return True
