"""Timeliness classes of a task on a given day, as official reports count them, in Python and
as SQL conditions (so lists and reports count in the database)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from tracker.core.workdays import DEFAULT_CALENDAR, WorkingCalendar
from tracker.tasks.models import OPEN_STATUSES, Status, Task, Timeliness

SCORE_AGAINST_VALUES = ("current", "original")


def score_against(against: str | None = None) -> str:
    """Which deadline timeliness is counted against: `against` if given, else the
    TRACKER_SCORE_AGAINST setting ("current", the approved deadline, by default)."""
    if against is None:
        against = (
            current_app.config.get("TRACKER_SCORE_AGAINST", "current")
            if has_app_context()
            else "current"
        )
    if against not in SCORE_AGAINST_VALUES:
        raise ValueError(against)
    return against


def scoring_deadline_column(against: str | None = None) -> sa.ColumnElement[date | None]:
    """The deadline column reports count against: the current deadline, or the original one
    (a task assigned before `original_deadline` was kept falls back to its current deadline)."""
    if score_against(against) == "original":
        return sa.func.coalesce(Task.original_deadline, Task.deadline)
    return Task.deadline  # type: ignore[return-value]


def scoring_deadline(task: Task, against: str | None = None) -> date | None:
    """The deadline of `task` that reports count against, in Python."""
    if score_against(against) == "original":
        return task.original_deadline or task.deadline
    return task.deadline


def due_soon_limit(today: date, due_soon_days: int, calendar: WorkingCalendar | None) -> date:
    """The last deadline that is still "due soon" on `today`: at most `due_soon_days` working
    days ahead."""
    calendar = calendar or DEFAULT_CALENDAR
    return calendar.add_working_days(today, due_soon_days + 1) - timedelta(days=1)


def classify(
    *,
    status: str,
    deadline: date | None,
    completed_on: date | None,
    today: date,
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
    original_deadline: date | None = None,
    against: str = "current",
) -> str | None:
    """Return the `Timeliness` value of a task, or None for paused and cancelled tasks, which
    reports do not count.

    With `against="original"` the class is computed against `original_deadline` (when known)
    instead of the current, possibly extended, `deadline`.

    A task is done when the chair confirmed it; its completion date is the day the lead unit
    submitted the confirmed result. "Trước ngày X" includes X, so a task done on its deadline
    is on time, and an open task becomes overdue the day after its deadline.
    """
    if against == "original" and original_deadline is not None:
        deadline = original_deadline
    if status == Status.DONE:
        if deadline is None or completed_on is None or completed_on <= deadline:
            return Timeliness.DONE_ON_TIME
        return Timeliness.DONE_LATE
    if status not in OPEN_STATUSES:
        return None
    if deadline is None:
        return Timeliness.NO_DEADLINE
    if today > deadline:
        return Timeliness.OPEN_OVERDUE
    if deadline <= due_soon_limit(today, due_soon_days, calendar):
        return Timeliness.DUE_SOON
    return Timeliness.OPEN_ON_TIME


def timeliness_clause(
    kind: str,
    today: date,
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
    deadline: sa.ColumnElement[date | None] | None = None,
) -> sa.ColumnElement[bool]:
    """A WHERE condition selecting the tasks of one timeliness class on `today`.

    `open_on_time` includes the tasks that are also `due_soon`, as official reports count
    them ("chưa hoàn thành trong hạn"); `due_soon` is the narrower screen class. `deadline`
    is the column counted against (default: the current deadline; see
    `scoring_deadline_column()`).
    """
    is_open = Task.status.in_([s.value for s in OPEN_STATUSES])
    deadline_col: sa.ColumnElement[date | None] = (
        Task.deadline if deadline is None else deadline  # type: ignore[assignment]
    )
    if kind == Timeliness.DONE_ON_TIME:
        return sa.and_(
            Task.status == Status.DONE,
            sa.or_(
                deadline_col.is_(None),
                Task.completed_on.is_(None),
                Task.completed_on <= deadline_col,
            ),
        )
    if kind == Timeliness.DONE_LATE:
        return sa.and_(Task.status == Status.DONE, Task.completed_on > deadline_col)
    if kind == Timeliness.OPEN_OVERDUE:
        return sa.and_(is_open, deadline_col < today)
    if kind == Timeliness.OPEN_ON_TIME:
        return sa.and_(is_open, deadline_col >= today)
    if kind == Timeliness.DUE_SOON:
        limit = due_soon_limit(today, due_soon_days, calendar)
        return sa.and_(is_open, deadline_col >= today, deadline_col <= limit)
    if kind == Timeliness.NO_DEADLINE:
        return sa.and_(is_open, deadline_col.is_(None))
    raise ValueError(kind)
