"""Errors that operations raise and views turn into messages."""

from __future__ import annotations

from datetime import datetime


class ValidationError(Exception):
    """Input that breaks a business rule; `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class StaleVersion(Exception):
    """The object changed since the user loaded it; nothing was written."""

    def __init__(self, changed_by: str, changed_dt: datetime | None, current_version: int) -> None:
        super().__init__(f"changed by {changed_by}")
        self.changed_by = changed_by
        self.changed_dt = changed_dt
        self.current_version = current_version
