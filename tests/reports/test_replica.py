"""TRACKER_REPORTS_DATABASE_URL: reports read a second database (a streaming replica in
production), writes stay on the main one, and without the setting everything reads the main one.

The second database here is a copy of the main one with deliberately different data: unit A is
renamed "Phòng Nội vụ (bản sao)" and every task is done. Whatever shows the new name or 100 %
was read from the second database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests.conftest import PG_URL, _worker_schema, make_app
from tests.reports.conftest import build_dataset
from tracker.auth.audit import AuditKind
from tracker.auth.models import AuditEvent, User
from tracker.auth.operations import create_api_token
from tracker.config import load_config
from tracker.extensions import db
from tracker.reports.replica import lag_seconds, report_session, reports_engine
from tracker.tasks.models import Task, TaskEvent
from tracker.units.models import Unit

COPY_NAME = "Phòng Nội vụ (bản sao)"


def _reports_options(backend: str, tmp_path: Path) -> dict[str, Any]:
    """The second database's settings: a SQLite file, or on PostgreSQL a schema of its own in
    the test database."""
    if backend == "sqlite":
        return {"url": f"sqlite:///{tmp_path}/reports.db"}
    schema = _worker_schema() + "_reports"
    return {"url": PG_URL, "connect_args": {"options": f"-csearch_path={schema},public"}}


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    """The app settings pointing reports at that database."""
    engine_options = {key: value for key, value in options.items() if key != "url"}
    return {
        "TRACKER_REPORTS_DATABASE_URL": options["url"],
        "TRACKER_REPORTS_ENGINE_OPTIONS": engine_options,
    }


def _prepare_reports_database(backend: str, options: dict[str, Any]) -> sa.Engine:
    """Empty tables in the second database."""
    engine = sa.create_engine(options["url"], connect_args=options.get("connect_args", {}))
    if backend == "postgresql":
        schema = _worker_schema() + "_reports"
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db.metadata.create_all(engine)
    return engine


def _copy_and_change(target: sa.Engine) -> None:
    """Copy the main database into `target` as a replica would, then make it differ."""
    with db.engine.connect() as source, target.begin() as dest:
        for table in db.metadata.sorted_tables:
            if table.name == "task_tallies":
                continue  # the copy's own triggers count the tasks copied into it
            rows = [dict(row._mapping) for row in source.execute(table.select())]
            if rows:
                dest.execute(table.insert(), rows)
        dest.execute(
            sa.update(Unit.__table__).where(Unit.name == "Phòng Nội vụ").values(name=COPY_NAME)
        )
        dest.execute(
            sa.update(Task.__table__).values(
                status="done",
                completed_on=sa.func.coalesce(Task.__table__.c.deadline, date(2017, 4, 1)),
            )
        )


def _rows(engine: sa.Engine, query: sa.Select[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


EXPORTS = (
    sa.select(sa.func.count())
    .select_from(AuditEvent)
    .where(AuditEvent.kind == AuditKind.EXPORT.value)
)


@pytest.fixture
def second_db(backend: str, app: Flask, tmp_path: Path) -> Iterator[tuple[dict[str, Any], Any]]:
    """The main database (the `app` fixture's, with the report dataset) and a changed copy."""
    data = build_dataset()
    options = _reports_options(backend, tmp_path)
    engine = _prepare_reports_database(backend, options)
    _copy_and_change(engine)
    yield options, data
    engine.dispose()


@pytest.fixture
def replica_app(
    backend: str, database_urls: dict[str, str], second_db: Any, tmp_path: Path
) -> Iterator[Flask]:
    """An app on the same main database whose reports read the second database."""
    options, _data = second_db
    other = make_app(
        database_urls[backend],
        backend,
        tmp_path / "replica-instance",
        **_settings(options),
    )
    with other.app_context():
        yield other
        db.session.remove()
        db.engine.dispose()
        reports_engine().dispose()


def _client(app: Flask, user_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.get(User, user_id)
        return app.test_client(user=user)


def test_dashboard_reads_the_second_database(replica_app: Flask, second_db: Any) -> None:
    _options, data = second_db
    html = _client(replica_app, data.office.id).get("/reports/?period=2017").get_data(as_text=True)
    assert f"{COPY_NAME}</a>" in html
    assert "Phòng Nội vụ</a>" not in html  # the main database's name: only in the unit filter
    # Every task is done there: nothing overdue, although the main database has some.
    assert "Nhiệm vụ số 10" not in html


def test_without_the_setting_everything_reads_the_main_database(
    app: Flask, second_db: Any, login
) -> None:  # type: ignore[no-untyped-def]
    _options, data = second_db
    html = login(data.office).get("/reports/?period=2017").get_data(as_text=True)
    assert "Phòng Nội vụ</a>" in html and COPY_NAME not in html
    assert "Nhiệm vụ số 10" in html  # overdue in the main database
    assert report_session() is db.session


def _count(engines: dict[str, sa.Engine], client: Any, url: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {name: [] for name in engines}
    listeners = {}
    for name, engine in engines.items():

        def listener(conn, cursor, statement, params, context, many, name=name) -> None:  # type: ignore[no-untyped-def]
            seen[name].append(statement)

        listeners[name] = listener
        sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        for name, engine in engines.items():
            sa.event.remove(engine, "before_cursor_execute", listeners[name])
    return seen


def test_the_report_queries_move_none_added(app: Flask, replica_app: Flask, second_db: Any) -> None:
    """The same number of statements as on one database, the counting ones on the second."""
    _options, data = second_db
    url = "/reports/?period=2017"
    with app.app_context():
        alone = _count({"main": db.engine}, _client(app, data.office.id), url)["main"]
    split = _count(
        {"main": db.engine, "reports": reports_engine()},
        _client(replica_app, data.office.id),
        url,
    )
    assert len(split["main"]) + len(split["reports"]) == len(alone)
    # unit summary, per-meeting progress, monthly series, overdue list
    assert len([s for s in split["reports"] if "GROUP BY" in s]) == 3
    assert len(split["reports"]) >= 4
    assert not [s for s in split["main"] if "GROUP BY" in s]


def test_export_reads_the_second_database_and_audits_on_the_main_one(
    replica_app: Flask, second_db: Any
) -> None:
    _options, data = second_db
    replica = reports_engine()
    response = _client(replica_app, data.office.id).get("/reports/export.csv?period=2017")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    assert COPY_NAME in body
    assert _rows(db.engine, EXPORTS) == 1
    assert _rows(replica, EXPORTS) == 0


def test_api_report_reads_the_second_database(replica_app: Flask, second_db: Any) -> None:
    _options, data = second_db
    # The token exists only in the main database: signing in reads the main one.
    token = create_api_token(db.session.get(User, data.office.id), "test")
    db.session.commit()
    response = replica_app.test_client().get(
        "/api/v1/reports/units?period=2017-Q2", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    first = response.get_json()["units"][0]
    assert first["unit_name"] == COPY_NAME
    assert first["open_overdue"] == 0 and first["completion_rate"] == 100.0


def test_report_command_reads_the_second_database(
    replica_app: Flask, second_db: Any, tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    result = replica_app.test_cli_runner().invoke(
        args=["report", "--period", "2017", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert COPY_NAME in out.read_text(encoding="utf-8-sig")
    assert _rows(db.engine, EXPORTS) == 1
    assert _rows(reports_engine(), EXPORTS) == 0


def test_a_task_update_goes_to_the_main_database(replica_app: Flask, second_db: Any) -> None:
    _options, data = second_db
    task_id = data.tasks[10].id
    client = _client(replica_app, data.office.id)
    response = client.post(f"/tasks/{task_id}/comment", data={"comment-note": "ý kiến mới"})
    assert response.status_code == 302
    notes = (
        sa.select(sa.func.count())
        .select_from(TaskEvent)
        .where(TaskEvent.task_id == task_id, TaskEvent.note == "ý kiến mới")
    )
    assert _rows(db.engine, notes) == 1
    assert _rows(reports_engine(), notes) == 0


def test_an_unreachable_second_database_falls_back_when_lag_is_checked(
    backend: str, database_urls: dict[str, str], second_db: Any, tmp_path: Path
) -> None:
    _options, data = second_db
    unreachable = (
        {"url": f"sqlite:///{tmp_path}/no-such-folder/reports.db"}
        if backend == "sqlite"
        else {"url": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    )
    other = make_app(
        database_urls[backend],
        backend,
        tmp_path / "unreachable-instance",
        **_settings(unreachable),
        TRACKER_REPORTS_MAX_LAG_SECONDS=30,
    )
    with other.app_context():
        response = _client(other, data.office.id).get("/reports/?period=2017")
        assert response.status_code == 200
        assert "Phòng Nội vụ</a>" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
        reports_engine().dispose()


def test_a_current_second_database_is_used_when_lag_is_checked(
    replica_app: Flask, second_db: Any
) -> None:
    _options, data = second_db
    replica_app.config["TRACKER_REPORTS_MAX_LAG_SECONDS"] = 30
    with Session(reports_engine()) as session:
        assert lag_seconds(session) == 0  # no standby here: nothing to replay
    html = _client(replica_app, data.office.id).get("/reports/?period=2017").get_data(as_text=True)
    assert f"{COPY_NAME}</a>" in html


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://app@127.0.0.1:6432/tracker")
    monkeypatch.setenv("TRACKER_REPORTS_DATABASE_URL", "postgresql+psycopg://app@replica/tracker")
    monkeypatch.setenv("TRACKER_DATABASE_PGBOUNCER", "1")
    config = load_config(str(tmp_path))
    assert config["TRACKER_REPORTS_DATABASE_URL"].endswith("@replica/tracker")
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    assert config["TRACKER_REPORTS_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    monkeypatch.delenv("TRACKER_REPORTS_DATABASE_URL")
    monkeypatch.delenv("TRACKER_DATABASE_PGBOUNCER")
    config = load_config(str(tmp_path))
    assert config["TRACKER_REPORTS_DATABASE_URL"] == ""
    assert "connect_args" not in config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    monkeypatch.setenv("TRACKER_DATABASE_PGBOUNCER", "1")
    with pytest.raises(RuntimeError, match="TRACKER_DATABASE_PGBOUNCER"):
        load_config(str(tmp_path))
