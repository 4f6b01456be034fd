"""Two passes at once against 1,000 due tasks: nothing is sent twice, nothing is lost."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import SmtpHandler, local
from tracker.auth.models import User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reminders.passes import PassResult, run_pass
from tracker.tasks.models import Task
from tracker.units.models import Unit

RECIPIENTS = 100
TASKS_EACH = 10


def _bulk_world() -> None:
    """100 units with one member each, each leading 10 tasks due today (core inserts)."""
    now = datetime(2017, 4, 10, 0, 0, tzinfo=UTC)
    db.session.execute(
        sa.insert(Unit),
        [{"id": i, "name": f"Đơn vị {i}", "name_folded": f"don vi {i}"} for i in range(1, 101)],
    )
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": i,
                "username": f"u{i}",
                "full_name": f"Người {i}",
                "email": f"u{i}@vanho.example",
                "unit_id": i,
                "role": "unit",
                "password_hash": "x",
            }
            for i in range(1, RECIPIENTS + 1)
        ],
    )
    db.session.execute(sa.insert(Meeting), [{"id": 1, "title": "Họp", "held_on": date(2017, 4, 3)}])
    db.session.execute(
        sa.insert(Task),
        [
            {
                "meeting_id": 1,
                "content": f"Nhiệm vụ {n}",
                "lead_unit_id": 1 + n % RECIPIENTS,
                "deadline": date(2017, 4, 17),
                "status": "new",
                "last_activity_dt": now,
            }
            for n in range(RECIPIENTS * TASKS_EACH)
        ],
    )
    db.session.commit()


@pytest.mark.slow
def test_two_passes_at_once_send_nothing_twice(
    mail_app: Flask, smtp: SmtpHandler, backend: str
) -> None:
    _bulk_world()
    db.session.remove()
    now = local(2017, 4, 17)
    barrier = threading.Barrier(2)
    results: list[PassResult] = []
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            with mail_app.app_context():
                barrier.wait()
                results.append(run_pass(now))
                db.session.remove()
        except BaseException as error:  # reported below, with the thread's traceback lost
            errors.append(error)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(r.planned for r in results) == RECIPIENTS * TASKS_EACH
    sent = Counter(
        (message.to, reminder) for message in smtp.received for reminder in message.reminders
    )
    assert len(sent) == RECIPIENTS * TASKS_EACH  # every (recipient, task, kind) ...
    assert max(sent.values()) == 1  # ... exactly once
    assert sum(r.sent for r in results) == len(smtp.received)
    # Normally one digest per person; a race can split one person's digest between the two
    # passes, never duplicate it.
    assert len(smtp.received) <= RECIPIENTS + 2
