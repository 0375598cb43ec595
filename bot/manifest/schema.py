"""The official manifest schema: from `--schema`, or downloaded once from `$schema` and cached."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from bot.manifest.problems import Problem, json_path


class SchemaUnavailableError(Exception):
    """The schema could not be read or fetched; the message is one sentence for the admin."""


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/snowdesk/schemas` (default `~/.cache/snowdesk/schemas`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "snowdesk" / "schemas"


def load_schema(manifest: dict[str, Any], schema_path: Path | None) -> tuple[dict[str, Any], str]:
    """The schema and where it came from (a path, or the URL and its cache file)."""
    if schema_path is not None:
        return _read(schema_path), str(schema_path)
    url = manifest.get("$schema")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SchemaUnavailableError(
            "the manifest has no $schema URL to check it against; pass --schema PATH"
        )
    cached = cache_dir() / re.sub(r"[^A-Za-z0-9.]+", "_", url.split("://", 1)[1])
    if not cached.is_file():
        _download(url, cached)
    return _read(cached), f"{url} (cached at {cached})"


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
