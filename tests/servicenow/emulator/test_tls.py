"""`snowdesk emulator --tls`: a self-signed certificate kept on disk, trusted through its path."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest

from bot import emulator_cli as cli
from servicenow.client import build_http_client
from servicenow.emulator import start_emulator, tls
from tests.servicenow.emulator.conftest import ADMIN_PASSWORD


def test_certificate_is_made_once_and_kept(tmp_path: Path):
    cert, key = tls.ensure_certificate(tmp_path, ["127.0.0.1"])
    first = cert.read_bytes()
    assert first.startswith(b"-----BEGIN CERTIFICATE-----") and key.stat().st_mode & 0o077 == 0
    assert tls.ensure_certificate(tmp_path, ["127.0.0.1"])[0].read_bytes() == first
    assert tls.ensure_certificate(tmp_path, ["snow.test"])[0].read_bytes() != first


async def test_https_emulator_is_trusted_through_the_ca_bundle(tmp_path: Path):
    cert, key = tls.ensure_certificate(tmp_path)
    async with await start_emulator(
        admin_password=ADMIN_PASSWORD, ssl_context=tls.server_context(cert, key)
    ) as emulator:
        assert emulator.base_url.startswith("https://127.0.0.1:")
        url = f"{emulator.base_url}/api/now/table/incident?sysparm_limit=1"
        async with build_http_client(ca_bundle=str(cert)) as trusting:
            response = await trusting.get(url, auth=("admin", ADMIN_PASSWORD))
            assert response.status_code == 200 and response.json()["result"]
        async with httpx.AsyncClient() as default:
            with pytest.raises(httpx.ConnectError):
                await default.get(url)


def test_cli_takes_tls():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert parser.parse_args(["--tls"]).tls and not parser.parse_args([]).tls
