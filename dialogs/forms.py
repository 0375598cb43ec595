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
import time
from abc import abstractmethod
from typing import Any, ClassVar

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from microsoft_teams.cards import AdaptiveCard
from pydantic import BaseModel, BeforeValidator, ValidationError

from dialogs._text import MAX_CHARS
from dialogs.actions import card_submit
from dialogs.base import TopicDialog, TopicOptions, plain, send_card
from i18n import DEFAULT, N_, _, current_language

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DRAFT = "draft"
# A topic waiting for free text (a comment it asked for): the router lets only "cancel" and
# "help" interrupt, so the words are never mistaken for a new request.
AWAITS_TEXT = "awaits_text"
DRAFT_KEY = "draft_key"
CANCELLED = N_("OK, I've cancelled that. Nothing was created.")
ADDED_TO_FORM = N_("I've added that to the form's description. Press Submit when it's ready.")
# When the form was last shown: a form left alone long enough is closed by the router.
SHOWN_AT = "shown_at"


# What a summary leaves out of what the user said: greetings, politeness and urgency (the form's
# urgency field carries that), in the languages Snowdesk understands.
_LEAD_IN = re.compile(
    r"^(?:(?:hi|hello|hey|hallo|bonjour|salut|hola|buenos d[ií]as|goedemorgen|good (?:morning|"
    r"afternoon|evening)|guten (?:morgen|tag)|sorry to bother(?: you)?|sorry|excuse me|please|pls|"
    r"plz|bitte|s'il (?:te|vous) pla[iî]t|por favor|alsjeblieft|(?:can|could|would) (?:you|someone)"
    r"(?: please)?(?: help(?: me)?)?(?: with)?|i need (?:some )?help(?: with)?|help)\b[\s,!.:;-]*)+",
    re.IGNORECASE,
)
_URGENCY_WORDS = re.compile(
    r"[\s,;:.!-]*\b(?:(?:it'?s|it is|this is|es ist|c'est|es|is)\s+)?(?:really |very |quite |super )?"
    r"(?:urgent(?:ly)?|asap|as soon as possible|dringend|urgente?|spoed|eilig)\b[\s!.]*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def summary_of(said: str, max_length: int) -> str:
    """A short description worth reading, derived from what the user said by one rule for both
    desks: its first sentence without greetings, "please" or urgency words (a too-short first
    sentence borrows the next), capitalised, cut at a word to fit. Empty when nothing is left."""
    parts = [_essence(sentence) for sentence in _SENTENCE_END.split(said.strip())]
    parts = [part for part in parts if part]
    if not parts:
        return ""
    text = parts[0]
    if len(text.split()) < 3 and len(parts) > 1:
        text = f"{text} {parts[1][0].upper()}{parts[1][1:]}"
    text = text[0].upper() + text[1:]
    if len(text) <= max_length:
        return text
    cut = text.rfind(" ", 0, max_length - 1)
    return text[: cut if cut > 0 else max_length - 1].rstrip(" ,.;:") + "…"


def beyond_summary(said: str, summary: str) -> str:
    """What the user said, kept whole as the description when the summary left anything out;
    empty when the summary already says it all (case and closing punctuation aside)."""

    def bare(text: str) -> str:
        return " ".join(text.split()).strip(" .!?").casefold()

    return said.strip() if bare(said) != bare(summary) else ""


def _essence(sentence: str) -> str:
    """One sentence without lead-ins, urgency words and closing exclamation marks."""
    text = _URGENCY_WORDS.sub(" ", _LEAD_IN.sub("", sentence.strip()))
    text = " ".join(text.split()).strip(" ,;:-")
    return text if text.endswith("?") else text.rstrip(".!")


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


def verbatim(original: str, extracted: str) -> str:
    """The user's own words for a free-text entity (a comment) the recogniser read from its
    capped, space-folded copy of the message: the tail of the original from where the entity
    starts, line breaks and length intact. The extraction itself when it is not the tail."""
    words = extracted.split()
    if not words:
        return extracted
    start = re.search(r"\s+".join(re.escape(word) for word in words[:4]), original)
    if start is None:
        return extracted
    tail = original[start.start() :].rstrip()
    folded_tail, folded = " ".join(tail.split()), " ".join(words)
    if not folded_tail.startswith(folded):
        return extracted
    rest = folded_tail[len(folded) :].strip()
    if not rest or len(" ".join(original.split())) > MAX_CHARS:
        return tail  # all of it, or more than the recogniser read: never cut silently
    if rest.strip("\"'”’“‘") == "":
        return tail[: len(tail) - len(rest)].rstrip()  # a closing quote is not the comment's
    return extracted


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
    # The form field that typed words join while the form is open.
    detail_field: ClassVar[str] = "description"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "topic"):
            cls.continue_verbs = frozenset({cls.submit_verb(), cls.cancel_verb()})
            cls.action_verbs = cls.continue_verbs

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

    @abstractmethod
    async def created(self, dc: DialogContext, key: str) -> AdaptiveCard | None:
        """The card of the record the draft with `key` became, or None when it became none."""

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        topic_options = TopicOptions.of(options)
        state = topic_state(inner_dc)
        if topic_options.verb == self.cancel_verb():
            # Cancel on a form whose topic already ended (often: its record was created).
            return await self._cancel(inner_dc, plain(topic_options.data, DRAFT_KEY))
        if topic_options.verb == self.submit_verb() and topic_options.data:
            # A Submit from a form whose topic already ended (double click, redelivery, restart).
            state[DRAFT_KEY] = str(topic_options.data.get(DRAFT_KEY) or _new_key())
            state[DRAFT] = topic_options.data
            return await self._submit(inner_dc, state)
        try:
            # Someone ServiceNow does not know hears it now, before filling in a whole form.
            await self.employee(inner_dc)
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
            return await self._take_typed_detail(inner_dc, state)
        if submit.verb == self.cancel_verb():
            return await self._cancel(inner_dc, str(state.get(DRAFT_KEY) or ""))
        state[DRAFT] = {**state.get(DRAFT, {}), **submit.data}
        return await self._submit(inner_dc, state)

    async def _take_typed_detail(
        self, dc: DialogContext, state: dict[str, Any]
    ) -> DialogTurnResult:
        """Words typed while the form is open (not a new request: the router offers to switch
        for those) answer the form's question: they join its description, and it comes back."""
        said = (dc.context.activity.text or "").strip()
        if not said or files_only(dc):
            return Dialog.end_of_turn
        draft = state.setdefault(DRAFT, {})
        before = str(draft.get(self.detail_field) or "").strip()
        draft[self.detail_field] = f"{before}\n{said}" if before else said
        await dc.context.send_activity(_(ADDED_TO_FORM))
        await self._show_form(dc, state, problems=[], retry=False)
        return Dialog.end_of_turn

    async def _submit(self, dc: DialogContext, state: dict[str, Any]) -> DialogTurnResult:
        try:
            draft = self.draft_model.model_validate(state[DRAFT])
        except ValidationError as error:
            await self._show_form(dc, state, problems=validation_messages(error), retry=False)
            return Dialog.end_of_turn
        try:
            card = await self.create(dc, draft, state[DRAFT_KEY])
        except Exception as error:  # whatever failed, nothing is lost: the draft stays in state
            await self.explain(dc, error)
            await self._offer_retry(dc, state)
            return Dialog.end_of_turn
        await send_card(dc.context, card)
        return await dc.end_dialog()

    async def _cancel(self, dc: DialogContext, key: str) -> DialogTurnResult:
        """Cancel: "nothing was created" only when that is true; a form whose record exists
        (submitted before, or a create that timed out yet happened) answers with its card."""
        try:
            card = await self.created(dc, key) if key else None
        except Exception as error:  # unknown whether it was created: never claim it was not
            return await self.fail(dc, error)
        if card is None:
            await dc.context.send_activity(_(CANCELLED))
        else:
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
        state[SHOWN_AT] = time.time()


def topic_state(inner_dc: DialogContext) -> dict[str, Any]:
    """The topic's own state, kept across turns (the inner context of a topic has no dialogs)."""
    parent = inner_dc.parent
    if parent is None or parent.active_dialog is None:
        raise RuntimeError("a topic's state is read inside its own turn only")
    state: dict[str, Any] = parent.active_dialog.state
    return state


def _new_key() -> str:
    return secrets.token_hex(8)


def files_only(dc: DialogContext) -> bool:
    """True when the activity carries files and no words (the create-ticket form keeps those)."""
    activity = dc.context.activity
    return bool(activity.attachments) and not (activity.text or "").strip()
