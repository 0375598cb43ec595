"""Files a user sends: found in both Emulator and Teams shapes, downloaded within the size cap."""

from __future__ import annotations

from botbuilder.schema import Activity, Attachment

from dialogs.attachments import (
    TEAMS_FILE,
    FileContent,
    FileProblem,
    IncomingFile,
    download_all,
    files_in,
)
from tests.dialogs.it.files import file_server


def _activity(*attachments: Attachment) -> Activity:
    return Activity(type="message", attachments=list(attachments))


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


def test_unsafe_links_and_names_are_refused_or_cleaned() -> None:
    """Plain http beyond loopback and non-web schemes are ignored; path parts leave the name."""
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
    assert [(f.name, f.url) for f in files_in(activity)] == [("evil.pdf", "http://127.0.0.1:9/a")]


async def test_download_returns_content_or_a_problem_per_file() -> None:
    """A small file downloads; an oversized one and a missing one become plain problems."""
    async with file_server() as server:
        server.files = {"small.txt": b"hello", "big.bin": b"x" * 2048}
        wanted = [
            IncomingFile(name=name, content_type="text/plain", url=server.url(name))
            for name in ("small.txt", "big.bin", "gone.txt")
        ]
        results = await download_all(wanted, max_bytes=1024)
    assert results[0] == FileContent("small.txt", "text/plain", b"hello")
    assert results[1] == FileProblem("big.bin", "big.bin is larger than 1 KB.")
    assert isinstance(results[2], FileProblem)
    assert "couldn't download gone.txt" in results[2].reason
