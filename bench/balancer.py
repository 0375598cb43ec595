"""A small round-robin HTTP load balancer for the scale-out benchmark (aiohttp, loopback only).

    .venv/bin/python bench/balancer.py --port 3990 --backend http://127.0.0.1:3978 ...

Each POST goes to the next backend in turn, with no stickiness, so consecutive turns of one
conversation land on different bot processes and must find their state in the shared store.
Nothing is retried: a backend's answer (or failure, as 502) is the client's answer.
"""

from __future__ import annotations

import argparse
import itertools

import aiohttp
from aiohttp import web


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True)
    args = parser.parse_args()
    backends = itertools.cycle(args.backend)
    session: list[aiohttp.ClientSession] = []

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        try:
            async with session[0].post(
                next(backends) + request.path_qs, data=body, headers=headers
            ) as answer:
                return web.Response(
                    status=answer.status,
                    body=await answer.read(),
                    content_type=answer.content_type,
                )
        except aiohttp.ClientError:
            return web.Response(status=502, text="backend failed")

    async def open_session(app: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        session.append(aiohttp.ClientSession(connector=connector))

    async def close_session(app: web.Application) -> None:
        await session[0].close()

    app = web.Application()
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/{tail:.*}", forward)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None, backlog=2048)


if __name__ == "__main__":
    main()
