"""The embedded ServiceNow: a Table API emulator over SQLite that testers can run and break."""

from servicenow.emulator.faults import FaultSettings
from servicenow.emulator.server import RunningEmulator, create_emulator_app, start_emulator

__all__ = ["FaultSettings", "RunningEmulator", "create_emulator_app", "start_emulator"]
