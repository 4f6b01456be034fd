"""A pass sending with several threads (TRACKER_REMINDER_THREADS): every reminder once, one
digest per person, the same counts as one thread; who decides how many threads."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import RecordingMailer, SmtpHandler, local
from tests.reminders.test_concurrency import RECIPIENTS, TASKS_EACH, _bulk_world
from tests.sql import listening
from tracker.extensions import db
from tracker.reminders import passes
from tracker.reminders.models import Delivery, DeliveryStatus
from tracker.reminders.operations.planning import plan, plan_scheduled
from tracker.reminders.operations.rules import load_rules
from tracker.reminders.passes import make_clock
from tracker.tasks.models import Task


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of threads each pass's send_due was given."""
    threads: list[int] = []
    original = passes.send_due

    def spy(*args: Any, **kw: Any) -> None:
        threads.append(kw.get("threads", 1))
        original(*args, **kw)

    monkeypatch.setattr(passes, "send_due", spy)
    return threads


@pytest.mark.parametrize("threads", [1, 3])
def test_a_threaded_pass_sends_every_reminder_once(
    mail_app: Flask, smtp: SmtpHandler, run: Any, threads: int, used: list[int]
) -> None:
    mail_app.config["TRACKER_REMINDER_THREADS"] = threads
    _bulk_world()
    switch_interval = sys.getswitchinterval()
    result = run(local(2017, 4, 17))
    assert used == [threads]
    assert sys.getswitchinterval() == switch_interval  # lowered only while threads send
    assert result.planned == RECIPIENTS * TASKS_EACH
    assert result.sent == len(smtp.received) == RECIPIENTS  # one digest per person
    sent = Counter(
        (message.to, reminder) for message in smtp.received for reminder in message.reminders
    )
    assert len(sent) == RECIPIENTS * TASKS_EACH and max(sent.values()) == 1
    assert len({str(m.message["Message-ID"]) for m in smtp.received}) == RECIPIENTS
    statuses = db.session.execute(
        sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    ).all()
    assert dict(statuses) == {DeliveryStatus.SENT.value: RECIPIENTS * TASKS_EACH}
    # Nothing left claimed, and a second pass has nothing to send.
    assert run(local(2017, 4, 17, 7, 45)).sent == 0


def test_how_many_threads(app: Flask) -> None:
    app.config["TRACKER_REMINDER_THREADS"] = 0
    assert passes.sending_threads() == 2
    app.config["TRACKER_REMINDER_THREADS"] = 4
    assert passes.sending_threads() == 4


def test_a_mailer_passed_in_sends_alone(app: Flask, run: Any, used: list[int]) -> None:
    """A mailer object given to the pass (one connection) is never shared among threads."""
    app.config["TRACKER_REMINDER_THREADS"] = 4

    _bulk_world()
    mailer = RecordingMailer()
    result = run(local(2017, 4, 17), mailer=mailer)
    assert used == [1]
    assert result.sent == len(mailer.messages) == RECIPIENTS


def test_a_sending_thread_keeps_one_connection(
    mail_app: Flask, smtp: SmtpHandler, run: Any
) -> None:
    """Each thread's session stays on one connection for its share: not one pool checkout
    (and liveness ping) per person."""
    mail_app.config["TRACKER_REMINDER_THREADS"] = 2
    _bulk_world()
    checkouts: list[str] = []
    with listening("checkout", lambda *_: checkouts.append(threading.current_thread().name)):
        result = run(local(2017, 4, 17))
    assert result.sent == RECIPIENTS
    sending = [name for name in checkouts if name.startswith("reminders")]
    assert len(sending) == 2, Counter(checkouts)


def _overdue_world() -> None:
    """The bulk world's tasks with deadlines over the six weeks around the pass's day (most
    of them overdue on 17/4), and a responsible person for a third of them."""
    _bulk_world()
    T = Task.__table__
    db.session.execute(
        sa.update(T).values(
            deadline=sa.literal(date(2017, 3, 20)) + T.c.id % 40,  # PostgreSQL's date + days
            responsible_id=sa.case((T.c.id % 3 == 0, 1 + T.c.id % RECIPIENTS), else_=None),
        )
    )
    db.session.commit()


def _planned() -> set[tuple[Any, ...]]:
    D = Delivery.__table__
    return set(
        db.session.execute(sa.select(D.c.recipient_id, D.c.task_id, D.c.kind, D.c.audience)).all()
    )


@pytest.mark.postgres
def test_planning_on_two_connections_plans_what_one_plans(app: Flask, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: planning runs on one connection")
    _overdue_world()
    clock = make_clock(local(2017, 4, 17), load_rules())
    alone = plan(clock, clock_rules := load_rules())
    one = _planned()
    db.session.rollback()
    assert alone == len(one) > 500 and _planned() == set()

    threads: set[str] = set()

    def planning(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO reminder_deliveries"):
            threads.add(threading.current_thread().name)

    with listening("before_cursor_execute", planning):
        together = plan(clock, clock_rules, connections=2)
    db.session.commit()
    assert together == alone and _planned() == one
    assert {name.rsplit("_", 1)[0] for name in threads} == {"planning"} and len(threads) == 2
    kinds = Counter(kind for _r, _t, kind, _a in one)
    assert kinds["overdue"] > 300 and kinds["due_soon"] > 0  # both shares of overdue tasks
    # Planned already: a second plan of the day (a pass that failed after planning) adds
    # nothing.
    assert plan_scheduled(clock, clock_rules, connections=2) == 0
