"""`tracker bench`: build a synthetic province and measure the pages that matter."""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from tracker.extensions import db


class QueryLog:
    """Counts the statements a request sends, and keeps them to time them bare."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.active = False
        self.statements: list[tuple[str, Any]] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        if self.active and not many:
            self.statements.append((statement, parameters))

    def capture(self, action: Callable[[], Any]) -> tuple[float, list[tuple[str, Any]]]:
        """Run `action`, returning its time in ms and the statements it sent."""
        self.statements = []
        self.active = True
        started = time.perf_counter()
        try:
            action()
        finally:
            self.active = False
        return (time.perf_counter() - started) * 1000, list(self.statements)

    def floor_ms(self, statements: list[tuple[str, Any]]) -> float:
        """Time of the bare statements through the DB-API, rows fetched, no ORM, no Flask."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
        return elapsed


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _summary(times: list[float], floors: list[float], queries: int) -> dict[str, float | int]:
    p50 = statistics.median(times)
    floor = statistics.median(floors) if floors else 0.0
    return {
        "p50_ms": round(p50, 2),
        "p95_ms": round(_percentile(times, 0.95), 2),
        "queries": queries,
        "floor_ms": round(floor, 2),
        "ratio": round(p50 / floor, 2) if floor > 0 else None,  # type: ignore[dict-item]
    }


def _get(client: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    """GET `url` in a fresh application context, as a server runs each request: the command
    runs inside one, and a request would otherwise reuse its `g` with the user the first
    request logged in (until this was found, the chair's dashboard, search and export were
    measured as the unit member's)."""
    with client.application.app_context():
        response = client.get(url, headers=headers or {})
        response.get_data()
    return response


def _measure_get(
    log: QueryLog, client: Any, url: str, samples: int, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    def call() -> None:
        response = _get(client, url, headers)
        if response.status_code != 200:
            raise click.ClickException(f"GET {url} answered {response.status_code}")

    for _ in range(3):  # warm up caches and connections
        call()
    times, floors, queries = [], [], 0
    statements: list[tuple[str, Any]] = []
    for _ in range(samples):
        elapsed, statements = log.capture(call)
        times.append(elapsed)
        queries = len(statements)
    for _ in range(max(5, samples // 3)):
        floors.append(log.floor_ms(statements))
    return _summary(times, floors, queries)


def _measure_once(log: QueryLog, action: Callable[[], Any]) -> dict[str, Any]:
    elapsed, statements = log.capture(action)
    summary = _summary([elapsed], [], len(statements))
    summary["floor_ms"] = None
    return summary


def _database_has_data() -> bool:
    inspector = sa.inspect(db.engine)
    if "tasks" not in inspector.get_table_names():
        return False
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("tasks"))))


MEASUREMENTS = (
    "task_list",
    "api_list",
    "dashboard",
    "dashboard_past",
    "search",
    "export_quarter",
    "reminder_pass",
    # Hand-down (tracker/subtasks): an officer's own work, with 20 % of the tasks broken down.
    "officer_list",
    "officer_api_list",
)


@click.command("bench")
@click.option("--tasks", "n_tasks", default=100_000, show_default=True)
@click.option("--units", "n_units", default=80, show_default=True)
@click.option("--users", "n_users", default=400, show_default=True)
@click.option("--samples", default=30, show_default=True, help="Samples per measurement (≥30).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON line last.")
@click.option("--force", is_flag=True, help="Empty a database that already holds data.")
@click.option(
    "--reuse",
    is_flag=True,
    help="Measure the province an earlier `tracker bench` built in the database, without "
    "building it again (its reminders are emptied first).",
)
@click.option(
    "--only",
    default="",
    help=f"Comma-separated measurements to run (default: all): {', '.join(MEASUREMENTS)}.",
)
@with_appcontext
def bench_command(
    n_tasks: int,
    n_units: int,
    n_users: int,
    samples: int,
    as_json: bool,
    force: bool,
    reuse: bool,
    only: str,
) -> None:
    """Build a synthetic province in TRACKER_DATABASE_URL and measure lists, API, dashboard,
    search, a reminder pass and a quarter's export."""
    from tracker.performance.synthetic import BENCH_TODAY, build_province

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    wanted = [name.strip() for name in only.split(",") if name.strip()] or list(MEASUREMENTS)
    unknown = sorted(set(wanted) - set(MEASUREMENTS))
    if unknown:
        raise click.BadParameter(
            f"unknown measurement(s): {', '.join(unknown)}", param_hint="--only"
        )
    if reuse:
        if not _database_has_data():
            raise click.ClickException("--reuse: the database holds no province.")
        # Tables added to the models since the province was built (nothing else changes).
        db.session.commit()  # ends the read above: creating tables waits for its locks
        inspector = sa.inspect(db.engine)
        missing = [t for t in db.metadata.sorted_tables if not inspector.has_table(t.name)]
        if missing:
            db.metadata.create_all(db.engine, tables=missing)
        n_tasks = _forget_reminders()
    else:
        if _database_has_data() and not force:
            raise click.ClickException(
                "The database already holds data; the benchmark builds its own province. "
                "Point TRACKER_DATABASE_URL at an empty database, or pass --force to empty it."
            )
        db.session.remove()
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        with click.progressbar(
            length=n_tasks, label="Building the province", file=sys.stderr
        ) as bar:
            counts = build_province(n_tasks, n_units, n_users, progress=bar.update)
        build_s = time.perf_counter() - started
        click.echo(f"Built {counts} in {build_s:.1f} s", err=True)
    if db.engine.dialect.name == "postgresql":
        # What autovacuum has long done on a database in use: statistics, and the visibility
        # map without which PostgreSQL cannot answer the reports from the covering index.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))

    now = datetime.combine(BENCH_TODAY, datetime.min.time()).replace(tzinfo=UTC) + timedelta(
        hours=2
    )
    app.config.update(TRACKER_FIXED_NOW=now, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    log = QueryLog(db.engine)
    # As wsgi.py does at a server's start: the long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()
    measurements = _run_measurements(app, log, max(30, samples), now, wanted)
    result = {"tasks": n_tasks, "database": db.engine.dialect.name, "measurements": measurements}
    _print_table(result)
    if as_json:
        click.echo(json.dumps(result))


def _login(app: Flask, username: str) -> Any:
    from tracker.performance.synthetic import BENCH_PASSWORD

    client = app.test_client()
    with app.app_context():
        response = client.post("/login", data={"username": username, "password": BENCH_PASSWORD})
    if response.status_code != 302:
        raise click.ClickException(f"could not log in as {username}")
    return client


def _busiest_unit_user(today: Any) -> tuple[str, int]:
    from tracker.auth.models import User
    from tracker.tasks.models import OPEN_STATUSES, Task

    unit_id = db.session.execute(
        sa.select(Task.lead_unit_id, sa.func.count())
        .where(Task.status.in_([s.value for s in OPEN_STATUSES]), Task.deadline < today)
        .group_by(Task.lead_unit_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()[0]
    username = db.session.scalar(
        sa.select(User.username).where(User.unit_id == unit_id, User.role == "unit").limit(1)
    )
    return username, unit_id


def _forget_reminders() -> int:
    """Empty the reminders a previous run planned and sent, so a reused province's pass
    starts from the same state as a fresh one's. Returns the province's task count."""
    from tracker.reminders.models import Delivery, DeliveryClaim, ReminderState, WebhookDelivery
    from tracker.tasks.models import Task

    for model in (WebhookDelivery, DeliveryClaim, Delivery, ReminderState):
        db.session.execute(sa.delete(model))
    db.session.commit()
    return int(db.session.scalar(sa.select(sa.func.count(Task.id))) or 0)


def _run_measurements(
    app: Flask, log: QueryLog, samples: int, now: datetime, wanted: list[str] | None = None
) -> dict[str, Any]:
    from tracker.auth.models import User
    from tracker.auth.operations import create_api_token
    from tracker.performance.synthetic import BENCH_TODAY

    username, unit_id = _busiest_unit_user(BENCH_TODAY)
    unit_client = _login(app, username)
    chair_client = _login(app, "chair0")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    token = create_api_token(user, "bench")
    db.session.commit()
    year = BENCH_TODAY.year
    quarter = f"{year}-Q{(BENCH_TODAY.month - 1) // 3 + 1}"
    results: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        (
            "task_list",
            lambda: _measure_get(log, unit_client, "/tasks/?timeliness=open_overdue", samples),
        ),
        (
            "api_list",
            lambda: _measure_get(
                log,
                app.test_client(),
                f"/api/v1/tasks?timeliness=open_overdue&unit={unit_id}&per_page=50",
                samples,
                headers={"Authorization": f"Bearer {token}"},
            ),
        ),
        ("dashboard", lambda: _measure_get(log, chair_client, f"/reports/?period={year}", samples)),
        # A year that has ended: counted as of its last day, so the tasks completed or given a
        # new deadline after it are looked up and corrected (tracker/reports/asof.py).
        (
            "dashboard_past",
            lambda: _measure_get(log, chair_client, f"/reports/?period={year - 1}", samples),
        ),
        (
            "search",
            lambda: _measure_get(log, chair_client, "/tasks/?q=giai phong mat bang", samples),
        ),
        (
            "export_quarter",
            lambda: _measure_once(
                log,
                lambda: _expect_ok(_get(chair_client, f"/reports/export.xlsx?period={quarter}")),
            ),
        ),
        # Last: it sends thousands of messages and changes reminder state.
        ("reminder_pass", lambda: _measure_once(log, lambda: _digest_pass(now))),
        ("officer_list", lambda: _measure_officer(app, log, samples, api=False)),
        ("officer_api_list", lambda: _measure_officer(app, log, samples, api=True)),
    ]
    for name, step in steps:
        if wanted is not None and name not in wanted:
            continue
        if name == "reminder_pass":
            started = time.perf_counter()
            _reminder_pass(now)
            click.echo(
                f"  early pass (event notifications): {time.perf_counter() - started:.1f} s",
                err=True,
            )
        click.echo(f"measuring {name} ...", err=True)
        try:
            results[name] = step()
        except Exception as error:  # a missing piece must not hide the other figures
            db.session.rollback()
            click.echo(f"  {name} failed: {error}", err=True)
            results[name] = {
                "p50_ms": None,
                "p95_ms": None,
                "queries": None,
                "floor_ms": None,
                "ratio": None,
            }
        click.echo(f"  {name}: {results[name]}", err=True)
    return results


def _measure_officer(app: Flask, log: QueryLog, samples: int, *, api: bool) -> dict[str, Any]:
    """The busiest officer's "Việc của tôi" page, or `GET /api/v1/tasks?assignee=me`, with a
    fifth of the tasks broken down into three parts each (built once, kept with the province)."""
    from tracker.auth.models import User
    from tracker.auth.operations import create_api_token
    from tracker.performance.synthetic import BENCH_TODAY
    from tracker.subtasks.synthetic import break_down, busiest_officer

    started = time.perf_counter()
    made = break_down(BENCH_TODAY)
    click.echo(f"  sub-tasks: {made} ({time.perf_counter() - started:.1f} s)", err=True)
    username = busiest_officer()
    if not api:
        return _measure_get(log, _login(app, username), "/my-work", samples)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    token = create_api_token(user, "bench-officer")
    db.session.commit()
    return _measure_get(
        log,
        app.test_client(),
        "/api/v1/tasks?assignee=me&per_page=50",
        samples,
        headers={"Authorization": f"Bearer {token}"},
    )


def _expect_ok(response: Any) -> None:
    if response.status_code != 200:
        raise click.ClickException(f"answered {response.status_code}")
    response.get_data()


def _reminder_pass(now: datetime) -> None:
    from tracker.performance.synthetic import BENCH_TODAY, reminder_history
    from tracker.reminders.passes import run_pass

    started = time.perf_counter()
    made = reminder_history(BENCH_TODAY)
    click.echo(
        f"  reminder history of the day before: {made} rows in {time.perf_counter() - started:.1f} s",
        err=True,
    )
    # Statistics that know the history, as autovacuum keeps them on a tracker that has been
    # running (the bench's own ANALYZE ran before the history existed). With the table
    # believed empty, PostgreSQL planned the overdue planning's "already reminded?"
    # anti-join as a scan of every reminder for each overdue task: 50 s instead of 1 s, or
    # not, depending on whether an earlier VACUUM had truncated the table.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE reminder_deliveries"))

    # Morning of the bench day, when the digest goes out (07:30 local). The scheduler runs a
    # pass every few minutes, so the immediate notifications of the last days' history went
    # out in earlier passes: one untimed pass before the digest time sends them first.
    run_pass(now - timedelta(hours=3), dry_run=False)
    db.session.commit()
    _settle()


def _settle() -> None:
    """Write out what the bench's preparation changed, as a tracker's history would have
    been by the next morning: otherwise the checkpoint its hundreds of megabytes of WAL set
    off (on PostgreSQL, one every 40 s while the bench prepares) writes during the timed
    pass, which then took 3.6 to 5.3 s from one run to the next."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        try:
            conn.exec_driver_sql("CHECKPOINT")
        except sa.exc.DBAPIError as error:  # needs a superuser or pg_checkpoint (15+)
            click.echo(f"  no checkpoint before the pass: {error.orig}", err=True)


def _digest_pass(now: datetime) -> None:
    from tracker.reminders.passes import run_pass

    run_pass(now - timedelta(hours=1, minutes=30), dry_run=False)


def _print_table(result: dict[str, Any]) -> None:
    click.echo(f"{result['tasks']:,} tasks on {result['database']}")
    click.echo(
        f"{'measurement':<16}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'floor ms':>10}{'ratio':>8}"
    )
    for name, m in result["measurements"].items():

        def fmt(value: Any, width: int) -> str:
            return f"{value:>{width}}" if value is not None else f"{'-':>{width}}"

        click.echo(
            f"{name:<16}{fmt(m['p50_ms'], 10)}{fmt(m['p95_ms'], 10)}{fmt(m['queries'], 9)}"
            f"{fmt(m['floor_ms'], 10)}{fmt(m['ratio'], 8)}"
        )


commands = [bench_command]
