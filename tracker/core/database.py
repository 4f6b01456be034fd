"""Database setup that depends on the backend: SQLite pragmas, model registration."""

from __future__ import annotations

import functools
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


# SQLite's page cache per connection, in MB, unless TRACKER_SQLITE_CACHE_MB says otherwise.
SQLITE_CACHE_MB = 64


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, *, cache_mb: int = SQLITE_CACHE_MB
) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer writes; the busy timeout makes a second writer
    # wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The default cache, 2 MB, held a fraction of what a reminder pass reads (the tasks of
    # 40,000 reminders at 100,000 tasks): pages were read from the file again and again, a
    # quarter of the pass's system time; with 64 MB the pass took 3.2 instead of 4.1 s
    # (medians of five paired runs). The cache grows only as pages are read, so a small
    # office's database takes what it is.
    cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
    cursor.close()


def sqlite_pragmas(app: Flask) -> Callable[[Any, Any], None]:
    """The connect listener setting up an SQLite connection with `app`'s settings."""
    return functools.partial(
        _sqlite_pragmas, cache_mb=app.config.get("TRACKER_SQLITE_CACHE_MB", SQLITE_CACHE_MB)
    )


def init_app(app: Flask) -> None:
    """Register the models and backend-specific connection settings."""
    import_models()
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_tracker_pragmas", False):
            event.listen(engine, "connect", sqlite_pragmas(app))
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
