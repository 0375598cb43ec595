"""Files a user sent to the bot: find them in an activity, then download them within a size cap,
only from where Teams keeps files.

Two shapes arrive: the Emulator (and Web Chat) sends `{contentType, contentUrl, name}`; Teams
personal chat sends `application/vnd.microsoft.teams.file.download.info` whose
`content.downloadUrl` is a short-lived, pre-authorised link. References are plain data so a
topic can keep them in dialog state until it knows which record they belong to.

A link in an activity is the sender's to choose, so a download is a request the bot makes on
their behalf (SSRF): the `AttachmentFetcher` fetches only over https from an allow-list of
Teams / SharePoint / Bot Framework file hosts, resolves the name itself and refuses loopback,
private, link-local (cloud metadata) and the ServiceNow instance's own addresses, then connects
to the very address it checked (no DNS rebinding) and checks every redirect the same way. In
anonymous local mode only the Emulator's own file store is allowed: the loopback origin of the
activity's `serviceUrl`, under `/v3/attachments/`. The edge binds the app's one fetcher (one
shared httpx client) and the activity's `serviceUrl` to each turn (`bind_turn`).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import logging
import mimetypes
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx
from botbuilder.schema import Activity
from pydantic import BaseModel

from i18n import N_, _

log = logging.getLogger(__name__)

TEAMS_FILE = "application/vnd.microsoft.teams.file.download.info"
MAX_FILE_BYTES = 10 * 1024 * 1024  # ServiceNow's default inbound REST body cap
MAX_FILES = 5
TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 3
# Where Teams and Bot Framework keep files a user sends: OneDrive/SharePoint (file uploads),
# the Bot Framework attachment store (smba, *.botframework.com), Teams' image store
# (*.asm.skype.com), Microsoft Graph and Azure blob storage.
DEFAULT_FILE_HOSTS = (
    "*.sharepoint.com",
    "*.teams.microsoft.com",
    "smba.trafficmanager.net",
    "*.botframework.com",
    "*.asm.skype.com",
    "graph.microsoft.com",
    "*.blob.core.windows.net",
)
EMULATOR_FILES_PATH = "/v3/attachments/"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
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


Resolver = Callable[[str, int], Awaitable[list[str]]]


def files_in(activity: Activity) -> list[IncomingFile]:
    """The files an activity carries (at most MAX_FILES), in both Emulator and Teams shapes.

    Every link is kept, even one the bot will refuse to fetch: the download then tells the user
    in one sentence why, instead of the file silently going missing.
    """
    found: list[IncomingFile] = []
    for attachment in activity.attachments or []:
        content_type = attachment.content_type or ""
        if content_type.startswith(_NOT_FILES):
            continue
        url = _download_url(content_type, attachment.content, attachment.content_url)
        if url:
            name = _safe_name(attachment.name, len(found) + 1)
            found.append(
                IncomingFile(name=name, content_type=_type_of(content_type, name), url=url)
            )
    return found[:MAX_FILES]


def _download_url(content_type: str, content: object, content_url: str | None) -> str:
    if content_type == TEAMS_FILE:
        return str(content.get("downloadUrl") or "") if isinstance(content, dict) else ""
    return content_url or ""


def _safe_name(name: str | None, index: int) -> str:
    """A file name without path parts or control characters (it becomes a ServiceNow file name)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in base if ch.isprintable()).strip()
    return printable[:200] or f"attachment-{index}"


def _type_of(content_type: str, name: str) -> str:
    if content_type and content_type != TEAMS_FILE and "/" in content_type:
        return content_type
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


# --- where the bot may fetch from -----------------------------------------------------------


_SENTENCES = {
    "not_https": N_("I only download files over a secure (https) link"),
    "host_not_allowed": N_(
        "I only download files from where Teams keeps them (OneDrive, SharePoint)"
    ),
    "private_address": N_("its link points into a private network"),
    "instance_address": N_("its link points to the ServiceNow instance"),
    "not_emulator_file": N_("in local mode I only download files sent from the Emulator"),
}
ANY_PORT = 0


class Refused(Exception):
    """A link the bot will not fetch; `sentence` completes "I can't fetch NAME: ..."."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.sentence = _SENTENCES[cause]


@dataclass(frozen=True)
class FilePolicy:
    """What may be fetched: allow-listed https hosts, or in anonymous local mode the Emulator's
    own file store only. `refused` holds the ServiceNow instance's (host, port) — by port, since
    the embedded emulator and the Bot Framework Emulator share the loopback address."""

    allowed_hosts: tuple[str, ...] = DEFAULT_FILE_HOSTS
    anonymous: bool = False
    refused: frozenset[tuple[str, int]] = frozenset()

    def host_allowed(self, host: str) -> bool:
        """True when `host` matches an allow-list entry (`*.example.com` or an exact name)."""
        host = host.lower().rstrip(".")
        for pattern in self.allowed_hosts:
            pattern = pattern.lower().strip()
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                    return True
            elif host == pattern:
                return True
        return False


@dataclass(frozen=True)
class _Target:
    """A checked link: the URL to request (its host replaced by the checked address)."""

    url: str
    host: str
    tls: bool


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, as the operating system answers."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class AttachmentFetcher:
    """Downloads the files users send, with one shared httpx client, only from allowed places."""

    policy: FilePolicy = field(default_factory=FilePolicy)
    transport: httpx.AsyncBaseTransport | None = None
    resolver: Resolver = system_resolver
    timeout: float = TIMEOUT_SECONDS
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def refuse_origin(self, url: str) -> None:
        """Never fetch from this origin (the ServiceNow instance, known once it is connected):
        on any port of a named or public host, on its own port of a loopback one (the embedded
        emulator shares the loopback address with the Bot Framework Emulator)."""
        parts = urlsplit(url)
        if parts.hostname:
            host = parts.hostname.lower()
            port = _port(parts) if _is_local(host) else ANY_PORT
            refused = self.policy.refused | {(host, port)}
            self.policy = FilePolicy(self.policy.allowed_hosts, self.policy.anonymous, refused)

    def _http(self) -> httpx.AsyncClient:
        # Redirects are followed by hand: each hop is checked like the first link.
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, transport=self.transport
            )
        return self._client

    async def aclose(self) -> None:
        """Close the shared client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def download_all(
        self,
        files: Sequence[IncomingFile],
        *,
        service_url: str | None = None,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> list[FileResult]:
        """Download each file; a refusal or failure is a FileProblem, never an exception."""
        refused = await self._instance_addresses()
        return [await self._download(item, service_url or "", refused, max_bytes) for item in files]

    async def _instance_addresses(self) -> set[tuple[str, int]]:
        addresses: set[tuple[str, int]] = set()
        for host, port in self.policy.refused:
            try:
                resolved = await self.resolver(host, port or 443)
                addresses |= {(_normal(a), port) for a in resolved}
            except (OSError, ValueError):
                continue  # unresolvable now: its name is still refused
        return addresses

    async def _download(
        self, file: IncomingFile, service_url: str, instance: set[tuple[str, int]], max_bytes: int
    ) -> FileResult:
        url = file.url
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                target = await self._check(url, service_url, instance)
                result = await self._get(file, target, max_bytes)
                if not isinstance(result, str):
                    return result
                url = urljoin(url, result)
            return _problem(file, "too_many_redirects")
        except Refused as refusal:
            log.warning(
                "attachment.refused", extra={"file_name": file.name, "cause": refusal.cause}
            )
            sentence = _("I can't fetch {name}: {why}.").format(
                name=file.name, why=_(refusal.sentence)
            )
            return FileProblem(file.name, sentence)
        except (OSError, ValueError):  # UnicodeError (IDNA) is a ValueError
            return _problem(file, "unresolvable")

    async def _check(self, url: str, service_url: str, instance: set[tuple[str, int]]) -> _Target:
        """The checked target of `url`, or `Refused` saying why not."""
        try:
            parts = urlsplit(url)
            port = _port(parts)
        except ValueError:
            raise Refused("host_not_allowed") from None
        host = (parts.hostname or "").lower().rstrip(".")
        if not host or parts.scheme not in ("http", "https"):
            raise Refused("not_https")
        if {(host, port), (host, ANY_PORT)} & self.policy.refused:
            raise Refused("instance_address")
        if self.policy.anonymous:
            return await self._check_emulator(parts, host, port, service_url, instance)
        if parts.scheme != "https":
            raise Refused("not_https")
        if not self.policy.host_allowed(host):
            raise Refused("host_not_allowed")
        addresses = await self._addresses(host, port, instance)
        if not all(ipaddress.ip_address(a).is_global for a in addresses):
            raise Refused("private_address")
        return _Target(_with_host(parts, addresses[0]), host, tls=True)

    async def _check_emulator(
        self,
        parts: SplitResult,
        host: str,
        port: int,
        service_url: str,
        instance: set[tuple[str, int]],
    ) -> _Target:
        """Anonymous local mode: the Emulator's file store, on its own loopback origin only."""
        try:
            emulator = urlsplit(service_url)
            same_origin = (parts.scheme, host, port) == (
                emulator.scheme,
                (emulator.hostname or "").lower(),
                _port(emulator),
            )
        except ValueError:
            same_origin = False
        if not same_origin or not parts.path.startswith(EMULATOR_FILES_PATH):
            raise Refused("not_emulator_file")
        addresses = await self._addresses(host, port, instance)
        if not all(ipaddress.ip_address(a).is_loopback for a in addresses):
            raise Refused("not_emulator_file")
        return _Target(_with_host(parts, addresses[0]), host, tls=parts.scheme == "https")

    async def _addresses(self, host: str, port: int, instance: set[tuple[str, int]]) -> list[str]:
        """Every address `host` resolves to (an attacker's name may answer with several; each
        is checked), none of them the instance's."""
        addresses = [_normal(a) for a in await self.resolver(host, port)]
        if not addresses:
            raise Refused("private_address")
        if any({(a, port), (a, ANY_PORT)} & instance for a in addresses):
            raise Refused("instance_address")
        return addresses

    async def _get(self, file: IncomingFile, target: _Target, max_bytes: int) -> FileResult | str:
        """The file, a problem, or (a str) the Location of a redirect to check next."""
        too_big = FileProblem(
            file.name,
            _("{name} is larger than {size}.").format(name=file.name, size=_megabytes(max_bytes)),
        )
        # The request goes to the checked address; Host and TLS (SNI, certificate) use the name.
        extensions = {"sni_hostname": target.host} if target.tls else {}
        request = self._http().build_request(
            "GET", target.url, headers={"Host": _host_header(target)}, extensions=extensions
        )
        try:
            response = await self._http().send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS and response.headers.get("Location"):
                    return response.headers["Location"]
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
            finally:
                await response.aclose()
        except httpx.HTTPError as error:
            return _problem(file, type(error).__name__)
        return FileContent(file.name, file.content_type, bytes(data))


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normal(address: str) -> str:
    """An address as ipaddress reads it; IPv4-mapped IPv6 (::ffff:127.0.0.1) as its IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _port(parts: SplitResult) -> int:
    """The URL's port, or its scheme's default; ValueError for a port out of range."""
    return parts.port or (443 if parts.scheme == "https" else 80)


def _with_host(parts: SplitResult, address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _host_header(target: _Target) -> str:
    port = urlsplit(target.url).port
    return f"{target.host}:{port}" if port else target.host


# --- the turn's fetcher -----------------------------------------------------------------------

_turn_files: contextvars.ContextVar[tuple[AttachmentFetcher, str] | None] = contextvars.ContextVar(
    "snowdesk_turn_files", default=None
)


def bind_turn(fetcher: AttachmentFetcher, service_url: str) -> contextvars.Token[Any]:
    """Downloads in this turn (and tasks it starts) use `fetcher`, for an activity that came
    from `service_url`. Returns the token to `unbind_turn` with."""
    return _turn_files.set((fetcher, service_url))


def unbind_turn(token: contextvars.Token[Any]) -> None:
    """Undo `bind_turn`."""
    _turn_files.reset(token)


async def download_all(
    files: Sequence[IncomingFile],
    *,
    max_bytes: int = MAX_FILE_BYTES,
    fetcher: AttachmentFetcher | None = None,
    service_url: str | None = None,
) -> list[FileResult]:
    """Download each file with the turn's fetcher (or the one given); a refusal or failure is a
    FileProblem with a sentence for the user, never an exception."""
    bound = _turn_files.get()
    if fetcher is None:
        if bound is None:
            raise RuntimeError("no attachment fetcher is bound to this turn (bind_turn)")
        fetcher = bound[0]
    if service_url is None:
        service_url = bound[1] if bound else ""
    return await fetcher.download_all(files, service_url=service_url, max_bytes=max_bytes)


def host_patterns(text: str) -> tuple[str, ...]:
    """A comma-separated allow-list setting as patterns (empty → the defaults)."""
    patterns = tuple(p.strip().lower() for p in text.split(",") if p.strip())
    return patterns or DEFAULT_FILE_HOSTS


def _problem(file: IncomingFile, cause: str) -> FileProblem:
    # The URL may carry a pre-authorised token: log only the file name and the cause.
    log.warning("attachment.download_failed", extra={"file_name": file.name, "cause": cause})
    return FileProblem(
        file.name, _("I couldn't download {name}. Please send it again.").format(name=file.name)
    )


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.0f} MB"


__all__ = [
    "DEFAULT_FILE_HOSTS",
    "AttachmentFetcher",
    "FileContent",
    "FilePolicy",
    "FileProblem",
    "FileResult",
    "IncomingFile",
    "bind_turn",
    "download_all",
    "files_in",
    "host_patterns",
    "unbind_turn",
]
