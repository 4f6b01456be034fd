"""`tracker remind`, `tracker scheduler` and its job list."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import SmtpHandler
from tracker.cli import main
from tracker.extensions import db
from tracker.jobs import SCHEDULER_LOCK_KEY, build_scheduler, jobs, try_lead


def test_remind_prints_one_json_line(mail_app: Flask, world, smtp: SmtpHandler, runner) -> None:
    dry = runner.invoke(main, args=["remind", "--now", "2017-04-17T07:30", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.strip().splitlines()
    assert len(lines) == 1
    listed = json.loads(lines[0])
    assert (listed["planned"], listed["sent"]) == (2, 0)
    assert [m["to"] for m in listed["would_send"]] == ["noivu@vanho.example", "tckh@vanho.example"]
    assert smtp.received == []
    real = runner.invoke(main, args=["remind", "--now", "2017-04-17T07:30:00+07:00"])
    assert real.exit_code == 0, real.output
    assert json.loads(real.output) == {"planned": 2, "sent": 2, "failed": 0, "skipped": 0}
    assert len(smtp.received) == 2
    again = runner.invoke(main, args=["remind", "--now", "2017-04-17T00:31:00Z"])
    assert json.loads(again.output) == {"planned": 0, "sent": 0, "failed": 0, "skipped": 0}
    bad = runner.invoke(main, args=["remind", "--now", "tomorrow"])
    assert bad.exit_code != 0 and "ISO-8601" in bad.output


def test_the_scheduler_runs_one_coalesced_job_a_minute(app: Flask) -> None:
    scheduler = build_scheduler(app)
    job = scheduler.get_job("reminders")
    assert job.trigger.interval.total_seconds() == 60
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None
    names = [j.name for j in jobs()]
    assert names[0] == "reminders"
    assert "tasks" not in {Path(sys.modules[jobs.__module__].__file__).stem}


def test_postgresql_advisory_lock_makes_a_second_scheduler_wait(app: Flask, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("advisory locks are a PostgreSQL feature")
    first, second = db.engine.connect(), db.engine.connect()
    try:
        assert try_lead(first) is True
        assert try_lead(second) is False  # hot standby
        first.invalidate()  # the active scheduler dies: its session, and the lock, end
        # The server ends the dead session a moment after the socket closes (on a busy
        # machine, later than the next statement): the standby retries, as it does every
        # minute in the scheduler, for up to 10 s.
        deadline = time.monotonic() + 10
        took_over = try_lead(second)
        while not took_over and time.monotonic() < deadline:
            time.sleep(0.05)
            took_over = try_lead(second)
        assert took_over is True
    finally:
        second.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        second.close()
    assert SCHEDULER_LOCK_KEY > 0


@pytest.mark.slow
def test_scheduler_process_runs_a_pass_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    url = f"sqlite:///{database}"
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": "x",
        "TRACKER_MAIL_URL": "",
    }
    env.pop("TRACKER_TEST_DATABASE_URL", None)
    from tracker import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "i")})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    tracker_bin = Path(sys.executable).parent / "tracker"
    process = subprocess.Popen(
        [str(tracker_bin), "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline and last is None:
            time.sleep(0.3)
            with sa.create_engine(url).connect() as conn:
                last = conn.execute(sa.text("SELECT last_pass_dt FROM reminder_state")).scalar()
        assert last is not None, "the scheduler did not complete a pass"
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=15)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "scheduler stopped" in output
