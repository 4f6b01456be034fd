"""The settings every SQLite connection gets (tracker/core/database.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tracker.extensions import db


def _pragmas() -> dict[str, object]:
    with db.engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in (
                "journal_mode",
                "busy_timeout",
                "foreign_keys",
                "synchronous",
                "cache_size",
            )
        }


@pytest.mark.parametrize(("configured", "kib"), [(None, 64 * 1024), (8, 8 * 1024)])
def test_sqlite_connections(tmp_path: Path, configured: int | None, kib: int) -> None:
    overrides = {} if configured is None else {"TRACKER_SQLITE_CACHE_MB": configured}
    app = make_app(f"sqlite:///{tmp_path / 'office.db'}", "sqlite", tmp_path / "i", **overrides)
    with app.app_context():
        db.create_all()
        # WAL and a busy timeout: several writers wait for each other instead of failing;
        # NORMAL sync is safe in WAL mode; the page cache holds a reminder pass's pages.
        assert _pragmas() == {
            "journal_mode": "wal",
            "busy_timeout": 10000,
            "foreign_keys": 1,
            "synchronous": 1,
            "cache_size": -kib,
        }
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        db.session.remove()
        db.engine.dispose()
