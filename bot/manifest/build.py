"""`snowdesk manifest build`: fill the template's `${{...}}` placeholders and zip the package."""

from __future__ import annotations

import json
import os
import re
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import Settings
from bot.manifest.checks import PLACEHOLDER
from bot.manifest.localization import language_files
from bot.manifest.package import MANIFEST, icon_names, load_package
from bot.manifest.validate import bot_domain, validate_package
from topics import COMMANDS

TEMPLATE = Path(__file__).resolve().parents[2] / "manifest" / MANIFEST


class MissingSettingsError(Exception):
    """Settings the package needs are missing; `lines` says which, one per setting."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def placeholder_values(settings: Settings) -> dict[str, str]:
    """Values for the placeholders Snowdesk knows; raises MissingSettingsError naming each gap."""
    missing: list[str] = []
    if not settings.app_id:
        missing.append(
            "MicrosoftAppId is not set: the Entra app id of the bot (the manifest's botId)"
        )
    if not settings.teams_app_id:
        missing.append(
            "TEAMS_APP_ID is not set: the Teams app id, a GUID (reuse MicrosoftAppId or make "
            'one with: python -c "import uuid; print(uuid.uuid4())")'
        )
    endpoint = _endpoint(settings.public_url)
    if not endpoint:
        missing.append(
            "SNOWDESK_PUBLIC_URL is not set to an https address: where Teams reaches the bot, "
            "e.g. https://snowdesk.contoso.com"
        )
    if missing:
        raise MissingSettingsError(missing)
    return {
        "APP_VERSION": _app_version(),
        "TEAMS_APP_ID": settings.teams_app_id,
        "BOT_ID": settings.app_id,
        "BOT_ENDPOINT": endpoint,
        "BOT_DOMAIN": bot_domain(endpoint),
    }


def fill(value: Any, values: dict[str, str], unknown: set[str]) -> Any:
    """The template with placeholders replaced; names without a value are added to `unknown`.

    Like the Teams Toolkit, names Snowdesk does not know are taken from the environment.
    """
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: _lookup(match, values, unknown), value)
    if isinstance(value, dict):
        return {key: fill(item, values, unknown) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values, unknown) for item in value]
    return value


def with_commands(manifest: dict[str, Any]) -> dict[str, Any]:
    """The personal command list, derived from the topic declarations (`topics.COMMANDS`)."""
    commands = [{"title": t.command, "description": t.description} for t in COMMANDS]
    for bot_entry in manifest.get("bots", []):
        for command_list in bot_entry.get("commandLists", []):
            if command_list.get("scopes") == ["personal"]:
                command_list["commands"] = commands
    return manifest


SSO_DOMAIN = "token.botframework.com"


def with_sso(manifest: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Teams SSO (`SNOWDESK_OAUTH_CONNECTION` set): `webApplicationInfo` names the bot's Entra
    app and its `api://botid-{appId}` URI, and the token service's domain is a valid domain."""
    if not settings.oauth_connection or not settings.app_id:
        return manifest
    manifest["webApplicationInfo"] = {"id": settings.app_id, "resource": settings.sso_resource}
    domains = manifest.setdefault("validDomains", [])
    if SSO_DOMAIN not in domains:
        domains.append(SSO_DOMAIN)
    return manifest


def write_package(
    manifest: dict[str, Any], icon_dir: Path, out: Path, files: dict[str, bytes] | None = None
) -> None:
    """The zip Teams accepts: manifest.json, its language `files` and the icons it names, all at
    the root."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, data in sorted((files or {}).items()):
            archive.writestr(name, data)
        for name in sorted(set(icon_names(manifest).values())):
            icon = icon_dir / name
            if icon.is_file():
                archive.write(icon, arcname=Path(name).name)


def build_command(settings: Settings, out: Path, template: Path | None) -> int:
    """Build the package, then check it; 1 (with one line per problem) when it is not usable."""
    template = template or TEMPLATE
    try:
        values = placeholder_values(settings)
    except MissingSettingsError as error:
        for line in error.lines:
            print(line)
        print("Set them in the environment or in .env, then run `snowdesk manifest build` again.")
        return 1
    unknown: set[str] = set()
    manifest = with_sso(
        with_commands(fill(json.loads(template.read_text(encoding="utf-8")), values, unknown)),
        settings,
    )
    if unknown:
        for name in sorted(unknown):
            print(f"{name} is not set: {template} uses ${{{{{name}}}}}; set it in the environment")
        return 1
    languages, gaps = language_files(manifest, template.parent)
    if gaps:
        for line in gaps:
            print(line)
        return 1
    write_package(manifest, template.parent, out, languages)
    # The package is checked as `validate` checks it: the shipped official schema, offline.
    validation = validate_package(load_package(out), None, settings)
    for problem in validation.problems:
        print(problem.line())
    if validation.problems:
        return 1
    if validation.unchecked:
        print(f"Not checked against the official schema: {validation.unchecked}.")
    print(f"Wrote {out} (Teams app {values['TEAMS_APP_ID']}, bot {values['BOT_ID']}).")
    if validation.schema:
        print(f"Schema: {validation.schema}.")
    print(f"Check it with: snowdesk manifest validate {out}")
    return 0


def _lookup(match: re.Match[str], values: dict[str, str], unknown: set[str]) -> str:
    name = match.group(1)
    value = values.get(name, os.environ.get(name))
    if value is None:
        unknown.add(name)
        return match.group(0)
    return value


def _endpoint(public_url: str) -> str:
    """The bot's public base URL, without a trailing / or /api/messages; empty if not https."""
    url = public_url.strip().rstrip("/")
    url = url.removesuffix("/api/messages")
    parts = urlsplit(url)
    return url if parts.scheme == "https" and parts.hostname else ""


def _app_version() -> str:
    try:
        return version("snowdesk")
    except PackageNotFoundError:
        return "0.0.0"
