"""The demo tells its story as if it were happening now, on any date: loaded at two fixed
dates (one in December, one just after Tết), it has the same tasks, plausible overdue counts,
notices that say what their tasks' deadlines say, and a first reminder pass that sends a
handful of messages, not the flood of every reminder the story's weeks would have sent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import g

from tests.reminders.conftest import SmtpHandler, mail_app, smtp  # noqa: F401 (fixtures)
from tracker.auth.models import User
from tracker.core.workdays import WorkingCalendar
from tracker.demo import STORY_TODAY, Story, load_demo
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reminders.models import Delivery, DeliveryStatus, ReminderKind, ReminderState
from tracker.reminders.passes import run_pass
from tracker.reports.operations import make_scope, overdue_rows, unit_summary
from tracker.reports.periods import quarter_of
from tracker.tasks.models import Status, Task, TaskEvent

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# A Friday in December, and a Wednesday two weeks after Tết Canh Tuất (3 February 2030): the
# story's deadlines then fall around the Tết holidays and some move to the next working day.
DATES = [date(2026, 12, 4), date(2030, 2, 20)]
# At most this many reminders (rows) in the first pass after loading, and this many e-mails
# (2 and 1 on the two dates when written; 135 e-mails before the story was re-dated).
FIRST_PASS_REMINDERS = 6
FIRST_PASS_MESSAGES = 5


def _load(app, today: date) -> datetime:  # type: ignore[no-untyped-def]
    """Load the demo at 10:00 on `today`, and set the clock there; returns that moment."""
    now = datetime.combine(today, time(10), tzinfo=HANOI).astimezone(UTC)
    app.config["TRACKER_FIXED_NOW"] = now
    g.pop("working_calendar", None)
    g.pop("today", None)
    load_demo(today)
    db.session.commit()
    return now


def test_the_story_lands_in_the_week_ending_today() -> None:
    for today in (*DATES, date(2017, 4, 10), STORY_TODAY):
        story = Story.ending(today)
        assert story.offset.days % 7 == 0
        assert 0 <= (today - story.day(STORY_TODAY)).days < 7
        assert story.day(STORY_TODAY).weekday() == STORY_TODAY.weekday()
    assert Story.ending(STORY_TODAY).offset == timedelta(0)


@pytest.mark.parametrize("today", DATES)
def test_the_demo_happens_now(app, today: date) -> None:  # type: ignore[no-untyped-def]
    _load(app, today)
    calendar = WorkingCalendar()
    tasks = db.session.scalars(sa.select(Task)).all()
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.held_on)).all()
    # The same story on every date.
    assert len(tasks) == 46 and len(meetings) == 3
    # 16, and the head of Phòng Nội vụ with two officers (the hand-down, tracker/subtasks).
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 19
    from tracker.subtasks.models import Subtask

    parts = db.session.scalars(sa.select(Subtask).order_by(Subtask.id)).all()
    assert [p.status for p in parts] == ["done", "open", "open", "reported"]
    assert [p.deadline < today for p in parts] == [False, True, False, True]
    # The last is Phòng Nội vụ's part of a task it coordinates (phối hợp).
    assert [p.is_coordinating for p in parts] == [False, False, False, True]
    assert sorted(Status(t.status).value for t in tasks).count("done") == 3
    assert sum(1 for t in tasks if t.status == "submitted") == 1
    assert sum(1 for t in tasks if t.extension_count) == 1
    # Nothing happened after today, and the first meeting was some seven weeks ago, on the
    # weekday it was held on in 2017 (Tuesday 4 April).
    last_event = db.session.scalar(sa.select(sa.func.max(TaskEvent.created_dt)))
    assert last_event < datetime.combine(today, time(0), tzinfo=HANOI)
    assert [m.held_on.weekday() for m in meetings] == [1, 1, 0]
    assert 42 <= (today - meetings[0].held_on).days <= 62
    # Deadlines are working days, the latest some weeks ahead.
    deadlines = [t.deadline for t in tasks if t.deadline]
    assert all(calendar.is_working_day(d) for d in deadlines)
    assert 20 <= (max(deadlines) - today).days <= 60
    # Overdue by days, not years: a few tasks, each under 60 days.
    open_tasks = [t for t in tasks if t.status not in ("done",) and t.deadline]
    overdue_days = [(today - t.deadline).days for t in open_tasks if t.deadline < today]
    assert 3 <= len(overdue_days) <= 6
    assert max(overdue_days) < 60
    # The report of this quarter (or, early in a quarter, the one before) shows them too.
    period = quarter_of(today)
    scope = make_scope(period, today=today)
    rows = overdue_rows(scope, limit=100)
    assert all(0 < row.days_overdue < 60 for row in rows)
    assert unit_summary(scope).total.assigned > 0


def _notice_dates(text: str) -> list[date]:
    return [
        date(int(y), int(m), int(d))
        for d, m, y in re.findall(r"trước ngày (\d{2})/(\d{2})/(\d{4})", text)
    ]


@pytest.mark.parametrize("today", DATES)
def test_notices_say_what_their_tasks_deadlines_say(app, today: date) -> None:  # type: ignore[no-untyped-def]
    _load(app, today)
    # (A school year ahead may name the year after next.)
    years = {str(year) for year in range(today.year - 1, today.year + 3)}
    for meeting in db.session.scalars(sa.select(Meeting)):
        text = meeting.notice_text
        assert text, meeting.title
        issued = meeting.notice_issued_on
        assert f"Vân Hồ, ngày {issued:%d} tháng {issued.month} năm {issued.year}" in text
        assert f"Ngày {meeting.held_on:%d/%m/%Y}, đồng chí" in text
        # No 2017 left over: every year written is one around today.
        for where in (text, meeting.title, *(t.content for t in meeting.tasks)):
            assert set(re.findall(r"\b(?:19|20)\d\d\b", where)) <= years, where
        # Every task's conclusion is in the notice, with the deadline the task was given.
        written = _notice_dates(text)
        given = set()
        for task in meeting.tasks:
            assert task.source_text and task.source_text in " ".join(text.split()), task.content
            if task.deadline is None:
                assert "thường xuyên" in task.source_text
                continue
            assigned = task.original_deadline
            assert _notice_dates(task.source_text) == [assigned]
            given.add(assigned)
        assert set(written) == given


@pytest.mark.parametrize("today", DATES)
def test_a_pass_after_loading_sends_a_handful(mail_app, smtp: SmtpHandler, today: date) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    now = _load(mail_app, today)
    # The story's reminders went out on their mornings, as a running tracker sent them.
    history = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    assert history > 50
    state = db.session.get(ReminderState, 1)
    assert state.last_event_id == db.session.scalar(sa.select(sa.func.max(TaskEvent.id)))
    before = db.session.scalar(sa.select(sa.func.max(Delivery.id)))
    result = run_pass(now)
    new = db.session.scalars(sa.select(Delivery).where(Delivery.id > before)).all()
    assert len(new) <= FIRST_PASS_REMINDERS, [(d.task_id, d.kind) for d in new]
    assert len(smtp.received) <= FIRST_PASS_MESSAGES
    assert result.sent == len(smtp.received)
    # Only what is due today: no escalation or news of the story's old events.
    assert {d.kind for d in new} <= {
        ReminderKind.DUE_SOON.value,
        ReminderKind.DUE_TODAY.value,
        ReminderKind.OVERDUE.value,
        ReminderKind.AWAITING_CONFIRMATION.value,
    }
    assert all(d.status != DeliveryStatus.PENDING.value for d in new)


def test_without_the_history_the_same_pass_would_flood(mail_app, smtp: SmtpHandler) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # The bound above is the history's doing: the same demo with its reminder history taken
    # away (the state of a tracker that never ran) sends every overdue notice, escalation and
    # event of the story at once.
    now = _load(mail_app, DATES[0])
    db.session.execute(sa.delete(Delivery))
    db.session.execute(sa.delete(ReminderState))
    db.session.commit()
    run_pass(now)
    flood = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    assert flood > 3 * FIRST_PASS_REMINDERS


def test_the_same_day_gives_the_same_demo(app) -> None:  # type: ignore[no-untyped-def]
    _load(app, DATES[0])
    tasks = db.session.execute(
        sa.select(Task.content, Task.deadline, Task.status, Task.completed_on).order_by(Task.id)
    ).all()
    # Spot checks against the story: Phòng Tư pháp's procedures (30/04/2017, a Sunday) are
    # due Monday; the plan (20/04/2017) was submitted two days before its deadline.
    procedures = next(t for t in tasks if t.content.startswith("Rà soát, công khai"))
    assert procedures.deadline == date(2026, 11, 9) and procedures.status == "returned"
    plan = next(t for t in tasks if t.content.startswith("Xây dựng kế hoạch phát huy"))
    assert plan.status == "done" and plan.deadline - plan.completed_on == timedelta(days=2)
    assert len({t.deadline for t in tasks}) > 10


def test_the_command_takes_a_day(app, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["demo", "--today", "2026-12-04"])
    assert result.exit_code == 0, result.output
    assert "noivu" in result.output
    held = db.session.scalar(sa.select(sa.func.min(Meeting.held_on)))
    assert held == Story.ending(date(2026, 12, 4)).day(date(2017, 4, 4))
    result = runner.invoke(args=["demo", "--today", "04/12/2026"])
    assert result.exit_code != 0 and "--today" in result.output


def test_pages_say_they_show_the_demo(app, login) -> None:  # type: ignore[no-untyped-def]
    _load(app, DATES[0])
    note = "Dữ liệu mẫu: các cuộc họp của huyện Vân Hồ"
    chair = db.session.scalar(sa.select(User).where(User.username == "chutich"))
    assert note in login(chair).get("/reports/").get_data(as_text=True)
    chair.email = "chutich@vanho.gov.vn"
    db.session.commit()
    assert note not in login(chair).get("/reports/").get_data(as_text=True)
