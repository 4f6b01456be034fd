"""Logging in, users, roles and API tokens."""
