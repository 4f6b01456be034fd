"""The reminder pass survives an SMTP outage, its database connection terminated mid-pass
(PostgreSQL) and SIGKILL mid-send: afterwards every due reminder is delivered, at most one
twice (the one in flight), and the admin sees what happened.

These tests stop one sender at a chosen message, so they run the pass with one sending thread
(TRACKER_REMINDER_THREADS=1); with N threads up to N messages are in flight, and a killed pass
may deliver each of those twice. tests/reminders/test_threads.py covers the threaded pass."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from tests.factories import World, make_task, make_unit, make_user
from tests.reminders.conftest import Received, SmtpHandler, free_port, local
from tracker.extensions import db
from tracker.reminders.mail import SmtpMailer
from tracker.reminders.models import Delivery, DeliveryClaim, DeliveryStatus
from tracker.reminders.passes import CLAIM_LEASE, RESENT_NOTE, in_flight

EXTRA_UNITS = 4
PASS_AT = local(2017, 4, 17)  # the due-soon reminders of tasks due 20/4 go out at 7:30


@pytest.fixture(autouse=True)
def one_sending_thread(app: Flask) -> None:
    app.config["TRACKER_REMINDER_THREADS"] = 1


def _more_recipients(world: World) -> None:
    """Four more units, each leading a task due 20/4: six recipients in all."""
    for i in range(EXTRA_UNITS):
        unit = make_unit(f"Phòng Thử thách {i}")
        make_user(unit=unit, username=f"thuthach{i}", full_name=f"Người Thử {i}")
        make_task(world.meeting, world.office, unit, deadline=world.task.deadline)
    db.session.commit()


def _rows() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Delivery).order_by(Delivery.id)))


def _in_flight() -> list[Delivery]:
    """Marked sent, their message's claim still open: what the admin's "sending" list shows."""
    db.session.expire_all()
    return list(db.session.scalars(in_flight()))


def _reminder_keys(received: list[Received]) -> Counter[tuple[str, str]]:
    return Counter((m.to, key) for m in received for key in m.reminders)


def _expected_keys() -> set[tuple[str, str]]:
    return {
        (row.recipient.email, f"{row.task_id}:{row.kind}")
        for row in _rows()
        if row.status not in (DeliveryStatus.SKIPPED, DeliveryStatus.IN_APP)
    }


def _assert_all_delivered(received: list[Received], *, twice_at_most: int) -> None:
    rows = _rows()
    assert rows and {r.status for r in rows} == {DeliveryStatus.SENT}, Counter(
        r.status for r in rows
    )
    keys = _reminder_keys(received)
    assert set(keys) == _expected_keys()
    assert sum(n - 1 for n in keys.values()) <= twice_at_most
    messages = Counter(str(m.message["Message-ID"]) for m in received)
    assert sum(n - 1 for n in messages.values()) <= twice_at_most


class FlakyMailer:
    """The real SMTP mailer, whose server goes away after `works_for` messages."""

    def __init__(self, url: str, works_for: int) -> None:
        host, port = url.removeprefix("smtp://").split(":")
        self.inner = SmtpMailer(host, int(port), timeout=5)
        self.works_for = works_for
        self.sent = 0

    def send(self, message: EmailMessage) -> None:
        if self.sent == self.works_for:
            # The server is down: every further connection is refused.
            self.inner.close()
            self.inner.port = free_port()
        self.inner.send(message)
        self.sent += 1

    def close(self) -> None:
        self.inner.close()


# --- SMTP outage ----------------------------------------------------------------------------


def test_smtp_outage_mid_pass(mail_app: Flask, world: World, smtp: SmtpHandler, run, login) -> None:
    _more_recipients(world)
    first = run(PASS_AT, mailer=FlakyMailer(smtp.url, works_for=2))  # type: ignore[attr-defined]
    assert (first.sent, first.failed) == (2, 4)
    waiting = [r for r in _rows() if r.status == DeliveryStatus.PENDING]
    assert len(waiting) == 4
    assert all(r.attempts == 1 and "Connection refused" in (r.last_error or "") for r in waiting)

    # The admin sees the reminders waiting to be retried, with the error.
    page = login(world.admin).get("/admin/reminders/deliveries?status=pending")
    assert page.status_code == 200
    assert page.text.count("Connection refused") == 4

    # Back-off: nothing is retried too early; then the server is back and all go out once.
    assert run(PASS_AT + timedelta(minutes=2)).sent == 0
    second = run(PASS_AT + timedelta(minutes=6))
    assert (second.sent, second.failed) == (4, 0)
    _assert_all_delivered(smtp.received, twice_at_most=0)


# --- PostgreSQL: the pass's connection terminated ---------------------------------------------


def _terminate(pid: int) -> None:
    """pg_terminate_backend from another connection, as a restart or an admin would."""
    url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


@pytest.fixture
def terminate_when(
    app: Flask,
) -> Iterator[Callable[[Callable[[str, Any], bool]], list[int]]]:
    """`terminate_when(test)`: the first statement the pass runs for which
    `test(sql, parameters)` is true is sent on a connection that was just terminated."""
    listeners: list[Any] = []

    def _arm(test: Callable[[str, Any], bool]) -> list[int]:
        killed: list[int] = []

        def before(
            conn: sa.Connection, cursor: Any, statement: str, parameters: Any, *args: Any
        ) -> None:
            if not killed and test(statement, parameters):
                pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
                _terminate(pid)
                killed.append(pid)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        listeners.append(before)
        return killed

    yield _arm
    for listener in listeners:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


@pytest.mark.postgres
def test_connection_terminated_while_claiming(
    mail_app: Flask, world: World, smtp: SmtpHandler, run, backend: str, terminate_when
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    _more_recipients(world)
    claims = {"n": 0}

    def third_claim(statement: str, _parameters: Any) -> bool:
        # The claim of one recipient's reminders: marked sent with their Message-ID, in the
        # transaction that writes the claim row (the webhook claim updates another table).
        if statement.startswith("UPDATE reminder_deliveries SET") and "message_id=" in statement:
            claims["n"] += 1
            return claims["n"] == 3
        return False

    killed = terminate_when(third_claim)
    with pytest.raises(sa.exc.OperationalError):
        run(PASS_AT)
    assert killed
    db.session.rollback()
    assert len(smtp.received) == 2  # two recipients done before the third claim died
    # Rolled back: nothing in flight (the second message's claim, which the third claim's
    # transaction was closing, is closed by the failing pass on a new connection), the third
    # recipient's reminders still to send.
    assert not _in_flight() and not db.session.scalars(sa.select(DeliveryClaim)).all()
    assert len([r for r in _rows() if r.status == DeliveryStatus.PENDING]) == 4

    again = run(PASS_AT + timedelta(minutes=1))
    assert again.sent == 4
    _assert_all_delivered(smtp.received, twice_at_most=0)


@pytest.mark.postgres
def test_connection_terminated_while_sending(
    mail_app: Flask, world: World, smtp: SmtpHandler, run, backend: str, terminate_when, login
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    _more_recipients(world)
    sends = {"n": 0, "again": 0}

    def closing(statement: str, parameters: Any) -> bool:
        # On PostgreSQL in the next claim's first statement, which the first claim also runs
        # with nothing to close; on a new connection as a statement of its own.
        return "DELETE FROM reminder_claims" in statement and bool(parameters.get("answered", True))

    def after_third_send(statement: str, parameters: Any) -> bool:
        # The outcome of a message is recorded by deleting its claim row, in the next
        # claim's transaction: the third one is lost with the connection, after the mail
        # server accepted the message...
        if closing(statement, parameters):
            sends["n"] += 1
            return sends["n"] == 3
        return False

    def and_again(statement: str, parameters: Any) -> bool:
        # ... and again when the failing pass tries to record it on a new connection (the
        # next statement of the kind once the first listener has struck).
        if closing(statement, parameters) and sends["n"] == 3:
            sends["again"] += 1
            return sends["again"] == 2
        return False

    terminate_when(after_third_send)
    terminate_when(and_again)
    with pytest.raises(sa.exc.OperationalError):
        run(PASS_AT)
    db.session.rollback()
    assert len(smtp.received) == 3
    in_flight = _in_flight()
    assert len(in_flight) >= 1 and {r.status for r in in_flight} == {DeliveryStatus.SENT}
    page = login(world.admin).get("/admin/reminders/deliveries?status=sending")
    assert in_flight[0].recipient.full_name in page.text

    # A pass before the claim lease is over leaves the in-flight reminder alone...
    assert run(PASS_AT + timedelta(minutes=1)).sent == 3
    assert [r.id for r in _in_flight()] == [r.id for r in in_flight]
    # ... and one after it sends it again: the only one that may arrive twice.
    assert run(PASS_AT + CLAIM_LEASE + timedelta(minutes=1)).sent == 1
    _assert_all_delivered(smtp.received, twice_at_most=1)


# --- SIGKILL mid-send -------------------------------------------------------------------------


class SlowHandler(SmtpHandler):
    """Accepts the first message at once, then takes `delay` seconds to answer each DATA;
    signals when the answer to the second message is pending."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.started = 0
        self.second_in_flight = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.started += 1
        # Delivered as soon as the data is in, even if the client is gone before the reply
        # (aiosmtpd cancels the handler then): the worst case for duplicates.
        reply = await super().handle_DATA(server, session, envelope)
        if self.started >= 2 and self.delay:
            self.second_in_flight.set()
            await asyncio.sleep(self.delay)
        return reply


def _subprocess_database_url(backend: str) -> str:
    url = db.engine.url
    if backend == "postgresql":
        schema = "test_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_sigkill_mid_send(mail_app: Flask, world: World, backend: str, run, login) -> None:
    _more_recipients(world)
    handler = SlowHandler(delay=1.0)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": _subprocess_database_url(backend),
            "TRACKER_MAIL_URL": f"smtp://127.0.0.1:{controller.port}",
            "TRACKER_SECRET_KEY": "test-secret",
            "TRACKER_ENV": "development",
            "TRACKER_REMINDER_THREADS": "1",
        }
        tracker = Path(sys.executable).with_name("tracker")
        process = subprocess.Popen(
            [str(tracker), "remind", "--now", PASS_AT.isoformat()],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert handler.second_in_flight.wait(30), process.communicate(timeout=5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        time.sleep(handler.delay + 0.5)  # the server finishes with the dead client

        rows = _rows()
        assert len(handler.received) == 2  # the first, and the one in flight
        assert len([r for r in rows if r.status == DeliveryStatus.SENT]) >= 1
        in_flight = _in_flight()
        assert in_flight
        # The admin sees the reminder left "sending" by the killed pass.
        page = login(world.admin).get("/admin/reminders/deliveries?status=sending")
        assert in_flight[0].recipient.full_name in page.text

        handler.delay = 0
        mail_app.config["TRACKER_MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
        run(PASS_AT + timedelta(minutes=1))
        later = run(PASS_AT + CLAIM_LEASE + timedelta(minutes=1))
        assert later.sent == 1  # the in-flight one, once its claim has expired
        _assert_all_delivered(handler.received, twice_at_most=1)
        # The admin sees which reminder was sent again, and why.
        db.session.expire_all()
        resent = db.session.get(Delivery, in_flight[0].id)
        assert resent.status == DeliveryStatus.SENT
        assert resent.last_error == RESENT_NOTE
        page = login(world.admin).get("/admin/reminders/deliveries?status=sent")
        assert "may have arrived twice" in page.text
    finally:
        controller.stop()
