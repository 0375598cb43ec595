"""Notification latency: an agent's comment in the embedded emulator → the card at the channel.

The real bot app and its embedded emulator on loopback, a fake Teams connector, Abel's chat
known. Per round an agent (`itil.agent`) comments on Abel's incident through the Table API;
the clock stops when the card arrives at the connector.
- webhook: the emulator fires the signed webhook, the bot reads the record back and sends;
- poller: the webhook is off; the round runs one poll cycle right after the comment (so the
  figure is one cycle's work; add up to SNOWDESK_NOTIFY_POLL_SECONDS of waiting in real life).

    .venv/bin/python bench/notification_latency.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


async def _run(rounds: int) -> None:
    import httpx

    from bot.app import SERVICENOW, create_app
    from bot.config import Settings
    from bot.notifications import NOTIFICATIONS, PATH, WEBHOOK
    from servicenow.emulator.seed import DEMO_PASSWORD
    from tests.e2e.harness import Conversation, default_recognizer, fake_connector, served

    # Above the per-person limit: the bench measures delivery, not the limit.
    settings = Settings(
        _env_file=None,
        storage_url="memory://",
        notify_poll_seconds=0,
        notify_user_limit=2 * rounds + 1,
    )
    agent = ("itil.agent", DEMO_PASSWORD)
    async with fake_connector() as connector:
        app = create_app(settings, recognizer=default_recognizer())
        async with served(app) as url, httpx.AsyncClient(timeout=30) as http:
            emulator = app[SERVICENOW].emulator
            assert emulator is not None
            sn = app[SERVICENOW].client.base_url
            await Conversation(bot_url=url, connector=connector, http=http).join()
            found = await http.get(
                f"{sn}/api/now/table/incident",
                params={
                    "sysparm_query": "caller_id.user_name=abel.tuter^active=true",
                    "sysparm_fields": "sys_id,number",
                    "sysparm_limit": "1",
                },
                auth=agent,
            )
            incident = found.json()["result"][0]

            async def one(index: int, poll: bool) -> float:
                since = len(connector.activities)
                text = f"Round {index}: could you try again?"
                started = time.perf_counter()
                await http.patch(
                    f"{sn}/api/now/table/incident/{incident['sys_id']}",
                    json={"comments": text},
                    auth=agent,
                )
                if poll:
                    await app[NOTIFICATIONS].poll_once()
                await connector.message_where(
                    lambda a: incident["number"] in str(a.get("text")), since=since
                )
                return (time.perf_counter() - started) * 1000

            emulator.send_changes_to(url + PATH, app[WEBHOOK].secret)
            webhook = [await one(i, poll=False) for i in range(rounds)]
            emulator.send_changes_to("", "")
            poller = [await one(i, poll=True) for i in range(rounds)]
    for name, figures in (("webhook", webhook), ("poller (one cycle)", poller)):
        print(
            f"{name:20} rounds {len(figures):3}  min {min(figures):6.1f} ms  "
            f"median {statistics.median(figures):6.1f} ms  max {max(figures):6.1f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    asyncio.run(_run(args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
