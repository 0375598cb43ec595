"""Files a user sent to the bot: find them in an activity, then download them within a size cap.

Two shapes arrive: the Emulator (and Web Chat) sends `{contentType, contentUrl, name}`; Teams
personal chat sends `application/vnd.microsoft.teams.file.download.info` whose
`content.downloadUrl` is a short-lived, pre-authorised link. References are plain data so a
topic can keep them in dialog state until it knows which record they belong to.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import mimetypes
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from botbuilder.schema import Activity
from pydantic import BaseModel

log = logging.getLogger(__name__)

TEAMS_FILE = "application/vnd.microsoft.teams.file.download.info"
MAX_FILE_BYTES = 10 * 1024 * 1024  # ServiceNow's default inbound REST body cap
MAX_FILES = 5
TIMEOUT_SECONDS = 20.0
# Attachments that are not files: the message's own HTML (Teams) and cards.
_NOT_FILES = ("text/html", "application/vnd.microsoft.card.")


class IncomingFile(BaseModel):
    """Where a file the user sent can be downloaded, and what it is called."""

    name: str
    content_type: str
    url: str


@dataclass(frozen=True)
class FileContent:
    """A downloaded file, ready to attach."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be fetched, with a sentence the user can act on."""

    name: str
    reason: str


FileResult = FileContent | FileProblem


def files_in(activity: Activity) -> list[IncomingFile]:
    """The files an activity carries (at most MAX_FILES), in both Emulator and Teams shapes."""
    found: list[IncomingFile] = []
    for attachment in activity.attachments or []:
        content_type = attachment.content_type or ""
        if content_type.startswith(_NOT_FILES):
            continue
        url = _download_url(content_type, attachment.content, attachment.content_url)
        if url and _allowed_url(url):
            name = _safe_name(attachment.name, len(found) + 1)
            found.append(
                IncomingFile(name=name, content_type=_type_of(content_type, name), url=url)
            )
    return found[:MAX_FILES]


def _download_url(content_type: str, content: object, content_url: str | None) -> str:
    if content_type == TEAMS_FILE:
        return str(content.get("downloadUrl") or "") if isinstance(content, dict) else ""
    return content_url or ""


def _allowed_url(url: str) -> bool:
    """https anywhere; plain http only to loopback (the Emulator serves files locally)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _safe_name(name: str | None, index: int) -> str:
    """A file name without path parts or control characters (it becomes a ServiceNow file name)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in base if ch.isprintable()).strip()
    return printable[:200] or f"attachment-{index}"


def _type_of(content_type: str, name: str) -> str:
    if content_type and content_type != TEAMS_FILE and "/" in content_type:
        return content_type
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


async def download_all(
    files: Sequence[IncomingFile],
    *,
    max_bytes: int = MAX_FILE_BYTES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[FileResult]:
    """Download each file with one shared client; a failure is a FileProblem, never an exception."""
    if not files:
        return []  # most Submits carry no file: no client, no connection
    async with httpx.AsyncClient(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=True,
        max_redirects=3,
        transport=transport,
        verify=_tls_context(),
    ) as client:
        return [await download(client, item, max_bytes=max_bytes) for item in files]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one costs ~20 ms of CPU."""
    return httpx.create_ssl_context()


async def download(
    client: httpx.AsyncClient, file: IncomingFile, *, max_bytes: int = MAX_FILE_BYTES
) -> FileResult:
    """Stream one file, stopping as soon as it is larger than `max_bytes`."""
    too_big = FileProblem(file.name, f"{file.name} is larger than {_megabytes(max_bytes)}.")
    try:
        async with client.stream("GET", file.url) as response:
            if response.status_code != 200:
                return _problem(file, f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                return too_big
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    return too_big
    except httpx.HTTPError as error:
        return _problem(file, type(error).__name__)
    return FileContent(file.name, file.content_type, bytes(data))


def _problem(file: IncomingFile, cause: str) -> FileProblem:
    # The URL may carry a pre-authorised token: log only the file name and the cause.
    log.warning("attachment.download_failed", extra={"file_name": file.name, "cause": cause})
    return FileProblem(file.name, f"I couldn't download {file.name}. Please send it again.")


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.0f} MB"
