"""A cheaper liveness check for the connections httpx keeps alive to ServiceNow.

Before each request httpcore asks every idle pooled connection whether the server closed it
("is the socket readable?"). With its default anyio backend each answer rebuilds anyio's whole
table of socket attributes (several `getpeername` calls among them): under load that was a
third of httpx's CPU per request. These streams keep their socket and poll it directly, which
is what httpcore itself does once it has the socket.
"""

# The `timeout` parameters are httpcore's stream interface, passed through unchanged.
# ruff: noqa: ASYNC109

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


def pooled_transport(**options: Any) -> httpx.AsyncHTTPTransport:
    """An `httpx.AsyncHTTPTransport(**options)` whose pool checks idle sockets cheaply."""
    transport = httpx.AsyncHTTPTransport(**options)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None:  # httpcore's layout as of 1.0; otherwise its own check stays
        pool._network_backend = _KeptSocketBackend(backend)  # type: ignore[union-attr]
    return transport


class _KeptSocketBackend(httpcore.AsyncNetworkBackend):
    """httpcore's backend, handing out streams that keep their socket."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _KeptSocketStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _KeptSocketStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _KeptSocketStream(httpcore.AsyncNetworkStream):
    """A stream that answers "is_readable" from its own socket; all else is the inner one's."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """True when a read would not block: data, or the server's close. A socket that is gone
    counts as readable, so the pool drops its connection."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
