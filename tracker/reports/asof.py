"""Reports as of their cut-off date: the tasks completed, or given a new deadline, after it.

A report counts every task as it stood on its cut-off date D (`ReportScope.as_of`). The
counting queries (the tallies, or the tasks themselves) see each task as it is today, with
the open classes judged on D. For almost every task that is the same thing; it differs only
for the tasks that changed after D in a way the report counts:

- a task confirmed done whose completion date is after D was still open on D;
- a task whose deadline changed after D (an extension approved, or the office editing the
  deadline) had, on D, the deadline before the first such change, and the extensions
  approved before D only.

Those tasks are found with two indexed queries (the done-late tasks of the period whose
completion is after D, and the deadline changes recorded after D) and each report figure is
corrected by them: minus what the task counts as today, plus what it counted as on D. When D
is today (a period still running) nothing can have happened after it and no query is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from tracker.core.time import local_zone
from tracker.tasks.models import EventKind, Status, Task, TaskEvent, Timeliness

# The history entries that change a deadline: an edit by the office or an approved extension
# (an extension *request* also names the deadline field, with the deadline asked for).
DEADLINE_CHANGES = (EventKind.CHANGED.value, EventKind.EXTENSION_DECIDED.value)

# The task columns a correction needs, in this order.
_COLUMNS = (
    Task.id,
    Task.lead_unit_id,
    Task.meeting_id,
    Task.status,
    Task.completed_on,
    Task.deadline,
    Task.original_deadline,
    Task.extension_count,
)


@dataclass(frozen=True)
class Snapshot:
    """What a report counts of one task on one day."""

    deadline: date | None  # the task's deadline on that day
    scored: date | None  # the deadline counted against (current or original)
    kind: str  # a Timeliness value: one of the four report classes, or no_deadline
    extension_count: int
    completed_on: date | None  # the completion date, when the task was done by that day

    @property
    def extended(self) -> bool:
        """Extended at least once by that day."""
        return self.extension_count > 0

    def days_overdue(self, as_of: date) -> int:
        """Calendar days past the deadline counted against, on `as_of` (0 unless overdue)."""
        if self.kind != Timeliness.OPEN_OVERDUE.value or self.scored is None:
            return 0
        return max(0, (as_of - self.scored).days)

    def in_period(self, start: date, end: date) -> bool:
        """Whether the deadline counted against falls in [start, end]."""
        return self.scored is not None and start <= self.scored <= end


def snapshot(
    *,
    status: str,
    deadline: date | None,
    original_deadline: date | None,
    completed_on: date | None,
    extension_count: int,
    as_of: date,
    against: str,
    rewind: bool,
) -> Snapshot:
    """The class of a counted task (not paused or cancelled) on `as_of`.

    With `rewind` a completion after `as_of` is ignored (the task was open then); without it
    the task counts as done whatever its completion date, as the counting queries see it.
    """
    scored = (original_deadline or deadline) if against == "original" else deadline
    done = status == Status.DONE.value and (
        not rewind or completed_on is None or completed_on <= as_of
    )
    if done:
        late = scored is not None and completed_on is not None and completed_on > scored
        kind = Timeliness.DONE_LATE.value if late else Timeliness.DONE_ON_TIME.value
    elif scored is None:
        kind = Timeliness.NO_DEADLINE.value
    elif scored >= as_of:
        kind = Timeliness.OPEN_ON_TIME.value
    else:
        kind = Timeliness.OPEN_OVERDUE.value
    return Snapshot(
        deadline=deadline,
        scored=scored,
        kind=kind,
        extension_count=extension_count,
        completed_on=completed_on if done else None,
    )


def task_snapshot(task: Task, as_of: date, against: str) -> Snapshot:
    """A task as the counting queries see it on `as_of` (see `snapshot`, without rewind)."""
    return snapshot(
        status=task.status,
        deadline=task.deadline,
        original_deadline=task.original_deadline,
        completed_on=task.completed_on,
        extension_count=task.extension_count,
        as_of=as_of,
        against=against,
        rewind=False,
    )


@dataclass(frozen=True)
class Rewound:
    """A task that stood otherwise on the cut-off date than the database holds today."""

    task_id: int
    lead_unit_id: int
    meeting_id: int
    now: Snapshot  # as the counting queries count it
    then: Snapshot  # as it stood on the cut-off date
    completed_on: date | None  # the actual completion date, maybe after the cut-off


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _day_after_start(day: date) -> datetime:
    """The first instant after the local day `day`, as the aware datetime events store."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=local_zone())


def done_late_after(cutoff: date) -> list[sa.ColumnElement[bool]]:
    """Conditions of a task done late and completed after `cutoff`, for the partial index
    `ix_tasks_done_late` (tracker/reports/models.py), which holds the tasks completed after
    their deadline: the query names its condition as the index does, so both databases see
    that the index applies."""
    return [
        Task.completed_on > Task.deadline,
        Task.completed_on > cutoff,
        # Compared as an expression, so that SQLite, which has no statistics, does not read
        # every done task of the period through the status-and-deadline index instead.
        (Task.status + "") == Status.DONE.value,
    ]


def deadline_change_conditions(cutoff: date) -> list[sa.ColumnElement[bool]]:
    """History entries changing a deadline after the local day `cutoff` (the partial index
    `ix_task_events_deadline_changes` holds the entries of the deadline field)."""
    return [
        TaskEvent.field == sa.literal_column("'deadline'"),
        TaskEvent.created_dt >= _day_after_start(cutoff),
        TaskEvent.kind.in_(DEADLINE_CHANGES),
    ]


def rewound_tasks(
    session: Any,
    *,
    as_of: date,
    against: str,
    conditions: Sequence[sa.ColumnElement[bool]],
    completion_conditions: Sequence[sa.ColumnElement[bool]],
) -> dict[int, Rewound]:
    """The tasks matching `conditions` that were completed, or whose deadline changed, after
    `as_of`, each with what it counts as today and what it counted as on `as_of`.

    `completion_conditions` narrow the completion query (e.g. the period's deadlines and
    `done_late_after()`, so it reads its partial index); deadline changes are looked up
    whatever the deadline, since a task may have left the period or entered it by them.
    """
    completed = session.execute(
        sa.select(*_COLUMNS).where(
            *conditions,
            *completion_conditions,
            (Task.status + "") == Status.DONE.value,
            Task.completed_on > as_of,
        )
    ).all()
    changes = session.execute(
        sa.select(*_COLUMNS, TaskEvent.kind, TaskEvent.old_value)
        .join(TaskEvent, TaskEvent.task_id == Task.id)
        .where(*conditions, *deadline_change_conditions(as_of))
        .order_by(TaskEvent.task_id, TaskEvent.created_dt, TaskEvent.id)
    ).all()
    tasks: dict[int, tuple[Any, ...]] = {row[0]: tuple(row) for row in completed}
    first_old: dict[int, date | None] = {}
    later_extensions: dict[int, int] = {}
    for *columns, kind, old_value in changes:
        task_id = columns[0]
        tasks.setdefault(task_id, tuple(columns))
        # The earliest change after the cut-off says what the deadline was on it.
        first_old.setdefault(task_id, _parse_day(old_value))
        if kind == EventKind.EXTENSION_DECIDED.value:
            later_extensions[task_id] = later_extensions.get(task_id, 0) + 1
    result = {}
    for task_id, columns in tasks.items():
        _, unit_id, meeting_id, status, completed_on, deadline, original, extensions = columns
        common = {
            "status": status,
            "original_deadline": original,
            "completed_on": completed_on,
            "as_of": as_of,
            "against": against,
        }
        now = snapshot(**common, deadline=deadline, extension_count=extensions, rewind=False)
        then = snapshot(
            **common,
            deadline=first_old.get(task_id, deadline),
            extension_count=max(0, extensions - later_extensions.get(task_id, 0)),
            rewind=True,
        )
        result[task_id] = Rewound(task_id, unit_id, meeting_id, now, then, completed_on)
    return result
