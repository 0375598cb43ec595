"""The official manifest schema: shipped with Snowdesk for the version it builds, else from
`--schema`, else downloaded once from the manifest's `$schema` and cached."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.manifest.problems import Problem, json_path

# Microsoft's schemas for the manifest version `snowdesk manifest build` writes (README.md there).
SHIPPED = Path(__file__).with_name("schemas")


class SchemaUnavailableError(Exception):
    """The schema could not be read or fetched; the message is one sentence for the admin."""


@dataclass(frozen=True)
class Schema:
    """A manifest schema, the manifest version it describes (if it says) and where it came from."""

    data: dict[str, Any]
    version: str | None
    source: str


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/snowdesk/schemas` (default `~/.cache/snowdesk/schemas`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "snowdesk" / "schemas"


def shipped(version: object, kind: str = "MicrosoftTeams") -> Path | None:
    """The shipped schema file of this manifest version (`kind` `MicrosoftTeams.Localization` for
    language files), or None when Snowdesk does not ship that version."""
    path = SHIPPED / f"v{version}.{kind}.schema.json"
    return path if re.fullmatch(r"\d+\.\d+", str(version)) and path.is_file() else None


def load_schema(manifest: dict[str, Any], schema_path: Path | None) -> Schema:
    """The schema to check `manifest` against: `schema_path` when given, else the shipped schema
    of its `manifestVersion`, else the one its `$schema` URL names (downloaded once, cached)."""
    if schema_path is not None:
        data = _read(schema_path)
        return Schema(data, schema_version(data), f"{schema_path} (given with --schema)")
    version = manifest.get("manifestVersion")
    bundled = shipped(version)
    if bundled is not None:
        return Schema(
            _read(bundled), str(version), f"the official v{version} schema shipped with Snowdesk"
        )
    url = manifest.get("$schema")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SchemaUnavailableError(
            f"Snowdesk ships no schema for manifest version {version} and the manifest has no "
            "$schema URL; pass --schema PATH"
        )
    cached = cache_dir() / re.sub(r"[^A-Za-z0-9.]+", "_", url.split("://", 1)[1])
    if not cached.is_file():
        _download(url, cached)
    data = _read(cached)
    return Schema(data, schema_version(data), f"{url} (cached at {cached})")


def schema_version(schema: dict[str, Any]) -> str | None:
    """The manifest version a schema describes, from its `manifestVersion` property's `const` or
    single `enum` (draft-04 validators ignore `const`, so a mismatch is checked here)."""
    prop = schema.get("properties", {}).get("manifestVersion", {})
    if not isinstance(prop, dict):
        return None
    if isinstance(prop.get("const"), str):
        return str(prop["const"])
    enum = prop.get("enum")
    return str(enum[0]) if isinstance(enum, list) and len(enum) == 1 else None


def _read(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise SchemaUnavailableError(f"cannot read the schema {path}: {error}") from error
    if not isinstance(schema, dict):
        raise SchemaUnavailableError(f"{path} is not a JSON schema")
    return schema


def _download(url: str, target: Path) -> None:
    import httpx

    try:
        response = httpx.get(url, timeout=30.0, follow_redirects=True)
        response.raise_for_status()
        json.loads(response.content)
    except (httpx.HTTPError, ValueError) as error:
        raise SchemaUnavailableError(
            f"cannot download the schema {url} ({type(error).__name__}); "
            "pass --schema PATH to use a local copy"
        ) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(response.content)
    partial.replace(target)


def schema_problems(manifest: dict[str, Any], schema: dict[str, Any]) -> list[Problem]:
    """Schema violations, each turned into one plain line."""
    from jsonschema.validators import Draft4Validator, validator_for
    from referencing import Registry

    # An empty registry: internal #/definitions refs resolve, nothing is ever fetched.
    validator = validator_for(schema, default=Draft4Validator)(schema, registry=Registry())
    errors = sorted(validator.iter_errors(manifest), key=lambda e: [str(p) for p in e.path])
    return [_describe(error) for error in errors]


def _describe(error: Any) -> Problem:
    where = json_path(error.absolute_path)
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = re.match(r"^'(.+)' is a required property$", error.message)
        name = missing.group(1) if missing else str(limit)
        return Problem(f"{where}.{name}" if where else name, "is missing (Teams requires it)")
    if kind == "additionalProperties":
        unknown = sorted(set(value) - set(error.schema.get("properties", {})))
        return Problem(where, f"has fields this manifest version does not know: {unknown}")
    if kind in ("maxLength", "minLength"):
        bound = "at most" if kind == "maxLength" else "at least"
        return Problem(where, f"is {len(value)} characters long; it must be {bound} {limit}")
    if kind in ("maxItems", "minItems"):
        bound = "at most" if kind == "maxItems" else "at least"
        return Problem(where, f"has {len(value)} entries; it must have {bound} {limit}")
    if kind == "enum":
        return Problem(where, f"'{value}' is not allowed; use one of: {', '.join(map(str, limit))}")
    if kind == "pattern":
        return Problem(where, f"'{value}' does not have the expected format ({limit})")
    if kind == "type":
        return Problem(where, f"must be of type {limit}, not {type(value).__name__}")
    return Problem(where, error.message[:200])
