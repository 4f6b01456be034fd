"""The scheduler's one list of jobs, and the scheduler process that runs them.

Only `tracker scheduler` runs these; web workers never start a scheduler. Jobs keep no state
in APScheduler: what has been sent lives in the application's own tables, so a restarted or
second scheduler simply runs the next pass.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.core.time import local_zone, today_local
from tracker.extensions import db

log = logging.getLogger("tracker.jobs")

# pg_try_advisory_lock key of the active scheduler ("trkr").
SCHEDULER_LOCK_KEY = 0x74726B72


@dataclass(frozen=True)
class Job:
    """A periodic job: what it is called, what it runs (inside an app context), how often."""

    name: str
    run: Callable[[], Any]
    minutes: int


def send_reminders() -> None:
    """Plan and send due reminders (every minute; a pass with nothing to do is cheap)."""
    from tracker.reminders.passes import run_pass

    run_pass()


def jobs() -> list[Job]:
    """Every periodic job of the application."""
    listed = [Job("reminders", send_reminders, minutes=1)]
    # Recurring tasks ("thường xuyên") get their next occurrence from the tasks domain,
    # when it offers that.
    if importlib.util.find_spec("tracker.tasks.recurrence") is not None:
        recurrence = importlib.import_module("tracker.tasks.recurrence")
        ensure = getattr(recurrence, "ensure_occurrences", None)
        if ensure is not None:

            def create_occurrences() -> None:
                """Create the occurrences of recurring tasks that are due."""
                ensure(today_local())
                db.session.commit()

            listed.append(Job("recurrence", create_occurrences, minutes=15))
    return listed


def _in_app_context(app: Flask, job: Job) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job.run()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", job.name)

    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler with every job: each runs at once and then every N minutes,
    never twice at the same time, and a run missed while busy or stopped is made up once
    (coalesce) however late (no misfire grace limit)."""
    with app.app_context():
        zone = local_zone()
    scheduler = BlockingScheduler(timezone=zone)
    for job in jobs():
        scheduler.add_job(
            _in_app_context(app, job),
            "interval",
            minutes=job.minutes,
            id=job.name,
            name=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(zone),
        )
    return scheduler


def try_lead(connection: sa.Connection) -> bool:
    """Try to become the active scheduler (PostgreSQL advisory lock held by `connection`)."""
    got = connection.execute(
        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}
    ).scalar()
    connection.commit()  # the lock is session-level: it outlives this transaction
    return bool(got)


def release_lead(connection: sa.Connection) -> None:
    """Give up being the active scheduler; a standby takes over at its next attempt."""
    try:
        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
        connection.commit()
    finally:
        # Closing would only return the connection, and with it the lock, to the pool.
        connection.invalidate()
        connection.close()


class SchedulerConfigError(RuntimeError):
    """The scheduler cannot run safely with these settings."""


def lock_engine(app: Flask) -> sa.Engine:
    """The engine the scheduler's advisory lock is taken on: TRACKER_SCHEDULER_DATABASE_URL
    when set, else the main one. Behind PgBouncer in transaction mode a session-level lock
    stays on whichever server connection took it: a second scheduler handed that connection
    is granted the lock too (two active), and the unlock may run on another connection. So
    with TRACKER_DATABASE_PGBOUNCER the direct URL is required; the jobs themselves run
    through PgBouncer, one transaction at a time, as the web does."""
    url = app.config.get("TRACKER_SCHEDULER_DATABASE_URL")
    if url:
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    if app.config.get("TRACKER_DATABASE_PGBOUNCER"):
        raise SchedulerConfigError(
            "TRACKER_DATABASE_PGBOUNCER is set: give the scheduler a direct connection to "
            "PostgreSQL in TRACKER_SCHEDULER_DATABASE_URL (its advisory lock needs one)"
        )
    with app.app_context():
        return db.engine


def run_scheduler(app: Flask, standby_seconds: float = 15.0) -> None:
    """Run the jobs until Ctrl-C or SIGTERM. On PostgreSQL, wait as a hot standby while
    another scheduler holds the advisory lock."""
    engine = lock_engine(app)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    lock: sa.Connection | None = None
    try:
        with app.app_context():
            if engine.dialect.name == "postgresql":
                lock = engine.connect()
                announced = False
                while not try_lead(lock):
                    if not announced:
                        log.info("another scheduler is active; standing by")
                        announced = True
                    time.sleep(standby_seconds)
        log.info("scheduler started: %s", ", ".join(j.name for j in jobs()))
        scheduler = build_scheduler(app)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            if scheduler.running:
                # Let a pass in progress finish its message and commit.
                scheduler.shutdown(wait=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if lock is not None:
            release_lead(lock)
        log.info("scheduler stopped")
