"""Fixtures: an app and a clean database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask, g
from flask.testing import FlaskClient
from flask_login import FlaskLoginClient

import tracker.auth.operations as auth_operations
from tests import factories
from tracker import create_app
from tracker.extensions import db

# Fast hashing parameters for tests; production uses argon2-cffi's defaults.
auth_operations._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
auth_operations._DUMMY_HASH = auth_operations._hasher.hash("not-a-real-password")

FIXED_NOW = datetime(2017, 4, 10, 2, 0, tzinfo=UTC)  # 09:00 on Monday 10/4/2017 in Hanoi

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One database per backend for the whole session; tables are emptied between tests."""
    base = tmp_path_factory.mktemp("db")
    # pytest-xdist workers each get their own SQLite file; PostgreSQL workers share a
    # server, so each worker uses its own schema.
    urls = {"sqlite": f"sqlite:///{base}/test.db"}
    if PG_URL:
        urls["postgresql"] = PG_URL
    return urls


_created: set[str] = set()


def _worker_schema() -> str:
    return "test_" + os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", autouse=True)
def _recipient_locks_per_worker() -> Iterator[None]:
    """Advisory locks belong to the database, and the workers share one (a schema each):
    each worker's reminder passes take their per-recipient locks in a key space of their
    own, or a pass would now and then find a recipient locked by another worker's pass on
    the same user id and leave them for later."""
    from tracker.reminders import passes

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    default = passes.RECIPIENT_LOCKS
    passes.RECIPIENT_LOCKS = (default << 16) + int(worker or 0)
    passes._lock_statement.cache_clear()
    yield
    passes.RECIPIENT_LOCKS = default
    passes._lock_statement.cache_clear()


class LoginClient(FlaskLoginClient):
    """`app.test_client(user=...)`: a client already logged in as `user`, through a login of
    its own on the server (tracker/auth/sessions.py), as if it had used the login form."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        user = kwargs.get("user")
        if user is not None:
            from tracker.auth import sessions

            sessions.create(user, remember=False)  # type: ignore[arg-type]
            db.session.commit()
        super().__init__(*args, **kwargs)


def make_app(url: str, backend: str, instance: Path, **overrides: object) -> Flask:
    """An app on `url` with the test settings."""
    config: dict[str, object] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "TRACKER_FIXED_NOW": FIXED_NOW,
        "INSTANCE_PATH": str(instance),
        "TRACKER_UPLOAD_DIR": str(instance / "uploads"),
        "TRACKER_MAIL_URL": "",
    }
    if backend == "postgresql":
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            # public stays on the path for the pg_trgm operators (extensions live there).
            "connect_args": {"options": f"-csearch_path={_worker_schema()},public"},
            "pool_pre_ping": True,
        }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = LoginClient

    @app.before_request
    def _fresh_g() -> None:
        # Tests keep one app context open around their requests, so `g` would carry the
        # logged-in user and per-request caches from one request to the next; a real
        # request starts with an empty `g`.
        for key in ("_login_user", "today", "working_calendar", "_flask_babel"):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, app.before_request_funcs[None].pop())
    return app


def _create_trigram_extension(engine: sa.Engine) -> None:
    """pg_trgm in `public`, once per database, so every worker's schema sees its operators
    (created from a worker's search path it would land in, and die with, that schema)."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.IntegrityError:
        pass  # another worker created it at the same moment


def _reset(app: Flask, backend: str) -> None:
    with app.app_context():
        if backend not in _created:
            if backend == "postgresql":
                schema = _worker_schema()
                with db.engine.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                _create_trigram_extension(db.engine)
            else:
                db.drop_all()
            db.create_all()
            _created.add(backend)
            return
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if backend == "postgresql":
                names = ", ".join(f'"{t}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))
                conn.execute(sa.text("DELETE FROM sqlite_sequence")) if conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first() else None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: "sqlite" or "postgresql"."""
    return request.param


@pytest.fixture
def app(backend: str, database_urls: dict[str, str], tmp_path: Path) -> Iterator[Flask]:
    """A fresh app with an empty database, time fixed at FIXED_NOW, inside an app context."""
    app = make_app(database_urls[backend], backend, tmp_path / "instance")
    _reset(app, backend)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def world(app: Flask) -> factories.World:
    """A small district: units, one user per role, a meeting with tasks."""
    return factories.build_world()


@pytest.fixture
def login(app: Flask):  # type: ignore[no-untyped-def]
    """`login(user)` gives a test client logged in as `user`."""

    def _login(user: object) -> FlaskClient:
        return app.test_client(user=user)

    return _login
