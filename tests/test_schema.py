"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import PG_URL, make_app
from tracker.core.database import include_object_for
from tracker.extensions import db


@contextmanager
def fresh_database(backend: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The URL of an empty database of `backend` (a new PostgreSQL database, dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    name = f"tracker_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_migrations_match_models(backend_name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if backend_name == "postgresql" and not PG_URL:
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    with fresh_database(backend_name, tmp_path) as url:
        app = make_app(url, "sqlite", tmp_path / "instance")  # no schema override
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        "include_object": include_object_for(conn.dialect.name),
                    },
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set()
            db.engine.dispose()


def test_wsgi_module_builds_the_app(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/w.db")
    import importlib

    import wsgi

    module = importlib.reload(wsgi)
    assert module.app.config["SQLALCHEMY_DATABASE_URI"].endswith("w.db")
    assert module.app.template_folder.endswith("templates")


def test_production_requires_a_secret_key(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tracker import create_app

    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_development_key_is_generated_once(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tracker import create_app

    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRACKER_ENV", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"


def _index_definitions(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).all()
    finally:
        engine.dispose()
    return dict(rows)  # type: ignore[arg-type]


def test_postgresql_indexes_match_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What compare_metadata does not look at: the predicates of partial indexes and the
    operator classes, compared as PostgreSQL prints the definitions."""
    if not PG_URL:
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    with fresh_database("postgresql", tmp_path) as migrated_url:
        app = make_app(migrated_url, "sqlite", tmp_path / "migrated")
        with app.app_context():
            upgrade()
            db.engine.dispose()
        migrated = _index_definitions(migrated_url)
        with fresh_database("postgresql", tmp_path) as created_url:
            engine = sa.create_engine(created_url)
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                db.metadata.create_all(conn)
            engine.dispose()
            created = _index_definitions(created_url)
    assert migrated == created
    assert "WHERE" in migrated["ix_reminder_deliveries_recipient_status"]
