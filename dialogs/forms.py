"""Form topics: a card the user fills in, validated, then one record created, never lost or doubled.

The draft (what the user typed) lives in the dialog's state, i.e. in conversation state, until
the record exists. Each form card carries a `draft_key`; the system handler uses it as the
record's correlation id, so a double click or a redelivered Submit creates one record.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from abc import abstractmethod
from typing import Any, ClassVar

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard
from pydantic import BaseModel, BeforeValidator, ValidationError

from dialogs.actions import card_submit
from dialogs.base import TopicDialog, TopicOptions, send_card
from i18n import DEFAULT, N_, _, current_language

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DRAFT = "draft"
DRAFT_KEY = "draft_key"
CANCELLED = N_("OK, I've cancelled that. Nothing was created.")


def clean_text(value: object, *, field: str, max_length: int, required: bool) -> str:
    """Trimmed text without control characters; raises ValueError with a sentence for the user
    (in the turn's language; `field` is a msgid)."""
    text = str(value or "").strip()
    name = _(field)
    if _CONTROL.search(text):
        raise ValueError(
            _("{field} contains characters I can't send. Please retype it.").format(field=name)
        )
    if required and not text:
        # English runs the field's name into the sentence; the catalogues quote it instead.
        inline = name.lower() if current_language() == DEFAULT else name
        raise ValueError(_("Please fill in {field}.").format(field=inline))
    if len(text) > max_length:
        raise ValueError(
            _("{field} is too long: {length} characters, at most {max_length}.").format(
                field=name, length=len(text), max_length=max_length
            )
        )
    return text


def checked_text(field: str, max_length: int, *, required: bool = False) -> BeforeValidator:
    """A form model's check of one text input (`Annotated[str, checked_text(...)]`): `clean_text`."""
    return BeforeValidator(
        lambda value: clean_text(value, field=field, max_length=max_length, required=required)
    )


def comment_key(card_key: str | None, number: str, text: str) -> str:
    """Same card, record and words → same key: a double click or a redelivery adds one comment."""
    return hashlib.sha256(f"{card_key or ''}\n{number}\n{text}".encode()).hexdigest()[:32]


def validation_messages(error: ValidationError) -> list[str]:
    """The sentences of a pydantic validation error, without pydantic's own wording."""
    return [str(item["ctx"]["error"]) if "ctx" in item else item["msg"] for item in error.errors()]


class FormTopic(TopicDialog):
    """A topic that shows a form card and creates one record from it.

    Subclasses define four steps: the pre-filled draft, the card, the validation model, and the
    create call with its answer card; the verbs are the declared topic's `submit` and `cancel`.
    """

    draft_model: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "topic"):
            cls.continue_verbs = frozenset({cls.submit_verb(), cls.cancel_verb()})

    @classmethod
    def submit_verb(cls) -> str:
        """The verb of the form's Submit (and Retry)."""
        return cls.topic.action("submit")

    @classmethod
    def cancel_verb(cls) -> str:
        """The verb of the form's Cancel."""
        return cls.topic.action("cancel")

    @abstractmethod
    async def initial_draft(self, dc: DialogContext, options: TopicOptions) -> dict[str, Any]:
        """The draft pre-filled from what the user already said."""

    @abstractmethod
    async def form_card(
        self, dc: DialogContext, draft: dict[str, Any], key: str, problems: list[str], retry: bool
    ) -> AdaptiveCard:
        """The form, filled with the draft; `problems` and `retry` say why it is shown again."""

    @abstractmethod
    async def create(self, dc: DialogContext, draft: BaseModel, key: str) -> AdaptiveCard:
        """Create the record (idempotent on `key`) and return the card that answers."""

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        topic_options = TopicOptions.of(options)
        state = topic_state(inner_dc)
        if topic_options.verb == self.cancel_verb():
            # Cancel on a form whose topic already ended: say so rather than open a new form.
            await inner_dc.context.send_activity(_(CANCELLED))
            return await inner_dc.end_dialog()
        if topic_options.verb == self.submit_verb() and topic_options.data:
            # A Submit from a form whose topic already ended (double click, redelivery, restart).
            state[DRAFT_KEY] = str(topic_options.data.get(DRAFT_KEY) or _new_key())
            state[DRAFT] = topic_options.data
            return await self._submit(inner_dc, state)
        try:
            await self.show_typing(inner_dc.context)
            state[DRAFT] = await self.initial_draft(inner_dc, topic_options)
            state[DRAFT_KEY] = _new_key()
            await self._show_form(inner_dc, state, problems=[], retry=False)
        except Exception as error:  # graceful exit: one sentence (with a reference id), then end
            return await self.fail(inner_dc, error)
        return Dialog.end_of_turn

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        state = topic_state(inner_dc)
        submit = card_submit(inner_dc.context.activity)
        if submit is None:
            await inner_dc.context.send_activity(
                _("Please fill in the form above and press Submit, or say “cancel”.")
            )
            return Dialog.end_of_turn
        if submit.verb == self.cancel_verb():
            await inner_dc.context.send_activity(_(CANCELLED))
            return await inner_dc.end_dialog()
        state[DRAFT] = {**state.get(DRAFT, {}), **submit.data}
        return await self._submit(inner_dc, state)

    async def _submit(self, dc: DialogContext, state: dict[str, Any]) -> DialogTurnResult:
        try:
            draft = self.draft_model.model_validate(state[DRAFT])
        except ValidationError as error:
            await self._show_form(dc, state, problems=validation_messages(error), retry=False)
            return Dialog.end_of_turn
        await self.show_typing(dc.context)
        try:
            card = await self.create(dc, draft, state[DRAFT_KEY])
        except Exception as error:  # whatever failed, nothing is lost: the draft stays in state
            await self.explain(dc, error)
            await self._offer_retry(dc, state)
            return Dialog.end_of_turn
        await send_card(dc.context, card)
        return await dc.end_dialog()

    async def _offer_retry(self, dc: DialogContext, state: dict[str, Any]) -> None:
        """The same form with the user's values and Retry. Should building it fail too (it may
        need ServiceNow), the draft still waits here and the card already shown still submits."""
        try:
            await self._show_form(dc, state, problems=[], retry=True)
        except Exception as error:
            log.warning(
                "form.retry_card_failed",
                extra={"topic": self.topic_id, "error_type": type(error).__name__},
            )

    async def _show_form(
        self, dc: DialogContext, state: dict[str, Any], problems: list[str], retry: bool
    ) -> None:
        card = await self.form_card(dc, state[DRAFT], state[DRAFT_KEY], problems, retry)
        await send_card(dc.context, card)


def topic_state(inner_dc: DialogContext) -> dict[str, Any]:
    """The topic's own state, kept across turns (the inner context of a topic has no dialogs)."""
    parent = inner_dc.parent
    if parent is None or parent.active_dialog is None:
        raise RuntimeError("a topic's state is read inside its own turn only")
    state: dict[str, Any] = parent.active_dialog.state
    return state


def _new_key() -> str:
    return secrets.token_hex(8)
