"""Pages of this domain (none)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register: the benchmark runs from the command line."""
