"""The HR topics: create a case, case details (and comments), case updates, my cases."""
