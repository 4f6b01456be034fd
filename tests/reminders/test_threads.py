"""A pass sending with several threads (TRACKER_REMINDER_THREADS): every reminder once, one
digest per person, the same counts as one thread; who decides how many threads."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import RecordingMailer, SmtpHandler, local
from tests.reminders.test_concurrency import RECIPIENTS, TASKS_EACH, _bulk_world
from tracker.extensions import db
from tracker.reminders import passes
from tracker.reminders.models import Delivery, DeliveryStatus


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
