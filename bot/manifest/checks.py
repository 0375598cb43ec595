"""What the official schema cannot see: versions, icons, ids, placeholders, command limits."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from bot.manifest.package import AppPackage, icon_names
from bot.manifest.problems import Problem, json_path

# 1.24 is the first version allowing more than 10 commands per list (Snowdesk has 11).
SUPPORTED_VERSIONS = tuple(f"1.{minor}" for minor in range(19, 31))
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PLACEHOLDER = re.compile(r"\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
SCHEMA_VERSION = re.compile(r"/teams/v(\d+\.\d+)/")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
ICON_SIZES = {"color": (192, 192), "outline": (32, 32), "color32x32": (32, 32)}
# Teams docs quote 32/128 for every version; newer schemas allow more, older clients do not.
TITLE_LIMIT, DESCRIPTION_LIMIT = 32, 128
# Anti-aliased edges may be slightly off-white; anything darker is a coloured outline.
NEAR_WHITE, VISIBLE_ALPHA = 235, 32


def check_package(package: AppPackage, app_id: str = "", bot_domain: str = "") -> list[Problem]:
    """Every problem the schema cannot see; `app_id`/`bot_domain` come from settings if set."""
    manifest = package.manifest
    if manifest is None:
        return []
    problems = list(_placeholders(manifest, []))
    problems += _versions(manifest)
    problems += _ids(manifest, app_id)
    problems += _domains(manifest, bot_domain)
    problems += _commands(manifest)
    problems += _icons(manifest, package.files)
    return problems


def _placeholders(value: Any, path: list[str | int]) -> Iterator[Problem]:
    if isinstance(value, str):
        for name in PLACEHOLDER.findall(value):
            yield Problem(
                json_path(path),
                f"still holds the placeholder ${{{{{name}}}}}: build the package with "
                "`snowdesk manifest build`, which fills it from settings",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholders(item, [*path, index])


def _versions(manifest: dict[str, Any]) -> Iterator[Problem]:
    version = manifest.get("manifestVersion")
    if version is not None and version not in SUPPORTED_VERSIONS:
        yield Problem(
            "manifestVersion",
            f"is '{version}'; Snowdesk packages use {SUPPORTED_VERSIONS[0]} to "
            f"{SUPPORTED_VERSIONS[-1]}",
        )
    named = SCHEMA_VERSION.search(str(manifest.get("$schema", "")))
    if named and version is not None and named.group(1) != version:
        yield Problem(
            "$schema",
            f"names manifest version {named.group(1)} but manifestVersion is '{version}'; "
            "make them the same",
        )
    app_version = manifest.get("version")
    filled = isinstance(app_version, str) and not PLACEHOLDER.search(app_version)
    if filled and not SEMVER.match(str(app_version)):
        yield Problem("version", f"is '{app_version}'; it must look like 1.0.0")


def _ids(manifest: dict[str, Any], app_id: str) -> Iterator[Problem]:
    yield from _guid(manifest.get("id"), "id", "the Teams app id")
    bots = manifest.get("bots")
    if not bots:
        yield Problem("bots", "is missing: Snowdesk is a bot, the package must declare it")
        return
    bot_id = bots[0].get("botId") if isinstance(bots[0], dict) else None
    yield from _guid(bot_id, "bots[0].botId", "the bot's Entra app id (MicrosoftAppId)")
    filled = isinstance(bot_id, str) and not PLACEHOLDER.search(bot_id)
    if app_id and filled and str(bot_id).lower() != app_id.lower():
        yield Problem(
            "bots[0].botId",
            f"is {bot_id} but MicrosoftAppId is {app_id}: Teams would send messages to "
            "another bot; rebuild the package with the right settings",
        )
    for index, extension in enumerate(manifest.get("composeExtensions") or []):
        extension_bot = extension.get("botId") if isinstance(extension, dict) else None
        if isinstance(bot_id, str) and isinstance(extension_bot, str) and extension_bot != bot_id:
            yield Problem(
                f"composeExtensions[{index}].botId",
                "must be the bot's app id (bots[0].botId): Teams sends searches to that bot",
            )
    sso = manifest.get("webApplicationInfo")
    if isinstance(sso, dict):
        yield from _guid(sso.get("id"), "webApplicationInfo.id", "the bot's Entra app id")
        if isinstance(bot_id, str) and str(sso.get("id", "")).lower() != bot_id.lower():
            yield Problem(
                "webApplicationInfo.id", "must be the bot's app id (bots[0].botId) for sign-in"
            )


def _guid(value: object, where: str, meaning: str) -> Iterator[Problem]:
    if isinstance(value, str) and not PLACEHOLDER.search(value) and not GUID.match(value):
        yield Problem(
            where,
            f"'{value}' is not a GUID (like 6f1b2c3d-4e5f-6789-abcd-ef0123456789); "
            f"it must be {meaning}",
        )


def _domains(manifest: dict[str, Any], bot_domain: str) -> Iterator[Problem]:
    domains = manifest.get("validDomains") or []
    for index, domain in enumerate(domains):
        if isinstance(domain, str) and ("://" in domain or "/" in domain):
            yield Problem(
                f"validDomains[{index}]",
                f"'{domain}' must be a host name only, without https:// or a path",
            )
    if bot_domain and bot_domain not in domains:
        yield Problem(
            "validDomains", f"does not list the bot's domain {bot_domain} (SNOWDESK_PUBLIC_URL)"
        )


def _commands(manifest: dict[str, Any]) -> Iterator[Problem]:
    bots = manifest.get("bots") or [{}]
    bot = bots[0] if isinstance(bots[0], dict) else {}
    limit = 12 if _minor(manifest.get("manifestVersion")) >= 24 else 10
    seen_scopes: set[str] = set()
    for index, command_list in enumerate(bot.get("commandLists") or []):
        where = f"bots[0].commandLists[{index}]"
        for scope in command_list.get("scopes") or []:
            if scope in seen_scopes:
                yield Problem(where, f"is a second command list for '{scope}'; keep one per scope")
            if scope not in (bot.get("scopes") or []):
                yield Problem(where, f"is for '{scope}' but bots[0].scopes does not include it")
            seen_scopes.add(scope)
        commands = command_list.get("commands") or []
        if len(commands) > limit:
            yield Problem(
                f"{where}.commands",
                f"has {len(commands)} commands; manifest version "
                f"{manifest.get('manifestVersion')} allows {limit} per list",
            )
        yield from _command_texts(commands, where)


def _command_texts(commands: list[Any], where: str) -> Iterator[Problem]:
    titles: set[str] = set()
    for index, command in enumerate(commands):
        if not isinstance(command, dict):
            continue
        title, description = str(command.get("title", "")), str(command.get("description", ""))
        path = f"{where}.commands[{index}]"
        if len(title) > TITLE_LIMIT:
            yield Problem(
                f"{path}.title",
                f"'{title}' is {len(title)} characters; Teams shows at most {TITLE_LIMIT}",
            )
        if len(description) > DESCRIPTION_LIMIT:
            yield Problem(
                f"{path}.description",
                f"is {len(description)} characters; Teams shows at most {DESCRIPTION_LIMIT}",
            )
        if title.lower() in titles:
            yield Problem(f"{path}.title", f"'{title}' appears twice in this list")
        titles.add(title.lower())


def _minor(version: object) -> int:
    match = re.match(r"^1\.(\d+)$", str(version))
    return int(match.group(1)) if match else 0


def _icons(manifest: dict[str, Any], files: dict[str, bytes]) -> Iterator[Problem]:
    for role, name in icon_names(manifest).items():
        where = f"icons.{role}"
        if name not in files:
            yield Problem(where, f"names '{name}' but the package has no such file at its root")
            continue
        yield from _icon(role, name, files[name], where)


def _icon(role: str, name: str, raw: bytes, where: str) -> Iterator[Problem]:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError):
        yield Problem(where, f"'{name}' is not an image Teams can read (it needs a PNG)")
        return
    if image.format != "PNG":
        yield Problem(where, f"'{name}' is a {image.format} image; Teams needs a PNG")
    expected = ICON_SIZES.get(role)
    if expected and image.size != expected:
        width, height = image.size
        yield Problem(
            where,
            f"'{name}' is {width}×{height} pixels; Teams needs {expected[0]}×{expected[1]}",
        )
    if role == "outline":
        yield from _outline_colours(name, image.convert("RGBA"), where)


def _outline_colours(name: str, image: Any, where: str) -> Iterator[Problem]:
    raw = image.tobytes()
    pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    if not any(alpha == 0 for *_, alpha in pixels):
        yield Problem(
            where, f"'{name}' has no transparent background; Teams needs white on transparent"
        )
        return
    coloured = [
        (index, rgb)
        for index, (*rgb, alpha) in enumerate(pixels)
        if alpha >= VISIBLE_ALPHA and min(rgb) < NEAR_WHITE
    ]
    if coloured:
        index, (red, green, blue) = coloured[0]
        x, y = index % image.width, index // image.width
        yield Problem(
            where,
            f"'{name}' has {len(coloured)} coloured pixels (the first at {x},{y} is "
            f"#{red:02X}{green:02X}{blue:02X}); Teams needs white on transparent",
        )
