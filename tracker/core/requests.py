"""The request class: text arriving from outside loses NUL characters, which PostgreSQL cannot
store or compare in a text column (it would answer with an error instead of saving)."""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict


def strip_nul(value: Any) -> Any:
    """`value` with every NUL character removed from its strings, recursively."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, tuple):
        return tuple(strip_nul(v) for v in value)
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


class NulFreeMultiDict(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query arguments and form fields without NUL characters."""

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
            return
        items = (
            mapping.items(multi=True)
            if hasattr(mapping, "items") and hasattr(mapping, "getlist")
            else (mapping.items() if isinstance(mapping, dict) else mapping)
        )
        super().__init__([strip_nul(tuple(item)) for item in items])


class TrackerRequest(Request):
    """Flask's request with NUL-free query arguments, form fields and JSON."""

    parameter_storage_class = NulFreeMultiDict

    def get_json(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return strip_nul(super().get_json(*args, **kwargs))
