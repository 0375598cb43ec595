"""A local file server standing in for the Emulator's attachment store and Teams' download links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class FileServer:
    """Serves `files[name]` at `/files/<name>` on 127.0.0.1; counts the downloads."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        """Where the file called `name` is served."""
        return f"{self.base_url}/files/{name}"


@asynccontextmanager
async def file_server() -> AsyncIterator[FileServer]:
    """Start a file server on an ephemeral loopback port; stop it afterwards."""
    server = FileServer()

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        server.downloads.append(name)
        if name not in server.files:
            raise web.HTTPNotFound()
        return web.Response(body=server.files[name], content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/files/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()
