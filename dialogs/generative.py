"""An optional generative recogniser: an OpenAI-compatible chat model proposes the topic.

For admins with an Azure OpenAI (or any OpenAI-compatible) deployment, as Copilot Studio's
generative orchestration does. The model answers in a strict JSON schema (topic, confidence,
restart); everything else stays local and deterministic:

- entities come from the local extractors, so nothing the user did not type enters a form, and
  record numbers keep deciding the desk;
- a proposal that would write at once (a comment or urgency for "update a ticket") loses those
  entities, so the user still confirms in the form and presses Submit;
- any failure — timeout, HTTP error, a reply outside the schema — falls back to the local
  recogniser's answer, which is computed first anyway.
"""

from __future__ import annotations

import json
import logging

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialogs._triggers import TOPICS
from dialogs.recognizer import Recognition, Recognizer
from topics import IT_UPDATE_TICKET

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 3.0
# Entities that make a topic write to ServiceNow without a form: never taken on a model's word.
_WRITE_ENTITIES = {IT_UPDATE_TICKET.id: ("comment", "urgency")}
INSTRUCTIONS = """You route messages that employees type to an IT and HR self-service bot.
Choose exactly one topic for the message:
- it.create_ticket: report an IT problem or ask IT for something (hardware, software, access).
- it.ticket_status: is my IT ticket resolved, closed, still open, when will it be fixed.
- it.ticket_details: show one of my IT tickets, what it says, who handles it.
- it.ticket_updates: news, replies or comments on my IT ticket.
- it.list_tickets: my IT tickets as a list, how many I have.
- it.update_ticket: add a comment to my IT ticket or change its urgency.
- hr.create_case: a question or problem for HR (pay, leave, contract, benefits, personal data).
- hr.case_details: the state or contents of one of my HR cases.
- hr.case_updates: news or replies from HR on my case, when it will be sorted out.
- hr.list_cases: my HR cases as a list, what I asked HR before.
- help: what the bot can do, how to use it.
- cancel: stop or forget the current request (restart=true for "start over").
- greeting: hello, good morning, thanks.
- none: anything else, including other people's records, other systems (expenses, timesheets,
  travel, room booking, salary or bonus figures), actions of an agent or admin (assign, move,
  close all, approve, delete), chit-chat, general knowledge and arithmetic.
confidence is your probability (0 to 1) that the topic is right."""
SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "topic": {"type": "string", "enum": list(TOPICS)},
        "confidence": {"type": "number"},
        "restart": {"type": "boolean"},
    },
    "required": ["topic", "confidence", "restart"],
    "additionalProperties": False,
}


class Proposal(BaseModel):
    """What the chat model proposes, checked again here: a server may ignore the schema."""

    model_config = ConfigDict(extra="forbid")

    topic: str
    confidence: float = Field(ge=0.0, le=1.0)
    restart: bool = False


class GenerativeRecognizer:
    """The chat model's topic with local entities; the local recogniser whenever it fails."""

    def __init__(
        self,
        local: Recognizer,
        url: str,
        key: str,
        model: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.local = local
        self._url = url
        self._model = model
        # Azure OpenAI takes its key in `api-key`; OpenAI and most compatible servers as Bearer.
        azure = ".openai.azure.com" in httpx.URL(url).host
        self._headers = {"api-key": key} if azure else {"Authorization": f"Bearer {key}"}
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    async def recognize_async(self, text: str | None) -> Recognition:
        """Ask the chat model; answer locally when it is slow, failing or off-schema."""
        local = self.local.recognize(text)
        if not (text or "").strip():
            return local
        try:
            proposal = await self._propose(text or "")
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("recognizer.generative_fallback", extra={"reason": type(exc).__name__})
            return local
        tag = "restart" if proposal.topic == "cancel" and proposal.restart else ""
        proposed = self.local.recognize_as(text, proposal.topic, proposal.confidence, tag)
        unsafe = _WRITE_ENTITIES.get(proposed.topic, ())
        entities = {k: v for k, v in proposed.entities.items() if k not in unsafe}
        return Recognition(proposed.topic, proposed.confidence, entities, local.alternatives)

    async def aclose(self) -> None:
        """Close the HTTP client (the app does at shutdown)."""
        await self._client.aclose()

    async def _propose(self, text: str) -> Proposal:
        body = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": text},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "recognition", "strict": True, "schema": SCHEMA},
            },
        }
        response = await self._client.post(
            self._url, json=body, headers=self._headers, timeout=self._timeout
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        try:
            proposal = Proposal.model_validate(json.loads(content))
        except ValidationError as exc:
            raise ValueError("reply outside the schema") from exc
        if proposal.topic not in TOPICS:
            raise ValueError(f"unknown topic {proposal.topic!r}")
        return proposal
