"""Database setup that depends on the backend: SQLite pragmas, model registration."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tracker.extensions import db


def import_models() -> None:
    """Import every model module so the metadata is complete (for Alembic and create_all)."""
    import importlib
    import importlib.util

    from tracker import DOMAINS

    for domain in DOMAINS:
        name = f"tracker.{domain}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer writes; the busy timeout makes a second writer
    # wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Register the models and backend-specific connection settings."""
    import_models()
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_tracker_pragmas", False):
            event.listen(engine, "connect", _sqlite_pragmas)
            engine._tracker_pragmas = True  # type: ignore[attr-defined]
