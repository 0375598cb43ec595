"""Typed errors of the ServiceNow layer. Nothing above `servicenow/` sees an httpx exception."""

from __future__ import annotations


class ServiceNowError(Exception):
    """Base of every error the ServiceNow layer raises; `str()` is safe to log (no secrets)."""

    status: int | None = None


class NotFound(ServiceNowError):
    """404: the record does not exist or ACLs hide it (ServiceNow cannot tell them apart)."""

    status = 404


class Unauthorized(ServiceNowError):
    """401: missing, wrong or expired credentials."""

    status = 401


class SignInRequired(Unauthorized):
    """The employee's own identity is needed and not at hand: not signed in, or their consent
    expired or was revoked. Never answered by falling back to the integration account."""


class Forbidden(ServiceNowError):
    """403: an ACL, business rule or data policy refused the operation."""

    status = 403


class RateLimited(ServiceNowError):
    """429: the instance's rate-limit rule was exceeded; retry after `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(RateLimited):
    """Snowdesk's own limit: every request slot to the instance stayed taken for as long as the
    call could wait. Nothing was sent; it reads to the user as ServiceNow being busy."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=None)


class InvalidRequest(ServiceNowError):
    """400 (e.g. unknown table) or a request Snowdesk refuses to send."""

    status = 400


class UnsafeQueryValue(InvalidRequest):
    """A value or field name that could change the shape of an encoded query."""


class ServerError(ServiceNowError):
    """5xx from the instance."""

    status = 500


class Timeout(ServiceNowError):
    """The instance did not answer within the call's budget."""


class Unavailable(ServiceNowError):
    """The instance could not be reached (DNS, TLS, refused or dropped connection, 502/503)."""


class ConfigurationError(ServiceNowError):
    """Settings or template configurations that cannot work; the message names the fix."""
