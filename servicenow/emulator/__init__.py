"""The embedded ServiceNow: a Table API emulator over SQLite that testers can run and break.

Names are imported lazily so `snowdesk emulator --help` does not load aiohttp.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from servicenow.emulator.faults import FaultSettings
    from servicenow.emulator.server import RunningEmulator, create_emulator_app, start_emulator

__all__ = ["FaultSettings", "RunningEmulator", "create_emulator_app", "start_emulator"]
_HOMES = {
    "FaultSettings": "servicenow.emulator.faults",
    "RunningEmulator": "servicenow.emulator.server",
    "create_emulator_app": "servicenow.emulator.server",
    "start_emulator": "servicenow.emulator.server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(name)
    return getattr(import_module(_HOMES[name]), name)
