"""Database setup that depends on the backend: SQLite pragmas, model registration."""

from __future__ import annotations

from collections.abc import Callable
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


def include_object_for(dialect_name: str) -> Callable[..., bool]:
    """An Alembic `include_object` hook that leaves out what the models create only on other
    backends (`Index(...).ddl_if(dialect="postgresql")`): autogenerate does not read `ddl_if`
    itself, so without this it would ask SQLite for PostgreSQL's trigram index."""

    def include_object(obj: Any, _name: Any, type_: str, reflected: bool, _compare: Any) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and ddl_if is not None and ddl_if.dialect:
            wanted = ddl_if.dialect
            return dialect_name in (wanted if isinstance(wanted, (tuple, list)) else (wanted,))
        return True

    return include_object
