"""Errors system handlers raise for topics to turn into one plain sentence each.

Outages are not wrapped: `servicenow.errors.*` (Timeout, Unavailable, ...) pass through as they
are, and `failure_kind` sorts them for the layer above, which never imports the client's errors.
"""

from __future__ import annotations

import secrets
from typing import Literal

from servicenow import errors as sn
from servicenow.errors import ConfigurationError

# What a topic may catch around one ServiceNow call that it can survive (e.g. one attachment).
ServiceFailure = sn.ServiceNowError
# The employee's own identity is needed (not signed in, or consent expired or revoked).
SignInRequired = sn.SignInRequired
FailureKind = Literal["unavailable", "busy", "refused", "bug"]


def failure_kind(error: BaseException) -> FailureKind:
    """How a failure reads to the user: ServiceNow away, busy, refusing us, or our own bug."""
    match error:
        case sn.Timeout() | sn.Unavailable() | sn.ServerError():
            return "unavailable"
        case sn.RateLimited():
            return "busy"
        case sn.Unauthorized() | sn.Forbidden():
            return "refused"
        case _:
            return "bug"


def is_outage(error: BaseException) -> bool:
    """True for a ServiceNow failure (expected, logged without a trace), False for a bug."""
    return isinstance(error, sn.ServiceNowError)


def new_reference_id() -> str:
    """A short id a user can quote and an admin can grep for (e.g. `7f3a9c2e`)."""
    return secrets.token_hex(4)


class FlowError(Exception):
    """Base of the business errors a system handler raises."""


class RecordNotFound(FlowError):
    """The record does not exist OR is not the user's: the same error for both, on purpose."""

    def __init__(self, number: str | None = None) -> None:
        super().__init__(f"no record {number}" if number else "no record")
        self.number = number


class NotAllowed(FlowError):
    """The user may see the record but not do this to it (e.g. comment on a closed ticket)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEmployee(FlowError):
    """The person talking to the bot matches no active ServiceNow user."""

    def __init__(self, field: str, value_kind: str) -> None:
        super().__init__(f"no active sys_user whose {field} matches the {value_kind}")
        self.field = field
        self.value_kind = value_kind


class TemplateError(ConfigurationError):
    """A template configuration that cannot work: names the file, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(f"{source}: {field}: {reason}")
        self.source = source
        self.field = field
        self.reason = reason
