"""The `snowdesk` command: one sub-command per job, each living in its own module.

Every sub-command module exposes `add_arguments(parser)` and `main(args) -> int`; it is
imported only when its command runs, so `snowdesk emulator` does not pay for botbuilder.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("bot.serve", "run the bot (starts the embedded ServiceNow when none is configured)"),
    "emulator": ("bot.emulator_cli", "run the embedded ServiceNow emulator on its own"),
    "manifest": ("bot.manifest", "build or validate the Teams app package"),
    "doctor": ("bot.doctor", "check the ServiceNow connection and template configurations"),
    "recognize": ("bot.recognize_cli", "show how the bot understands a message"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; sub-command modules add their own options."""
    parser = argparse.ArgumentParser(prog="snowdesk", description="Snowdesk: ServiceNow in Teams")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(module=module_name)
        _module(module_name).add_arguments(command)
    return parser


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `snowdesk` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_module(args.module).main(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
