"""Kept-alive ServiceNow connections: reused while open, dropped once the server closed them.

A real HTTP server on loopback (asyncio streams): one that keeps its connection open, and one
that answers and then closes it while the client holds it idle in the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from servicenow.client import build_http_client

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
    b"Connection: keep-alive\r\n\r\n"
    b'{"result":[]}'
)


@asynccontextmanager
async def server(close_after_answer: bool) -> AsyncIterator[tuple[str, list[int], asyncio.Event]]:
    connections: list[int] = []
    closed = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections) + 1)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(RESPONSE)
                await writer.drain()
                if close_after_answer:
                    break
        except asyncio.IncompleteReadError:
            pass  # the client closed its connection
        finally:
            writer.close()
            await writer.wait_closed()
            closed.set()

    listener = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections, closed
    finally:
        listener.close()


async def test_an_open_connection_is_reused() -> None:
    async with (
        server(close_after_answer=False) as (url, connections, _),
        build_http_client() as http,
    ):
        for _ in range(3):
            assert (await http.get(f"{url}/api/now/table/incident")).status_code == 200
    assert connections == [1]


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    async with (
        server(close_after_answer=True) as (url, connections, closed),
        build_http_client() as http,
    ):
        assert (await http.get(f"{url}/api/now/table/incident")).status_code == 200
        await closed.wait()
        second = await http.get(f"{url}/api/now/table/incident")
    assert second.status_code == 200
    assert connections == [1, 2], "the closed connection was dropped, a new one opened"


async def test_a_given_transport_is_used_as_it_is() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"result": []})

    async with build_http_client(transport=httpx.MockTransport(answer)) as http:
        await http.get("https://example.service-now.com/api/now/table/incident")
    assert seen == ["/api/now/table/incident"]
