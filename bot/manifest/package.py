"""Reading a Teams app package: a .zip, or a manifest.json with its icons beside it."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.manifest.problems import Problem

MANIFEST = "manifest.json"


@dataclass
class AppPackage:
    """The manifest (None when unreadable), the files next to it, and problems found reading."""

    source: Path
    manifest: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def load_package(path: Path) -> AppPackage:
    """Read a package; what cannot be read becomes a problem, never an exception."""
    package = AppPackage(source=path)
    if not path.exists():
        package.problems.append(Problem(str(path), "no such file (build it first)"))
    elif path.suffix.lower() == ".zip":
        _load_zip(package)
    else:
        _load_folder(package)
    return package


def _load_zip(package: AppPackage) -> None:
    try:
        with zipfile.ZipFile(package.source) as archive:
            package.files = {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except zipfile.BadZipFile:
        package.problems.append(Problem(package.source.name, "is not a valid zip file"))
        return
    if MANIFEST not in package.files:
        nested = [name for name in package.files if name.endswith("/" + MANIFEST)]
        hint = f" (found '{nested[0]}': zip the files, not their folder)" if nested else ""
        package.problems.append(
            Problem(package.source.name, f"has no {MANIFEST} at the root of the zip{hint}")
        )
        return
    package.manifest = _parse(package, package.files[MANIFEST])


def _load_folder(package: AppPackage) -> None:
    package.manifest = _parse(package, package.source.read_bytes())
    if package.manifest is None:
        return
    named = [
        *icon_names(package.manifest).values(),
        *named_language_files(package.manifest).values(),
    ]
    for name in named:
        beside = package.source.parent / name
        if beside.is_file():
            package.files[name] = beside.read_bytes()


def _parse(package: AppPackage, raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        package.problems.append(Problem(MANIFEST, "is not UTF-8 text"))
        return None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        package.problems.append(Problem(MANIFEST, f"is not valid JSON ({error.msg} at {where})"))
        return None
    if not isinstance(data, dict):
        package.problems.append(Problem(MANIFEST, "must hold one JSON object"))
        return None
    return data


def icon_names(manifest: dict[str, Any]) -> dict[str, str]:
    """Icon role (`color`, `outline`, `color32x32`) → file name the manifest gives."""
    icons = manifest.get("icons")
    if not isinstance(icons, dict):
        return {}
    return {role: name for role, name in icons.items() if isinstance(name, str)}


def named_language_files(manifest: dict[str, Any]) -> dict[str, str]:
    """Manifest path (`localizationInfo.additionalLanguages[0].file`) → language file it names."""
    info = manifest.get("localizationInfo")
    if not isinstance(info, dict):
        return {}
    found: dict[str, str] = {}
    if isinstance(info.get("defaultLanguageFile"), str):
        found["localizationInfo.defaultLanguageFile"] = info["defaultLanguageFile"]
    for index, language in enumerate(info.get("additionalLanguages") or []):
        if isinstance(language, dict) and isinstance(language.get("file"), str):
            found[f"localizationInfo.additionalLanguages[{index}].file"] = language["file"]
    return found
