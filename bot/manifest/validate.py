"""`snowdesk manifest validate`: schema problems plus Snowdesk's own checks, one line each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.manifest.checks import check_package
from bot.manifest.localization import localization_problems
from bot.manifest.package import AppPackage, load_package
from bot.manifest.problems import Problem
from bot.manifest.schema import SchemaUnavailableError, load_schema, schema_problems

# Exit codes: the package is good / has problems / could not be checked against the schema.
OK, PROBLEMS, UNCHECKED = 0, 1, 2


@dataclass
class Validation:
    """The problems found, the schema used (a sentence), and why it was not, if it was not."""

    problems: list[Problem] = field(default_factory=list)
    schema: str = ""
    unchecked: str = ""


def validate_package(
    package: AppPackage, schema_path: Path | None, settings: Settings
) -> Validation:
    """Every problem in the package; a path our checks explain is not repeated by the schema.

    A schema that cannot be read or downloaded is not a problem of the package: it is reported
    in `unchecked`, and Snowdesk's own checks still run.
    """
    if package.manifest is None:
        return Validation(package.problems)
    manifest = package.manifest
    ours = package.problems + check_package(
        package, settings.app_id, bot_domain(settings.public_url)
    )
    ours += localization_problems(package)
    try:
        schema = load_schema(manifest, schema_path)
    except SchemaUnavailableError as error:
        return Validation(ours, unchecked=str(error))
    version = manifest.get("manifestVersion")
    if schema.version is not None and version is not None and schema.version != version:
        ours.append(
            Problem(
                "manifestVersion",
                f"is '{version}' but the schema is for {schema.version} ({schema.source}); "
                "check the package against the schema of its own version",
            )
        )
    explained = {problem.where for problem in ours}
    official = [p for p in schema_problems(manifest, schema.data) if p.where not in explained]
    return Validation(ours + official, schema=schema.source)


def bot_domain(public_url: str) -> str:
    """The host name Teams sees for the bot, from SNOWDESK_PUBLIC_URL (empty when unset)."""
    return urlsplit(public_url.strip()).hostname or ""


def report(path: Path, package: AppPackage, validation: Validation) -> int:
    """Print the problems (or that all is well) and the schema used; the exit code."""
    for problem in validation.problems:
        print(problem.line())
    if validation.schema:
        print(f"Schema: {validation.schema}.")
    if validation.problems:
        print(
            f"{len(validation.problems)} problem(s) in {path}; Teams would refuse or misbehave with it."
        )
        return PROBLEMS
    if validation.unchecked:
        print(f"Not checked against the official schema: {validation.unchecked}.")
        print(f"{path} passes Snowdesk's own checks; the schema check did not run.")
        return UNCHECKED
    version = (package.manifest or {}).get("manifestVersion")
    print(f"{path} is a valid Teams app package (manifest version {version}).")
    return OK


def validate_command(settings: Settings, path: Path, schema_path: Path | None) -> int:
    """Validate the package at `path`: 0 good, 1 problems, 2 the schema could not be had."""
    package = load_package(path)
    return report(path, package, validate_package(package, schema_path, settings))
