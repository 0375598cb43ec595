"""Snowdesk process and hosting: settings, CLI, aiohttp app, activity handler, state storage."""

__version__ = "0.1.0"
