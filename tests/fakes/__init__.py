"""Local stand-ins for services outside Snowdesk (Microsoft Entra ID and Graph)."""
