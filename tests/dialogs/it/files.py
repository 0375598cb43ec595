"""A local file server standing in for the Emulator's attachment store (`/v3/attachments/...`).

The fake channel connector serves the same route (`FakeConnector.files`), so files a test
"uploads" live on the Emulator's own origin, the only one the bot fetches from in local mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.e2e.harness import FILES_PATH, FakeConnector, add_file_route


@dataclass
class FileServer:
    """Serves `files[name]` at `<base_url>/<name>/views/original`; counts the downloads."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        """Where the file called `name` is served."""
        return f"{self.base_url}/{name}/views/original"


@dataclass
class EmulatorFiles:
    """The fake connector's own file store (the Emulator's origin), used like a FileServer."""

    connector: FakeConnector

    @property
    def files(self) -> dict[str, bytes]:
        """The files on offer, by name."""
        return self.connector.files

    @files.setter
    def files(self, value: dict[str, bytes]) -> None:
        self.connector.files = value

    @property
    def downloads(self) -> list[str]:
        """The names downloaded so far."""
        return self.connector.downloads

    def url(self, name: str) -> str:
        """Where the file called `name` is served."""
        return self.connector.file_url(name)


@asynccontextmanager
async def file_server() -> AsyncIterator[FileServer]:
    """Start a file server on an ephemeral loopback port; stop it afterwards."""
    server = FileServer()
    app = web.Application()
    add_file_route(app, server)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}{FILES_PATH}"
    try:
        yield server
    finally:
        await runner.cleanup()
