"""Where report queries read: the reporting database (a streaming replica) when configured."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.globals import app_ctx
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from tracker.extensions import db

log = logging.getLogger("tracker.reports")

_ENGINE = "tracker_reports_engine"
_SESSIONS = "tracker_reports_session"

# On a hot standby: 0 when it has replayed all it received, else the age of the last replayed
# transaction. On a server that is no standby (a copy, a test database): 0.
_LAG_SQL = sa.text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def _app_context_id() -> int:
    # One session per app context (request, command), as Flask-SQLAlchemy scopes db.session.
    return id(app_ctx._get_current_object())


def init_app(app: Flask) -> None:
    """Give the app an engine and a session on the reporting database, when one is set."""
    url = app.config.get("TRACKER_REPORTS_DATABASE_URL")
    if not url:
        return
    engine = sa.create_engine(url, **app.config.get("TRACKER_REPORTS_ENGINE_OPTIONS", {}))
    if engine.dialect.name == "sqlite":
        from tracker.core.database import sqlite_pragmas

        sa.event.listen(engine, "connect", sqlite_pragmas(app))
    app.extensions[_ENGINE] = engine
    # Report rows are read, rendered and dropped: nothing is ever flushed through it.
    sessions = scoped_session(sessionmaker(bind=engine, autoflush=False), scopefunc=_app_context_id)
    app.extensions[_SESSIONS] = sessions

    def _close_report_session(_exc: BaseException | None) -> None:
        # Closing ends the read transaction: the next request sees the replica's latest state.
        sessions.remove()
        g.pop("_reports_on_replica", None)

    # After each request (tests keep one app context around many) and each command.
    app.teardown_request(_close_report_session)
    app.teardown_appcontext(_close_report_session)


def reports_engine() -> sa.Engine | None:
    """The reporting database's engine, or None when reports read the main database."""
    return current_app.extensions.get(_ENGINE)


def lag_seconds(session: Session) -> float:
    """How far the reporting database is behind the main one, in seconds (0 unless it is a
    PostgreSQL standby that has not replayed everything it received)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    return float(session.execute(_LAG_SQL).scalar_one())


def _replica_usable(session: Session) -> bool:
    limit = float(current_app.config.get("TRACKER_REPORTS_MAX_LAG_SECONDS") or 0)
    if limit <= 0:
        return True
    try:
        session.connection()  # reachable at all (any backend)
        lag = lag_seconds(session)
    except sa.exc.OperationalError:
        log.warning("reporting database unreachable: reports read the main database")
        session.rollback()
        return False
    if lag > limit:
        log.warning("reporting database %.1f s behind: reports read the main database", lag)
        return False
    return True


def report_session() -> Session:
    """The session report queries read from: the reporting database (a streaming replica) when
    TRACKER_REPORTS_DATABASE_URL is set and, with TRACKER_REPORTS_MAX_LAG_SECONDS, reachable and
    recent enough; otherwise the main `db.session`. Only reads go here: writes (the audit row of
    an export) stay on `db.session`."""
    sessions = current_app.extensions.get(_SESSIONS)
    if sessions is None:
        return db.session
    # Decided once per request, so a page never mixes the two databases.
    if "_reports_on_replica" not in g:
        g._reports_on_replica = _replica_usable(sessions())
    return sessions() if g._reports_on_replica else db.session
