"""The `SERVICENOW_INSTANCE` setting: an instance name (`contoso`) or a full URL, normalised."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from servicenow.errors import ConfigurationError

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_HOST_RE = re.compile(r"^[a-z0-9.-]+$")
_HINT = (
    "SERVICENOW_INSTANCE must be an instance name such as `contoso` or a URL such as "
    "`https://contoso.service-now.com`"
)


def normalise_instance(value: str) -> str:
    """`contoso` → `https://contoso.service-now.com`; a URL loses its trailing slash.

    Raises `ConfigurationError` with the expected forms when the value is neither.
    """
    text = value.strip()
    lowered = text.lower()
    if _NAME_RE.match(lowered):
        return f"https://{lowered}.service-now.com"
    if "://" not in text and _HOST_RE.match(lowered) and "." in lowered:
        return f"https://{lowered.rstrip('.')}"
    return _normalise_url(text)


def _normalise_url(text: str) -> str:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{text!r} is not a valid URL; {_HINT}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{text!r} is not an instance name or an http(s) URL; {_HINT}")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ConfigurationError(
            f"{text!r} has a path or query; give only the instance's address; {_HINT}"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{netloc}"


def instance_label(base_url: str) -> str:
    """The host (and port) of an instance URL, for messages: `contoso.service-now.com`."""
    return urlsplit(base_url).netloc
