"""The yardstick: a minimal stock botbuilder echo bot (CloudAdapter + aiohttp, nothing else).

    .venv/bin/python bench/echo_bot.py --port 3979

Anonymous mode, no state, no middleware: what the botbuilder samples' echo bot does per turn.
`--pooled` swaps in Snowdesk's connector reuse (bot/connector.py) and nothing else.
`bench/cpu_bench.py` runs it beside Snowdesk in the same venv to compare CPU per turn.
"""

from __future__ import annotations

import argparse

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Says back what it was told."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


class _Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3979)
    parser.add_argument("--pooled", action="store_true", help="reuse connector clients")
    args = parser.parse_args()
    authentication = ConfigurationBotFrameworkAuthentication
    if args.pooled:
        from bot.connector import PooledBotFrameworkAuthentication as authentication
    adapter = CloudAdapter(authentication(_Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
