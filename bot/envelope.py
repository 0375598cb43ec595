"""The activity envelope, checked at the edge before botbuilder sees the activity.

botbuilder trusts its input: a missing `serviceUrl` fails only when the reply is sent (after
seconds of retries), a string where it expects a list crashes deep inside the turn, and a deeply
nested `value` overflows the JSON parser's recursion. Here a request either is an activity the
bot can answer or gets a 400 with a short sentence naming the field, quickly.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from botbuilder.schema import Activity
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_BODY_BYTES = 512 * 1024  # Teams caps a message near 100 KB; a card submit is far smaller
MAX_DEPTH = 64  # levels of objects/arrays in the whole activity (a card's data is a few deep)
_SHORT = 256
_URL = 2048


class EnvelopeError(ValueError):
    """The request is not an activity the bot can answer; `str()` is safe to send back."""


class _Account(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str = Field(min_length=1, max_length=_SHORT)


class _OptionalAccount(BaseModel):
    """`recipient` may be absent (Web Chat) but, when present, must be an account object."""

    model_config = ConfigDict(extra="allow", strict=True)

    id: str | None = Field(None, max_length=_SHORT)


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str = Field(min_length=1, max_length=1024)


class ActivityEnvelope(BaseModel):
    """What every activity must carry for the bot to answer it; other fields pass through."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)

    type: str = Field(min_length=1, max_length=64)
    id: str = Field(min_length=1, max_length=_SHORT)
    channel_id: str = Field(alias="channelId", min_length=1, max_length=64)
    service_url: str = Field(alias="serviceUrl", min_length=1, max_length=_URL)
    conversation: _Conversation
    from_: _Account = Field(alias="from")
    recipient: _OptionalAccount | None = None
    name: str | None = Field(None, max_length=_SHORT)
    text: str | None = None
    locale: str | None = Field(None, max_length=64)
    reply_to_id: str | None = Field(None, alias="replyToId", max_length=_SHORT)
    attachments: list[dict[str, Any]] | None = None
    entities: list[dict[str, Any]] | None = None
    members_added: list[_Account] | None = Field(None, alias="membersAdded")
    members_removed: list[_Account] | None = Field(None, alias="membersRemoved")
    channel_data: dict[str, Any] | None = Field(None, alias="channelData")
    value: Any = None

    @field_validator("service_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ValueError("must be an http(s) URL")
        return value


def parse_activity(body: bytes) -> Activity:
    """The botbuilder `Activity` a request body holds, or `EnvelopeError` saying what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise EnvelopeError(f"The activity is larger than {MAX_BODY_BYTES // 1024} KB.")
    try:
        document = json.loads(body)
    except RecursionError:
        raise EnvelopeError(f"The activity is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise EnvelopeError("The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise EnvelopeError("An activity is a JSON object.")
    if _depth(document) > MAX_DEPTH:
        raise EnvelopeError(f"The activity is nested deeper than {MAX_DEPTH} levels.")
    try:
        ActivityEnvelope.model_validate(document)
    except ValidationError as error:
        raise EnvelopeError(_first_problem(error)) from None
    try:
        activity: Activity = Activity().deserialize(document)
    except Exception:  # msrest raises several types for values of the wrong shape
        raise EnvelopeError("A field of the activity has the wrong type.") from None
    return activity


def _depth(document: object) -> int:
    """How many levels of objects and arrays the document has (iteratively: no recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "activity"
    if problem["type"] == "missing":
        return f"The activity has no `{where}`."
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"The activity's `{where}` is not valid: {message[:80]}."
