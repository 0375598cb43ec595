"""`snowdesk emulator`: run the embedded ServiceNow on its own and print how to reach it."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

TLS_DIR = Path("data") / "emulator-tls"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `snowdesk emulator` (imports stay light: nothing heavy at module level)."""
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default loopback)")
    parser.add_argument("--port", type=int, default=8090, help="port (0 = any free port)")
    parser.add_argument("--db", default=":memory:", help="SQLite file, or :memory: (default)")
    parser.add_argument("--seed", choices=("demo", "empty"), default="demo", help="seed data")
    parser.add_argument("--latency-ms", type=float, default=0, help="added latency per request")
    parser.add_argument("--jitter-ms", type=float, default=0, help="random extra latency")
    parser.add_argument("--error-rate", type=float, default=0, help="probability of a 5xx")
    parser.add_argument("--rate-limit-rate", type=float, default=0, help="probability of a 429")
    parser.add_argument("--hang-rate", type=float, default=0, help="probability of a hang")
    parser.add_argument("--drop-rate", type=float, default=0, help="probability of a drop")
    parser.add_argument(
        "--token-lifetime", type=int, default=1800, help="OAuth access token lifetime (s)"
    )
    parser.add_argument(
        "--oidc-metadata",
        default=None,
        help="trust Entra-style bearer tokens whose keys this OpenID metadata URL publishes "
        "(default SNOWDESK_EMULATOR_OIDC_METADATA)",
    )
    parser.add_argument(
        "--tls", action="store_true", help=f"serve https with a self-signed certificate ({TLS_DIR})"
    )


def main(args: argparse.Namespace) -> int:
    """Start the emulator, print its URL and credentials, serve until interrupted."""
    asyncio.run(_serve(args))
    return 0


async def _serve(args: argparse.Namespace) -> None:
    from bot.config import Settings
    from servicenow.emulator.faults import FaultSettings
    from servicenow.emulator.server import start_emulator

    settings = Settings()
    configured_password = settings.emulator_admin_password
    faults = FaultSettings(
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        hang_rate=args.hang_rate,
        drop_rate=args.drop_rate,
    )
    ssl_context, tls_note = None, ""
    if args.tls:
        from servicenow.emulator import tls

        cert, key = tls.ensure_certificate(TLS_DIR, [args.host])
        ssl_context = tls.server_context(cert, key)
        tls_note = f"  TLS certificate: {cert.resolve()} (trust it: SERVICENOW_CA_BUNDLE=<path>)"
    oidc = emulator_oidc(settings, args.oidc_metadata)
    emulator = await start_emulator(
        oidc=oidc,
        host=args.host,
        port=args.port,
        db_path=args.db,
        seed=args.seed,
        admin_password=configured_password or None,
        faults=faults,
        token_lifetime_seconds=args.token_lifetime,
        ssl_context=ssl_context,
    )
    print(banner(emulator.base_url, emulator.admin_password, bool(configured_password)))
    if tls_note:
        print(tls_note)
    if oidc is not None:
        print(
            f"  OIDC provider: {oidc.metadata_url} (claim {oidc.user_claim} → "
            f"sys_user.{oidc.user_field})"
        )
    print(json.dumps(emulator.demo_credentials), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def banner(base_url: str, admin_password: str, configured: bool) -> str:
    """What a tester needs to start: URL, accounts, a curl to try."""
    shown = "(from SNOWDESK_EMULATOR_ADMIN_PASSWORD)" if configured else admin_password
    return "\n".join(
        [
            f"ServiceNow emulator at {base_url}",
            f"  admin / {shown}",
            "  employees abel.tuter, beth.anglin; agents itil.agent (itil), hr.agent (HR):"
            " password Demo!2026",
            "  OAuth client_id snowdesk-bot, client_secret snowdesk-secret"
            f" (POST {base_url}/oauth_token.do)",
            f"  try: curl -u abel.tuter:Demo!2026 '{base_url}/api/now/table/incident?sysparm_limit=5'",
            f"  pages: {base_url}/incident_list.do   admin: {base_url}/emulator/requests",
        ]
    )


def emulator_oidc(settings: Any, metadata_url: str | None = None) -> Any:
    """The emulator's OIDC provider from settings (or `--oidc-metadata`); None when unset."""
    from servicenow.emulator.oidc import OidcProvider

    url = metadata_url or settings.emulator_oidc_metadata
    if not url:
        return None
    return OidcProvider(url, settings.emulator_oidc_user_claim, settings.emulator_oidc_user_field)
