"""PostgreSQL's plans for a pass's per-person statements when its statistics were taken while
nothing was pending (autovacuum after the morning's mail went out): one person's due reminders
are found through the recipient index, never by walking every pending row of the morning."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import local
from tests.reminders.test_concurrency import RECIPIENTS, _bulk_world
from tracker.extensions import db
from tracker.reminders.models import (
    LISTED_STATUSES,
    LOOKED_UP_STATUSES,
    Delivery,
    DeliveryStatus,
)
from tracker.reminders.passes import _checked_statement, _mark_statements
from tracker.tasks.models import Task

HISTORY_DAYS = 20


def _deliveries(status: str, day: date, send_after: datetime) -> list[dict[str, object]]:
    task_ids = db.session.scalars(sa.select(Task.id).order_by(Task.id)).all()
    return [
        {
            "recipient_id": 1 + n % RECIPIENTS,
            "task_id": task_id,
            "kind": "overdue",
            "day": day,
            "audience": "lead",
            "is_digest": True,
            "send_after_dt": send_after,
            "status": status,
            "attempts": 1 if status == DeliveryStatus.SENT else 0,
            "created_dt": send_after,
        }
        for n, task_id in enumerate(task_ids)
    ]


def _plan(statement: sa.Executable, params: dict[str, object]) -> str:
    """The database's plan of a statement as the pass runs it, with its parameters (SQLite
    chooses a partial index by the values bound)."""
    compiled = statement.compile(dialect=db.engine.dialect)
    expanded = compiled.construct_expanded_state(compiled.construct_params(params))
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        values = tuple(expanded.parameters[name] for name in expanded.positiontup or ())
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + expanded.statement, values)
        return "\n".join(row[-1] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN " + expanded.statement, expanded.parameters)
    return "\n".join(row[0] for row in rows)


@pytest.mark.postgres
def test_due_rows_are_found_through_the_recipient_index(app: Flask, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the plans of PostgreSQL's planner")
    _bulk_world()
    now = local(2017, 4, 17)
    # Weeks of history, all sent, and the statistics taken then.
    for back in range(1, HISTORY_DAYS + 1):
        day = date(2017, 4, 17) - timedelta(days=back)
        db.session.execute(
            sa.insert(Delivery), _deliveries("sent", day, now - timedelta(days=back))
        )
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE reminder_deliveries")
    db.session.commit()
    # This morning's plan: every task's reminder pending, which the statistics do not know.
    db.session.execute(sa.insert(Delivery), _deliveries("pending", date(2017, 4, 17), now))
    db.session.commit()

    checked = _plan(_checked_statement(date(2017, 4, 17)), {"recipient": 7, "now": now})
    assert "ix_reminder_deliveries_recipient_status" in checked, checked
    assert "ix_reminder_deliveries_status_send_after" not in checked, checked
    ids = db.session.scalars(
        sa.select(Delivery.id).where(Delivery.recipient_id == 7, Delivery.status == "pending")
    ).all()
    sent, _skipped = _mark_statements("postgresql")
    marked = _plan(sent, {"ids": ids, "sent_dt": now, "token": "t", "message_id": "<m>"})
    assert "pk_reminder_deliveries" in marked, marked
    assert "status_send_after" not in marked and "recipient_status" not in marked, marked


def test_sqlite_status_indexes_hold_only_what_is_looked_up(app: Flask, backend: str) -> None:
    """SQLite's status indexes are partial too, and its planner uses them for the pass's
    statements although their status is a bound value (an OR-ed term of the index's
    condition matches `status = ?`; an IN list would not)."""
    if backend != "sqlite":
        pytest.skip("the plans of SQLite's planner")
    _bulk_world()
    now = local(2017, 4, 17)
    db.session.execute(sa.insert(Delivery), _deliveries("sent", date(2017, 4, 16), now))
    db.session.execute(sa.insert(Delivery), _deliveries("pending", date(2017, 4, 17), now))
    db.session.commit()

    checked = _plan(_checked_statement(date(2017, 4, 17)), {"recipient": 7, "now": now})
    assert "USING INDEX ix_reminder_deliveries_recipient_status" in checked, checked
    D = Delivery.__table__
    failed = sa.select(D.c.id).where(D.c.status == DeliveryStatus.FAILED.value)
    assert "ix_reminder_deliveries_status_send_after" in _plan(failed, {})
    # The sent history is in neither: each holds the rows of its own condition only.
    pending = db.session.scalar(sa.select(sa.func.count()).where(D.c.status == "pending"))
    assert pending > 0
    for index, statuses, expected in (
        ("ix_reminder_deliveries_recipient_status", LOOKED_UP_STATUSES, pending),
        ("ix_reminder_deliveries_status_send_after", LISTED_STATUSES, 0),
    ):
        where = " OR ".join(f"status = '{status}'" for status in statuses)
        counted = db.session.execute(
            sa.text(f"SELECT count(*) FROM reminder_deliveries INDEXED BY {index} WHERE {where}")
        ).scalar_one()
        sql = db.session.scalar(sa.text(f"SELECT sql FROM sqlite_master WHERE name = '{index}'"))
        assert counted == expected and sql.endswith(f"WHERE {where}"), sql


@pytest.mark.postgres
def test_in_flight_reads_claim_by_claim(app: Flask, backend: str) -> None:
    """The admin's in-flight reminders are looked up claim by claim even when the claim
    table's statistics were taken while it held thousands of rows (during a pass): never a
    scan of the sent history."""
    if backend != "postgresql":
        pytest.skip("the plans of PostgreSQL's planner")
    from tracker.reminders.models import DeliveryClaim
    from tracker.reminders.passes import in_flight

    _bulk_world()
    now = local(2017, 4, 17)
    for back in range(1, 6):
        day = date(2017, 4, 17) - timedelta(days=back)
        db.session.execute(sa.insert(Delivery), _deliveries("sent", day, now))
    claims = [
        {
            "token": f"t{n}",
            "recipient_id": 1 + n % RECIPIENTS,
            "message_id": f"<{n}>",
            "claimed_dt": now,
        }
        for n in range(5000)
    ]
    db.session.execute(sa.insert(DeliveryClaim), claims)
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE reminder_deliveries")
    db.session.connection().exec_driver_sql("ANALYZE reminder_claims")
    db.session.execute(sa.delete(DeliveryClaim))
    db.session.commit()

    plan = _plan(sa.select(sa.func.count()).select_from(in_flight().subquery()), {})
    # Claim by claim: a nested loop over the claim rows, each looking its reminders up
    # through the recipient; never the history sorted or hashed to be matched with them.
    assert re.search(r"Nested Loop.*\n\s*->  Seq Scan on reminder_claims", plan), plan
    assert (
        "Merge Cond" not in plan and "Hash Cond: ((reminder_deliveries_1.recipient_id" not in plan
    )
    assert "Recheck Cond: (recipient_id = reminder_claims.recipient_id)" in plan or (
        "Index Cond: (recipient_id = reminder_claims.recipient_id)" in plan
    ), plan
