"""The package's language files (`localizationInfo`).

`snowdesk manifest build` writes them: the default language's from the manifest's own strings
(names, descriptions, and the command titles that come from `topics`), every other language's by
translating those strings with its catalogue `manifest/languages/<file>` (English text →
translation, so a reordered command list needs no change there; a string without a translation
stops the build). `validate` checks that each named file is there and matches the official
localization schema of the manifest's version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.manifest.checks import DESCRIPTION_LIMIT, TITLE_LIMIT
from bot.manifest.package import AppPackage, named_language_files
from bot.manifest.problems import Problem
from bot.manifest.schema import schema_problems, shipped

LOCALIZATION_SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.Localization.schema.json"
# The manifest's own limits, for a key or the last part of one (command texts: Teams shows 32/128).
LENGTH_LIMITS = {
    "name.short": 30,
    "name.full": 100,
    "description.short": 80,
    "description.full": 4000,
    "title": TITLE_LIMIT,
    "description": DESCRIPTION_LIMIT,
}
# The catalogues of the other languages, beside the manifest template.
CATALOGUES = "languages"
# Top-level strings Teams translates, as the localization file names them.
TOP_LEVEL = ("name.short", "name.full", "description.short", "description.full")


def localizable(manifest: dict[str, Any]) -> dict[str, str]:
    """Every string of the manifest a language file translates, by its localization-file key."""
    strings: dict[str, str] = {}
    for key in TOP_LEVEL:
        section, part = key.split(".")
        value = (manifest.get(section) or {}).get(part)
        if isinstance(value, str):
            strings[key] = value
    bots = manifest.get("bots") or [{}]
    for i, command_list in enumerate(bots[0].get("commandLists") or []):
        for j, command in enumerate(command_list.get("commands") or []):
            strings |= _texts(command, f"bots[0].commandLists[{i}].commands[{j}]")
    extensions = manifest.get("composeExtensions") or [{}]
    for k, command in enumerate(extensions[0].get("commands") or []):
        where = f"composeExtensions[0].commands[{k}]"
        strings |= _texts(command, where)
        for m, parameter in enumerate(command.get("parameters") or []):
            strings |= _texts(parameter, f"{where}.parameters[{m}]")
    return strings


def _texts(entry: dict[str, Any], where: str) -> dict[str, str]:
    return {
        f"{where}.{name}": entry[name]
        for name in ("title", "description")
        if isinstance(entry.get(name), str)
    }


def language_files(
    manifest: dict[str, Any], template_dir: Path
) -> tuple[dict[str, bytes], list[str]]:
    """The files `localizationInfo` names, as the package holds them, and one line per gap."""
    info = manifest.get("localizationInfo")
    if not isinstance(info, dict):
        return {}, []
    strings = localizable(manifest)
    schema = LOCALIZATION_SCHEMA.format(version=manifest.get("manifestVersion"))
    files: dict[str, bytes] = {}
    gaps: list[str] = []
    for where, name in named_language_files(manifest).items():
        if where == "localizationInfo.defaultLanguageFile":
            translated = strings
        else:
            catalogue_path = template_dir / CATALOGUES / name
            catalogue = _catalogue(catalogue_path, gaps)
            missing = sorted({text for text in strings.values() if text not in catalogue})
            gaps += [f"{catalogue_path} has no translation of “{text}”" for text in missing]
            translated = {
                key: catalogue[text] for key, text in strings.items() if text in catalogue
            }
        body = {"$schema": schema, **translated}
        files[name] = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files, gaps


def _catalogue(path: Path, gaps: list[str]) -> dict[str, str]:
    try:
        catalogue = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        gaps.append(f"{path} cannot be read: {error}")
        return {}
    return {str(k): str(v) for k, v in catalogue.items()} if isinstance(catalogue, dict) else {}


def localization_problems(package: AppPackage) -> list[Problem]:
    """One problem per missing, unreadable or invalid language file."""
    manifest = package.manifest or {}
    path = shipped(manifest.get("manifestVersion"), "MicrosoftTeams.Localization")
    schema = json.loads(path.read_text(encoding="utf-8")) if path else None
    problems: list[Problem] = []
    for where, name in named_language_files(manifest).items():
        raw = package.files.get(name)
        if raw is None:
            problems.append(Problem(where, f"names '{name}' but the package has no such file"))
            continue
        try:
            strings: Any = json.loads(raw.decode("utf-8-sig"))
        except ValueError as error:
            problems.append(Problem(name, f"is not valid JSON ({error})"))
            continue
        if schema is not None:
            problems += _against(schema, strings, name)
        problems += _lengths(strings, name)
    return problems


def _lengths(strings: Any, name: str) -> list[Problem]:
    # The localization schema puts `maxLength` beside a `$ref`, which draft-04 ignores.
    if not isinstance(strings, dict):
        return []
    problems: list[Problem] = []
    for key, text in strings.items():
        limit = LENGTH_LIMITS.get(key) or LENGTH_LIMITS.get(key.rsplit(".", 1)[-1])
        if isinstance(text, str) and limit and len(text) > limit:
            problems.append(
                Problem(
                    f"{name}: {key}", f"is {len(text)} characters long; it must be at most {limit}"
                )
            )
    return problems


def _against(schema: dict[str, Any], strings: Any, name: str) -> list[Problem]:
    return [
        Problem(f"{name}: {problem.where}" if problem.where else name, problem.message)
        for problem in schema_problems(strings, schema)
    ]
