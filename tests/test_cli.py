"""The `tracker` command line: demo, users, tokens."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tracker.auth.models import User
from tracker.auth.operations import user_for_token
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import Task


def test_demo_loads_once(runner) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "vanphong" in result.output and "vanho@2017!" in result.output
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.notice_number == "45/TB-UBND"))
    # The story of spring 2017 placed in the weeks before today (10/04/2017 in the tests):
    # seven weeks earlier, on the same weekday.
    assert meeting.held_on.isoformat() == "2017-02-14"
    # Every unit that has users has tasks to look at.
    units_with_users = set(db.session.scalars(sa.select(User.unit_id).where(User.role == "unit")))
    units_with_tasks = set(db.session.scalars(sa.select(Task.lead_unit_id)))
    assert units_with_users <= units_with_tasks
    deadlines = [t.deadline for t in meeting.tasks if t.deadline]
    assert all(date(2017, 2, 14) < d < date(2017, 5, 31) for d in deadlines)
    emails = db.session.scalars(sa.select(User.email)).all()
    assert all(e.endswith("@vanho.example") for e in emails)
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0 and "already holds data" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_users_create_list_token(runner, world) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "NoiVu3",
            "--unit",
            "phong noi vu",
            "--role",
            "unit",
            "--password-stdin",
        ],
        input="mật khẩu thật dài\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "noivu3"))
    assert user.unit is world.noivu
    listing = runner.invoke(args=["users", "list"])
    assert "noivu3" in listing.output and "Phòng Nội vụ" in listing.output
    token = runner.invoke(args=["users", "token", "noivu3"]).output.strip()
    assert user_for_token(token) == user


def test_users_create_refuses_bad_input(runner, world) -> None:
    unknown = runner.invoke(
        args=["users", "create", "x", "--unit", "Phòng Không Có", "--password-stdin"],
        input="mật khẩu thật dài\n",
    )
    assert unknown.exit_code != 0 and "Unknown unit" in unknown.output
    weak = runner.invoke(
        args=["users", "create", "y", "--unit", "Phòng Nội vụ", "--password-stdin"], input="ngan\n"
    )
    assert weak.exit_code != 0 and "10" in weak.output
    taken = runner.invoke(
        args=["users", "create", "noivu", "--unit", "Phòng Nội vụ", "--password-stdin"],
        input="mật khẩu thật dài\n",
    )
    assert taken.exit_code != 0
