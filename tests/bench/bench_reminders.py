"""Benchmark (not a test): one reminder pass over N open tasks on SQLite or PostgreSQL.

    .venv/bin/python -m tests.bench.bench_reminders --tasks 100000
    .venv/bin/python -m tests.bench.bench_reminders --tasks 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench

PostgreSQL runs in a schema "bench" that is dropped and recreated. Mail goes to a counting
transport, so the figures measure planning, claiming, re-checking and composing, not a mail
server.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

from tracker import create_app
from tracker.extensions import db

UNITS = 200
MEMBERS = 2
BASE = date(2017, 4, 17)


class CountingMailer:
    """Accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, message: EmailMessage) -> None:
        """Count."""
        self.count += 1

    def close(self) -> None:
        """Nothing to close."""


def populate(tasks: int) -> None:
    """Units, two members each, a chair, two office clerks, N open tasks around BASE."""
    from tracker.auth.models import User
    from tracker.meetings.models import Meeting
    from tracker.tasks.models import Task

    now = datetime(2017, 3, 1, tzinfo=UTC)
    db.session.execute(
        sa.insert(
            sa.table(
                "units",
                sa.column("id"),
                sa.column("name"),
                sa.column("name_folded"),
                sa.column("kind"),
                sa.column("is_active"),
                sa.column("created_dt"),
                sa.column("updated_dt"),
            )
        ),
        [
            {
                "id": i,
                "name": f"Đơn vị {i}",
                "name_folded": f"don vi {i}",
                "kind": "department",
                "is_active": True,
                "created_dt": now.replace(tzinfo=None),
                "updated_dt": now.replace(tzinfo=None),
            }
            for i in range(1, UNITS + 1)
        ],
    )
    users = [
        {
            "id": 1,
            "username": "chair",
            "full_name": "Chủ tịch",
            "email": "chair@x.example",
            "role": "chair",
            "unit_id": None,
            "password_hash": "x",
        },
        {
            "id": 2,
            "username": "office1",
            "full_name": "Văn phòng 1",
            "email": "o1@x.example",
            "role": "office",
            "unit_id": None,
            "password_hash": "x",
        },
        {
            "id": 3,
            "username": "office2",
            "full_name": "Văn phòng 2",
            "email": "o2@x.example",
            "role": "office",
            "unit_id": None,
            "password_hash": "x",
        },
    ]
    for unit in range(1, UNITS + 1):
        for member in range(MEMBERS):
            n = 3 + (unit - 1) * MEMBERS + member + 1
            users.append(
                {
                    "id": n,
                    "username": f"u{n}",
                    "full_name": f"Người {n}",
                    "email": f"u{n}@x.example",
                    "role": "unit",
                    "unit_id": unit,
                    "password_hash": "x",
                }
            )
    db.session.execute(sa.insert(User), users)
    db.session.execute(
        sa.insert(Meeting), [{"id": 1, "title": "Họp", "held_on": date(2017, 1, 3), "chair_id": 1}]
    )
    batch = []
    for n in range(tasks):
        batch.append(
            {
                "meeting_id": 1,
                "content": f"Nhiệm vụ số {n}: xây dựng kế hoạch và báo cáo kết quả thực hiện",
                "lead_unit_id": 1 + n % UNITS,
                "deadline": BASE + timedelta(days=(n % 81) - 40),
                "status": "submitted" if n % 50 == 0 else "new",
                "submitted_dt": now if n % 50 == 0 else None,
                "last_activity_dt": now,
            }
        )
        if len(batch) == 10_000:
            db.session.execute(sa.insert(Task), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Task), batch)
    db.session.commit()


def main() -> None:
    """Build the data, run one pass, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    config: dict[str, object] = {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder)}
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA bench"))
        engine.dispose()
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-csearch_path=bench,public"}
        }
    app = create_app(config)
    from tracker.reminders.operations.planning import plan
    from tracker.reminders.operations.rules import load_rules
    from tracker.reminders.passes import make_clock, run_pass

    now = datetime(2017, 4, 17, 0, 30, tzinfo=UTC)  # 07:30 in Hanoi, a Monday
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        populate(args.tasks)
        print(
            f"database: {db.engine.dialect.name}; {args.tasks:,} open tasks loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        app.config["TRACKER_FIXED_NOW"] = now
        # Planning alone (rolled back), then the whole pass.
        rules = load_rules()
        started = time.perf_counter()
        planned = plan(make_clock(now, rules), rules)
        plan_seconds = time.perf_counter() - started
        db.session.rollback()
        print(f"planning alone: {planned:,} reminders in {plan_seconds:.2f} s")
        mailer = CountingMailer()
        started = time.perf_counter()
        result = run_pass(now, mailer=mailer)
        seconds = time.perf_counter() - started
        print(f"one pass: {result.as_dict()} in {seconds:.2f} s ({mailer.count} messages)")
        started = time.perf_counter()
        again = run_pass(now + timedelta(minutes=1), mailer=CountingMailer())
        print(
            f"next pass (nothing due): {again.as_dict()} in {time.perf_counter() - started:.2f} s"
        )


if __name__ == "__main__":
    main()
