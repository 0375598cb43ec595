"""The IT topics: create, status, details, my tickets, update, latest updates (one module each)."""
