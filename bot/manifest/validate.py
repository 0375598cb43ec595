"""`snowdesk manifest validate`: schema problems plus Snowdesk's own checks, one line each."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.manifest.checks import check_package
from bot.manifest.package import AppPackage, load_package
from bot.manifest.problems import Problem
from bot.manifest.schema import SchemaUnavailableError, load_schema, schema_problems


def validate_package(
    package: AppPackage, schema_path: Path | None, settings: Settings
) -> list[Problem]:
    """Every problem in the package; a path our checks explain is not repeated by the schema."""
    if package.manifest is None:
        return package.problems
    ours = package.problems + check_package(
        package, settings.app_id, bot_domain(settings.public_url)
    )
    try:
        schema, _ = load_schema(package.manifest, schema_path)
    except SchemaUnavailableError as error:
        return [*ours, Problem("schema", str(error))]
    explained = {problem.where for problem in ours}
    official = [p for p in schema_problems(package.manifest, schema) if p.where not in explained]
    return ours + official


def bot_domain(public_url: str) -> str:
    """The host name Teams sees for the bot, from SNOWDESK_PUBLIC_URL (empty when unset)."""
    return urlsplit(public_url.strip()).hostname or ""


def validate_command(settings: Settings, path: Path, schema_path: Path | None) -> int:
    """Print the problems (or that all is well); 1 when there are problems."""
    package = load_package(path)
    problems = validate_package(package, schema_path, settings)
    for problem in problems:
        print(problem.line())
    if problems:
        print(f"{len(problems)} problem(s) in {path}; Teams would refuse or misbehave with it.")
        return 1
    version = (package.manifest or {}).get("manifestVersion")
    print(f"{path} is a valid Teams app package (manifest version {version}).")
    return 0
