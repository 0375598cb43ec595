"""`snowdesk manifest build|validate`: the Teams app package an admin uploads.

`build` fills the `${{...}}` placeholders of `manifest/manifest.json` from settings and zips it
with both icons at the root; `validate` checks a package (or a bare manifest.json) against the
official schema and against what the schema cannot see, one plain line per problem.
Heavy imports (Pillow, jsonschema, httpx) happen only when an action runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_PACKAGE = Path("build/snowdesk-teams-app.zip")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `snowdesk manifest`."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="fill the manifest from settings and zip the package")
    build.add_argument("--out", type=Path, default=DEFAULT_PACKAGE, help="zip to write")
    build.add_argument(
        "--template", type=Path, default=None, help="manifest template (default: manifest/)"
    )
    validate = actions.add_parser("validate", help="check a package or manifest.json")
    validate.add_argument(
        "path", nargs="?", type=Path, default=DEFAULT_PACKAGE, help="a .zip or a manifest.json"
    )
    validate.add_argument(
        "--schema", type=Path, default=None, help="schema file (default: the manifest's $schema)"
    )


def main(args: argparse.Namespace) -> int:
    """Run the chosen action; 0 when the package is good, 1 when there are problems."""
    from bot.config import Settings

    settings = Settings()
    if args.action == "build":
        from bot.manifest.build import build_command

        return build_command(settings, args.out, args.template)
    from bot.manifest.validate import validate_command

    return validate_command(settings, args.path, args.schema)
