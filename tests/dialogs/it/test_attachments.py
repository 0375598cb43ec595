"""Files a user sends: found in both Emulator and Teams shapes, downloaded within the size cap,
and only from where Teams keeps files — every other link refused in one sentence (SSRF).

Deployed-mode downloads run against an `httpx.MockTransport` with a fake resolver, so the tests
see exactly which address the bot connected to (and that a refused link sent no request).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import httpx
import pytest
from botbuilder.schema import Activity, Attachment

from dialogs.attachments import (
    DEFAULT_FILE_HOSTS,
    TEAMS_FILE,
    AttachmentFetcher,
    FileContent,
    FilePolicy,
    FileProblem,
    IncomingFile,
    bind_turn,
    download_all,
    files_in,
    host_patterns,
    unbind_turn,
)
from tests.dialogs.it.files import file_server

PUBLIC = "52.108.10.20"  # stands in for a SharePoint front end
DNS = {
    "contoso-my.sharepoint.com": [PUBLIC],
    "contoso.sharepoint.com": [PUBLIC],
    "smba.trafficmanager.net": ["52.112.1.1"],
    "loop.sharepoint.com": ["127.0.0.1"],
    "ten.sharepoint.com": ["10.0.0.5"],
    "home.sharepoint.com": ["192.168.1.10"],
    "docker.sharepoint.com": ["172.17.0.1"],
    "metadata.sharepoint.com": ["169.254.169.254"],
    "v6loop.sharepoint.com": ["::1"],
    "linklocal6.sharepoint.com": ["fe80::1"],
    "mapped.sharepoint.com": ["::ffff:127.0.0.1"],
    "cgnat.sharepoint.com": ["100.64.0.1"],
    "zero.sharepoint.com": ["0.0.0.0"],
    "mixed.sharepoint.com": [PUBLIC, "10.0.0.9"],
    "instance-alias.sharepoint.com": ["149.96.1.1"],
    "acme.service-now.com": ["149.96.1.1"],
    "redirector.sharepoint.com": [PUBLIC],
    "localhost": ["127.0.0.1"],
}


async def fake_dns(host: str, port: int) -> list[str]:
    """The names above; an IP literal resolves to itself, as getaddrinfo answers."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if host in DNS:
        return DNS[host]
    raise OSError(f"unknown host {host}")


class Recorder:
    """A MockTransport handler: records requests; `routes` maps a Host to a response maker."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.headers["Host"])
        return route(request) if route else httpx.Response(200, content=b"file bytes")


def deployed(recorder: Recorder, **policy: object) -> AttachmentFetcher:
    fetcher = AttachmentFetcher(
        FilePolicy(**policy),  # type: ignore[arg-type]
        transport=httpx.MockTransport(recorder),
        resolver=fake_dns,
    )
    fetcher.refuse_origin("https://acme.service-now.com")
    return fetcher


def file(url: str, name: str = "log.txt") -> IncomingFile:
    return IncomingFile(name=name, content_type="text/plain", url=url)


async def fetch_one(fetcher: AttachmentFetcher, url: str, service_url: str = "") -> object:
    [result] = await fetcher.download_all([file(url)], service_url=service_url)
    return result


def _activity(*attachments: Attachment) -> Activity:
    return Activity(type="message", attachments=list(attachments))


# --- finding files ---------------------------------------------------------------------------


def test_emulator_and_teams_files_are_found_and_message_html_is_not() -> None:
    activity = _activity(
        Attachment(content_type="text/html", content="<p>see file</p>"),
        Attachment(
            content_type="image/png",
            content_url="http://localhost:5005/v3/attachments/1/views/original",
            name="screen.png",
        ),
        Attachment(
            content_type=TEAMS_FILE,
            content_url="https://contoso.sharepoint.com/personal/abel/Documents/log.txt",
            name="log.txt",
            content={
                "downloadUrl": "https://contoso.sharepoint.com/download?tempauth=x",
                "fileType": "txt",
            },
        ),
    )
    assert files_in(activity) == [
        IncomingFile(
            name="screen.png",
            content_type="image/png",
            url="http://localhost:5005/v3/attachments/1/views/original",
        ),
        IncomingFile(
            name="log.txt",
            content_type="text/plain",
            url="https://contoso.sharepoint.com/download?tempauth=x",
        ),
    ]


def test_every_link_is_kept_for_the_download_to_judge_and_names_are_cleaned() -> None:
    """A link the bot will refuse is still found, so the user is told why; path parts and
    control characters leave the name; a Teams file without its content has no link."""
    activity = _activity(
        Attachment(content_type="image/png", content_url="http://10.0.0.8/x.png", name="x.png"),
        Attachment(content_type="image/png", content_url="file:///etc/passwd", name="passwd"),
        Attachment(content_type=TEAMS_FILE, content="not a dict", name="y.txt"),
        Attachment(
            content_type="application/pdf",
            content_url="http://127.0.0.1:9/a",
            name="..\\..\\evil\x07.pdf",
        ),
    )
    assert [(f.name, f.url) for f in files_in(activity)] == [
        ("x.png", "http://10.0.0.8/x.png"),
        ("passwd", "file:///etc/passwd"),
        ("evil.pdf", "http://127.0.0.1:9/a"),
    ]


# --- downloading from Teams' file hosts ---------------------------------------------------------


async def test_an_allowed_host_is_fetched_from_the_address_that_was_checked() -> None:
    """No second DNS lookup: the request goes to the checked IP, with Host and TLS SNI (and so
    the certificate check) for the name."""
    recorder = Recorder()
    fetcher = deployed(recorder)
    result = await fetch_one(fetcher, "https://contoso-my.sharepoint.com/download.aspx?tempauth=t")
    assert result == FileContent("log.txt", "text/plain", b"file bytes")
    [request] = recorder.requests
    assert request.url.host == PUBLIC
    assert request.url.scheme == "https"
    assert request.headers["Host"] == "contoso-my.sharepoint.com"
    assert request.extensions["sni_hostname"] == "contoso-my.sharepoint.com"
    await fetcher.aclose()


async def test_one_shared_client_serves_every_download() -> None:
    recorder = Recorder()
    fetcher = deployed(recorder)
    await fetch_one(fetcher, "https://contoso.sharepoint.com/a")
    client = fetcher._client
    await fetch_one(fetcher, "https://contoso.sharepoint.com/b")
    assert client is not None and fetcher._client is client
    await fetcher.aclose()


async def test_a_redirect_to_another_allowed_public_host_is_followed_and_checked() -> None:
    recorder = Recorder()
    recorder.routes["redirector.sharepoint.com"] = lambda r: httpx.Response(
        302, headers={"Location": "https://contoso.sharepoint.com/real"}
    )
    fetcher = deployed(recorder)
    result = await fetch_one(fetcher, "https://redirector.sharepoint.com/start")
    assert isinstance(result, FileContent)
    assert [r.headers["Host"] for r in recorder.requests] == [
        "redirector.sharepoint.com",
        "contoso.sharepoint.com",
    ]
    await fetcher.aclose()


REFUSED_DEPLOYED: dict[str, tuple[str, str]] = {
    # (link, what the user is told)
    "plain http": ("http://contoso.sharepoint.com/x", "secure (https) link"),
    "file scheme": ("file:///etc/passwd", "secure (https) link"),
    "ftp scheme": ("ftp://contoso.sharepoint.com/x", "secure (https) link"),
    "javascript": ("javascript:alert(1)", "secure (https) link"),
    "loopback IP": ("https://127.0.0.1/x", "where Teams keeps them"),
    "localhost": ("https://localhost/x", "where Teams keeps them"),
    "metadata IP": ("https://169.254.169.254/latest/meta-data/", "where Teams keeps them"),
    "private IP": ("https://10.0.0.8/x.png", "where Teams keeps them"),
    "unlisted host": ("https://evil.example.com/x.png", "where Teams keeps them"),
    "allowed name as a prefix": ("https://contoso.sharepoint.com.evil.example/x", "where Teams"),
    "allowed name without the dot": ("https://evilsharepoint.com/x", "where Teams keeps them"),
    "user-info trick": ("https://contoso.sharepoint.com@evil.example/x", "where Teams"),
    "instance URL": ("https://acme.service-now.com/sys_attachment.do?sys_id=1", "instance"),
    "resolves to loopback": ("https://loop.sharepoint.com/x", "private network"),
    "resolves to 10/8": ("https://ten.sharepoint.com/x", "private network"),
    "resolves to 192.168/16": ("https://home.sharepoint.com/x", "private network"),
    "resolves to 172.16/12": ("https://docker.sharepoint.com/x", "private network"),
    "resolves to the metadata service": ("https://metadata.sharepoint.com/x", "private network"),
    "resolves to ::1": ("https://v6loop.sharepoint.com/x", "private network"),
    "resolves to fe80::": ("https://linklocal6.sharepoint.com/x", "private network"),
    "resolves to IPv4-mapped loopback": ("https://mapped.sharepoint.com/x", "private network"),
    "resolves to carrier-grade NAT": ("https://cgnat.sharepoint.com/x", "private network"),
    "resolves to 0.0.0.0": ("https://zero.sharepoint.com/x", "private network"),
    "one of its addresses private": ("https://mixed.sharepoint.com/x", "private network"),
    "resolves to the instance": ("https://instance-alias.sharepoint.com/x", "ServiceNow instance"),
}


@pytest.mark.parametrize("case", list(REFUSED_DEPLOYED))
async def test_a_link_outside_teams_file_hosts_is_refused_in_one_sentence(case: str) -> None:
    link, sentence = REFUSED_DEPLOYED[case]
    recorder = Recorder()
    fetcher = deployed(recorder)
    result = await fetch_one(fetcher, link)
    assert isinstance(result, FileProblem)
    assert result.reason.startswith("I can't fetch log.txt: ")
    assert sentence in result.reason
    assert recorder.requests == [], "nothing was requested"
    await fetcher.aclose()


async def test_the_instance_stays_refused_even_when_an_admin_allows_its_domain() -> None:
    recorder = Recorder()
    fetcher = deployed(recorder, allowed_hosts=(*DEFAULT_FILE_HOSTS, "*.service-now.com"))
    for link in (
        "https://acme.service-now.com/sys_attachment.do",
        "https://acme.service-now.com:8443/sys_attachment.do",
        "https://ACME.service-now.com./x",
    ):
        result = await fetch_one(fetcher, link)
        assert isinstance(result, FileProblem) and "ServiceNow instance" in result.reason, link
    assert recorder.requests == []


REDIRECTS = {
    "to a private address": ("https://ten.sharepoint.com/x", "private network"),
    "to the metadata service": ("https://169.254.169.254/latest/meta-data/", "where Teams"),
    "to plain http": ("http://contoso.sharepoint.com/x", "secure (https) link"),
    "to an unlisted host": ("https://evil.example/x", "where Teams keeps them"),
    "to the instance": ("https://acme.service-now.com/x", "ServiceNow instance"),
}


@pytest.mark.parametrize("case", list(REDIRECTS))
async def test_a_redirect_is_checked_like_the_first_link(case: str) -> None:
    location, sentence = REDIRECTS[case]
    recorder = Recorder()
    recorder.routes["redirector.sharepoint.com"] = lambda r: httpx.Response(
        302, headers={"Location": location}
    )
    fetcher = deployed(recorder)
    result = await fetch_one(fetcher, "https://redirector.sharepoint.com/start")
    assert isinstance(result, FileProblem) and sentence in result.reason
    assert len(recorder.requests) == 1, "the redirect target was never requested"
    await fetcher.aclose()


async def test_endless_redirects_end_in_a_plain_problem() -> None:
    recorder = Recorder()
    recorder.routes["redirector.sharepoint.com"] = lambda r: httpx.Response(
        302, headers={"Location": "/again"}
    )
    fetcher = deployed(recorder)
    result = await fetch_one(fetcher, "https://redirector.sharepoint.com/start")
    assert isinstance(result, FileProblem) and "couldn't download log.txt" in result.reason
    assert len(recorder.requests) == 4
    await fetcher.aclose()


async def test_an_unresolvable_host_is_a_plain_problem() -> None:
    fetcher = deployed(Recorder())
    result = await fetch_one(fetcher, "https://nowhere.sharepoint.com/x")
    assert isinstance(result, FileProblem) and "couldn't download log.txt" in result.reason


def test_the_allow_list_setting() -> None:
    assert host_patterns("") == DEFAULT_FILE_HOSTS
    assert host_patterns(" files.example.com, *.CDN.example ") == (
        "files.example.com",
        "*.cdn.example",
    )
    policy = FilePolicy(allowed_hosts=host_patterns("*.cdn.example"))
    assert policy.host_allowed("a.cdn.example") and not policy.host_allowed("cdn.example")


# --- anonymous local mode: the Emulator's file store only ---------------------------------------


async def test_in_local_mode_the_emulators_files_download_within_the_size_cap() -> None:
    """A small file downloads; an oversized one and a missing one become plain problems."""
    async with file_server() as server:
        server.files = {"small.txt": b"hello", "big.bin": b"x" * 2048}
        fetcher = AttachmentFetcher(FilePolicy(anonymous=True))
        origin = server.base_url.removesuffix("/v3/attachments")
        wanted = [file(server.url(name), name) for name in ("small.txt", "big.bin", "gone.txt")]
        token = bind_turn(fetcher, origin)
        try:
            results = await download_all(wanted, max_bytes=1024)
        finally:
            unbind_turn(token)
        await fetcher.aclose()
    assert results[0] == FileContent("small.txt", "text/plain", b"hello")
    assert results[1] == FileProblem("big.bin", "big.bin is larger than 1 KB.")
    assert isinstance(results[2], FileProblem)
    assert "couldn't download gone.txt" in results[2].reason


async def test_in_local_mode_only_the_emulators_own_file_store_is_allowed() -> None:
    """serviceUrl http://127.0.0.1:5005: its /v3/attachments/ only — not another loopback port
    (the embedded ServiceNow), not another path, not https anywhere, not the instance."""
    calls = Recorder()
    fetcher = AttachmentFetcher(
        FilePolicy(anonymous=True), transport=httpx.MockTransport(calls), resolver=fake_dns
    )
    fetcher.refuse_origin("http://127.0.0.1:8090")
    emulator = "http://127.0.0.1:5005"
    refused = {
        f"{emulator}/sn_hr_core_case_list.do": "sent from the Emulator",
        "http://127.0.0.1:8090/v3/attachments/1/views/original": "ServiceNow instance",
        "http://localhost:8090/sn_hr_core_case_list.do": "sent from the Emulator",
        "http://127.0.0.1:6379/v3/attachments/x": "sent from the Emulator",
        "https://contoso.sharepoint.com/x": "sent from the Emulator",
        "http://10.0.0.8:5005/v3/attachments/x": "sent from the Emulator",
    }
    for link, sentence in refused.items():
        result = await fetch_one(fetcher, link, service_url=emulator)
        assert isinstance(result, FileProblem) and sentence in result.reason, link
    # An activity claiming to come from the embedded ServiceNow's port is refused as such.
    result = await fetch_one(
        fetcher, "http://127.0.0.1:8090/v3/attachments/1", service_url="http://127.0.0.1:8090"
    )
    assert isinstance(result, FileProblem) and "ServiceNow instance" in result.reason
    assert calls.requests == []
    ok = await fetch_one(fetcher, f"{emulator}/v3/attachments/1/views/original", emulator)
    assert isinstance(ok, FileContent)
    await fetcher.aclose()


async def test_download_without_a_fetcher_bound_to_the_turn_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="bind_turn"):
        await download_all([file("https://contoso.sharepoint.com/x")])


async def test_the_ssrf_attempts_add_up() -> None:
    """The figure for the issue: every SSRF attempt above is refused and sends no request."""
    attempts: list[tuple[str, str, bool]] = []
    recorder = Recorder()
    fetcher = deployed(recorder)
    for link, _ in REFUSED_DEPLOYED.values():
        attempts.append(("deployed", link, isinstance(await fetch_one(fetcher, link), FileProblem)))
    for location, _ in REDIRECTS.values():
        recorder.routes["redirector.sharepoint.com"] = lambda r, loc=location: httpx.Response(  # type: ignore[misc]
            302, headers={"Location": loc}
        )
        result = await fetch_one(fetcher, "https://redirector.sharepoint.com/start")
        attempts.append(("redirect", location, isinstance(result, FileProblem)))
    await fetcher.aclose()
    refused = sum(1 for _, _, was_refused in attempts if was_refused)
    print(f"ssrf: {refused} of {len(attempts)} refused")
    assert refused == len(attempts) >= 30
    assert {r.headers["Host"] for r in recorder.requests} == {"redirector.sharepoint.com"}
