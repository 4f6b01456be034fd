"""The report tallies (task_tallies) stay equal to a count of the tasks whatever writes them,
and the dashboard's counts read from them equal the counts read from the tasks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import PG_URL, make_app
from tests.factories import build_world, make_meeting, make_task, make_unit
from tests.sql import recorded_statements
from tests.test_schema import fresh_database
from tracker.extensions import db
from tracker.reports import operations, tallies
from tracker.reports.models import TaskTally
from tracker.reports.periods import parse_period
from tracker.tasks.models import Task

STATUSES = ["new", "in_progress", "submitted", "done", "returned", "paused", "cancelled"]
BASE = date(2017, 4, 1)


def _expected() -> dict[tuple[date, int], tuple[int, int, int, int]]:
    """The tallies worked out in Python from the tasks."""
    expected: dict[tuple[date, int], list[int]] = {}
    for task in db.session.scalars(sa.select(Task)):
        if task.deadline is None or task.status in ("paused", "cancelled"):
            continue
        counts = expected.setdefault((task.deadline, task.lead_unit_id), [0, 0, 0, 0])
        if task.status != "done":
            counts[0] += 1
        elif task.completed_on is None or task.completed_on <= task.deadline:
            counts[1] += 1
        else:
            counts[2] += 1
        counts[3] += task.extension_count > 0
    return {key: tuple(value) for key, value in expected.items()}  # type: ignore[misc]


def _kept() -> dict[tuple[date, int], tuple[int, int, int, int]]:
    rows = db.session.scalars(sa.select(TaskTally)).all()
    return {
        (t.deadline, t.lead_unit_id): (t.open_count, t.done_on_time, t.done_late, t.extended)
        for t in rows
        if (t.open_count, t.done_on_time, t.done_late, t.extended) != (0, 0, 0, 0)
    }


def _check() -> None:
    db.session.flush()
    db.session.expire_all()
    assert _kept() == _expected()
    assert tallies.differences(db.session.connection()) == []


def _random_task(rng: random.Random, meeting: Any, actor: Any, units: list[Any]) -> Task:
    task = make_task(meeting, actor, rng.choice(units))
    # Set after creation: deadlines before the meeting are refused by the form, not the table.
    task.deadline = BASE - timedelta(days=rng.randrange(-60, 20)) if rng.random() > 0.1 else None
    _randomise(rng, task, units)
    return task


def _randomise(rng: random.Random, task: Task, units: list[Any]) -> None:
    task.status = rng.choice(STATUSES)
    task.completed_on = (
        (task.deadline or BASE) + timedelta(days=rng.randrange(-5, 6))
        if task.status == "done" and rng.random() > 0.2
        else None
    )
    task.extension_count = rng.choice([0, 0, 1, 2])
    if rng.random() < 0.3:
        task.lead_unit_id = rng.choice(units).id


def test_tallies_follow_every_kind_of_write(app: Flask) -> None:
    rng = random.Random(7)
    world = build_world()
    units = [world.noivu, world.taichinh, world.tuphap, make_unit("Phòng Y tế")]
    meetings = [make_meeting(world.office, held_on=date(2017, 3, d)) for d in (20, 25, 28)]
    tasks = [_random_task(rng, rng.choice(meetings), world.office, units) for _ in range(60)]
    _check()

    # ORM updates of every watched column, and of one that is not watched.
    for task in rng.sample(tasks, 30):
        _randomise(rng, task, units)
        if rng.random() < 0.5:
            task.deadline = BASE + timedelta(days=rng.randrange(0, 40))
    tasks[0].content = "Nội dung sửa, không đổi số đếm"
    _check()
    for task in tasks[:5]:
        task.deadline = None
    _check()

    # ORM delete, and a meeting deleted with its tasks (the foreign key's cascade).
    db.session.delete(tasks[10])
    db.session.flush()
    _check()
    db.session.execute(sa.delete(Task).where(Task.meeting_id == meetings[0].id))
    db.session.execute(sa.text("DELETE FROM meetings WHERE id = :id"), {"id": meetings[1].id})
    _check()

    # Core statements touching many rows at once: insert, update, delete.
    T = Task.__table__
    template = db.session.execute(sa.select(T).where(T.c.id == world.task.id)).mappings().one()
    rows = []
    for i in range(200):
        row = {k: v for k, v in template.items() if k != "id"}
        row.update(
            meeting_id=meetings[2].id,
            lead_unit_id=units[i % 4].id,
            deadline=BASE + timedelta(days=i % 30),
            status=STATUSES[i % 7],
            completed_on=BASE + timedelta(days=(i * 7) % 33) if i % 7 == 3 else None,
            extension_count=i % 3,
        )
        rows.append(row)
    db.session.execute(T.insert(), rows)
    _check()
    db.session.execute(
        sa.update(T)
        .where(T.c.deadline < BASE + timedelta(days=10))
        .values(status="done", completed_on=BASE + timedelta(days=12))
    )
    _check()
    db.session.execute(sa.update(T).values(lead_unit_id=units[0].id).where(T.c.id % 3 == 0))
    _check()
    db.session.execute(sa.delete(T).where(T.c.status == "done"))
    _check()
    db.session.commit()
    _check()


def test_a_rolled_back_change_leaves_the_tallies_as_they_were(app: Flask) -> None:
    world = build_world()
    before = _kept()
    world.task.status = "done"
    world.task.completed_on = date(2017, 5, 1)
    db.session.flush()
    assert _kept() != before
    db.session.rollback()
    assert _kept() == before == _expected()


@pytest.mark.parametrize(
    ("period", "today"),
    [
        ("2017-Q2", date(2017, 4, 10)),
        ("2017-04", date(2017, 4, 3)),
        ("2017", date(2017, 4, 10)),
        ("2017-Q1", date(2017, 4, 10)),
        ("2017-Q2", date(2017, 8, 1)),
    ],
)
def test_the_counts_read_from_the_tallies_equal_the_counts_of_the_tasks(
    data: Any, monkeypatch: pytest.MonkeyPatch, period: str, today: date
) -> None:
    rng = random.Random(period)
    units = [data.a, data.b, data.c]
    for _ in range(80):
        _random_task(rng, rng.choice([data.m1, data.m2]), data.office, units)
    db.session.commit()

    def counts(scope: operations.ReportScope) -> tuple[Any, Any]:
        summary = operations.unit_summary(scope)
        rows = [row.as_dict() for row in summary.rows]
        return rows, summary.total.as_dict(), operations.class_series(scope)

    scopes = [
        operations.make_scope(parse_period(period), today=today),
        operations.make_scope(parse_period(period), today=today, viewer=data.chair),
        operations.make_scope(parse_period(period), today=today, unit_id=data.b.id),
    ]
    for scope in scopes:
        assert operations.reads_tallies(scope)
        from_tallies = counts(scope)
        monkeypatch.setattr(operations, "reads_tallies", lambda _scope: False)
        assert counts(scope) == from_tallies
        monkeypatch.undo()
        assert from_tallies[1]["assigned"] > 0 or period == "2017-Q1"


def test_who_reads_the_tallies(data: Any) -> None:
    period = parse_period("2017-Q2")
    today = date(2017, 4, 10)
    assert operations.reads_tallies(operations.make_scope(period, today=today, viewer=data.office))
    # A unit member's report counts the tasks it leads or coordinates: from the tasks.
    assert not operations.reads_tallies(
        operations.make_scope(period, today=today, viewer=data.a_user)
    )
    # One meeting, or the original deadlines: from the tasks.
    assert not operations.reads_tallies(
        operations.make_scope(period, today=today, meeting_id=data.m1.id)
    )
    assert not operations.reads_tallies(
        operations.make_scope(period, today=today, against="original")
    )


def test_the_dashboard_counts_do_not_read_the_tasks(app: Flask, data: Any, login: Any) -> None:
    with recorded_statements() as statements:
        response = login(data.chair).get("/reports/?period=2017-Q2")
    assert response.status_code == 200
    grouped = [s for s in statements if "GROUP BY" in s and "task_tallies" in s]
    assert len(grouped) == 2  # the per-unit table and the monthly series
    assert not [s for s in grouped if "FROM tasks" in s]


def test_the_rebuild_command(app: Flask, runner: Any) -> None:
    build_world()
    db.session.execute(sa.update(TaskTally).values(open_count=TaskTally.open_count + 5))
    db.session.commit()
    result = runner.invoke(args=["rebuild-tallies", "--check"])
    assert result.exit_code == 1
    assert "1 tallies differ" in result.output
    result = runner.invoke(args=["rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "(1 differed)" in result.output
    db.session.expire_all()
    assert _kept() == _expected()
    result = runner.invoke(args=["rebuild-tallies", "--check"])
    assert result.exit_code == 0
    assert "match" in result.output


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_migration_counts_the_existing_tasks(backend_name: str, tmp_path: Any) -> None:
    if backend_name == "postgresql" and not PG_URL:
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    with fresh_database(backend_name, tmp_path) as url:
        app = make_app(url, "sqlite", tmp_path / "instance")
        with app.app_context():
            upgrade()
            world = build_world()
            make_task(world.meeting, world.office, world.tuphap, deadline=date(2017, 5, 2))
            db.session.commit()
            counted = _expected()
            assert len(counted) == 2
            db.session.commit()  # no transaction of ours holding the tables the downgrade drops
            # Back to before the tallies (table and triggers gone), a change, then up again.
            downgrade(revision="b7e3f1a9c2d4")
            assert "task_tallies" not in sa.inspect(db.engine).get_table_names()
            db.session.execute(sa.update(Task).values(status="done", completed_on=date(2017, 6, 1)))
            db.session.commit()
            db.session.close()
            upgrade()
            assert _kept() == _expected() != counted
            # And the triggers are there after the migration.
            world.task.status = "in_progress"
            db.session.commit()
            assert _kept() == _expected()
            db.session.remove()
            db.engine.dispose()
