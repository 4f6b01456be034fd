"""Counting tasks for reports, by the database: per unit, per meeting, per month, overdue.

Definitions (see docs/reports.md): a report covers the tasks whose deadline (current or
original, per TRACKER_SCORE_AGAINST) falls in the period, leaving out paused and cancelled
tasks; of those, the tasks *already due* are the ones whose deadline is on or before the report
date D (the period's end, or today while the period runs). Rates are over tasks already due.
Every task counts as it stood on D: the counting queries judge today's tasks against D, and
the few tasks completed or given a new deadline after D are then corrected (tracker/reports/
asof.py).

The counting queries read through `report_session()`: a streaming replica when
TRACKER_REPORTS_DATABASE_URL is set. The filters' own lookups (make_scope) stay on the main
database, which is never behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker.auth.models import User
from tracker.core.permissions import visible_tasks_clause
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reports import asof
from tracker.reports.asof import Rewound, Snapshot
from tracker.reports.models import TaskTally
from tracker.reports.periods import Period, quarter_of
from tracker.reports.replica import report_session
from tracker.tasks.models import Status, Task, Timeliness
from tracker.units.models import Unit

try:  # The Lifecycle issue's setting; without it, reports count against the current deadline.
    from tracker.tasks.timeliness import score_against, scoring_deadline_column
except ImportError:  # pragma: no cover

    def score_against(against: str | None = None) -> str:  # type: ignore[misc]
        return against or "current"

    def scoring_deadline_column(against: str | None = None) -> Any:  # type: ignore[misc]
        return Task.deadline


# The four classes official reports count, in the order of their columns.
REPORT_CLASSES = (
    Timeliness.DONE_ON_TIME.value,
    Timeliness.DONE_LATE.value,
    Timeliness.OPEN_ON_TIME.value,
    Timeliness.OPEN_OVERDUE.value,
)

# The segments of a meeting's progress bar: the four classes, then tasks without a deadline.
BAR_CLASSES = (*REPORT_CLASSES, Timeliness.NO_DEADLINE.value)

CLASS_LABELS = {
    Timeliness.DONE_ON_TIME.value: _l("Hoàn thành đúng hạn"),
    Timeliness.DONE_LATE.value: _l("Hoàn thành quá hạn"),
    Timeliness.OPEN_ON_TIME.value: _l("Chưa hoàn thành trong hạn"),
    Timeliness.OPEN_OVERDUE.value: _l("Chưa hoàn thành quá hạn"),
    Timeliness.NO_DEADLINE.value: _l("Không thời hạn"),
}

# Counted tasks: paused and cancelled tasks are in no official class.
_COUNTED = (Status.PAUSED.value, Status.CANCELLED.value)


class UnknownFilter(LookupError):
    """A unit or meeting asked for that does not exist or may not be seen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReportScope:
    """What a report counts: a period, seen by a user (None: everything), maybe one unit
    (as lead, chủ trì) or one meeting."""

    period: Period
    today: date
    viewer: User | None = None
    unit: Unit | None = None
    meeting: Meeting | None = None
    against: str = "current"
    # The tasks that stood otherwise on the report date, looked up once per scope.
    _rewound: dict[str, dict[int, Rewound]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def as_of(self) -> date:
        """The report date (cut-off): tasks whose deadline is on or before it are already
        due, and every task counts as it stood on it."""
        return self.period.as_of(self.today)

    @property
    def looks_back(self) -> bool:
        """Whether the report date is before today, so that tasks may have changed since."""
        return self.as_of < self.today

    def rewound(self) -> dict[int, Rewound]:
        """The report's tasks that were completed, or whose deadline changed, after the
        report date (none while the period runs), by task id."""
        if "period" not in self._rewound:
            found: dict[int, Rewound] = {}
            if self.looks_back:
                completion = [self.deadline.between(self.period.start, self.period.end)]
                if self.against == "current":
                    completion += asof.done_late_after(self.as_of)
                found = asof.rewound_tasks(
                    report_session(),
                    as_of=self.as_of,
                    against=self.against,
                    conditions=_common_conditions(self),
                    completion_conditions=completion,
                )
            self._rewound["period"] = found
        return self._rewound["period"]

    def in_period(self, state: Snapshot) -> bool:
        """Whether a task in `state` belongs to the report (its deadline in the period)."""
        return state.in_period(self.period.start, self.period.end)

    def state(self, task: Task) -> Snapshot:
        """What the report counts of `task`: as it stood on the report date."""
        rewound = self.rewound().get(task.id)
        if rewound is not None:
            return rewound.then
        return asof.task_snapshot(task, self.as_of, self.against)

    @property
    def deadline(self) -> Any:
        """The deadline column counted against."""
        return scoring_deadline_column(self.against)

    def filter_args(self) -> dict[str, Any]:
        """The filters as query-string arguments, for links and downloads."""
        args: dict[str, Any] = {}
        if self.period.code:
            args["period"] = self.period.code
        else:
            args["period"] = "range"
            args["from"] = self.period.start.isoformat()
            args["to"] = self.period.end.isoformat()
        if self.unit is not None:
            args["unit"] = self.unit.id
        if self.meeting is not None:
            args["meeting"] = self.meeting.id
        return args


def make_scope(
    period: Period,
    *,
    today: date,
    viewer: User | None = None,
    unit_id: int | None = None,
    meeting_id: int | None = None,
    against: str | None = None,
) -> ReportScope:
    """Check the filters and build the scope. A unit member is always limited to its own unit;
    another unit or an unknown one raises UnknownFilter (the caller answers 404)."""
    unit = None
    if viewer is not None and not viewer.sees_all_tasks:
        if unit_id is not None and unit_id != viewer.unit_id:
            raise UnknownFilter(_("Không tìm thấy đơn vị."))
        unit_id = viewer.unit_id
        if unit_id is None:
            raise UnknownFilter(_("Tài khoản chưa thuộc đơn vị nào."))
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise UnknownFilter(_("Không tìm thấy đơn vị (mã %(id)s).", id=unit_id))
    meeting = None
    if meeting_id is not None:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None:
            raise UnknownFilter(_("Không tìm thấy cuộc họp (mã %(id)s).", id=meeting_id))
        if viewer is not None:
            from tracker.core.permissions import can_view_meeting

            if not can_view_meeting(viewer, meeting):
                raise UnknownFilter(_("Không tìm thấy cuộc họp (mã %(id)s).", id=meeting_id))
    return ReportScope(
        period=period,
        today=today,
        viewer=viewer,
        unit=unit,
        meeting=meeting,
        against=score_against(against),
    )


def period_with_tasks(today: date, viewer: User | None) -> Period:
    """The period a report opens on when none is asked for: this quarter if it has tasks
    (of the viewer's unit, for a unit member), else the latest quarter before it that has
    some, else the first after it; this quarter when there are none at all."""
    current = quarter_of(today)
    conditions: list[sa.ColumnElement[bool]] = [
        Task.status.not_in(_COUNTED),
        Task.deadline.is_not(None),
    ]
    if viewer is not None and not viewer.sees_all_tasks:
        conditions.append(Task.lead_unit_id == viewer.unit_id)
    # ORDER BY ... LIMIT 1 rather than max(): both databases then stop at the first task
    # found along the deadline index.
    latest = db.session.scalar(
        sa.select(Task.deadline)
        .where(*conditions, Task.deadline <= current.end)
        .order_by(Task.deadline.desc())
        .limit(1)
    )
    if latest is not None:
        return current if latest >= current.start else quarter_of(latest)
    first = db.session.scalar(
        sa.select(Task.deadline)
        .where(*conditions, Task.deadline > current.end)
        .order_by(Task.deadline)
        .limit(1)
    )
    return quarter_of(first) if first is not None else current


def _common_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    """Visibility, unit and meeting filters, counted statuses; no period."""
    conditions: list[sa.ColumnElement[bool]] = [Task.status.not_in(_COUNTED)]
    if scope.viewer is not None:
        conditions.append(visible_tasks_clause(scope.viewer))
    if scope.unit is not None:
        conditions.append(Task.lead_unit_id == scope.unit.id)
    if scope.meeting is not None:
        conditions.append(Task.meeting_id == scope.meeting.id)
    return conditions


def scope_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions selecting the tasks of the report (deadline in the period)."""
    return [
        *_common_conditions(scope),
        scope.deadline.between(scope.period.start, scope.period.end),
    ]


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    # SUM(CASE ...) rather than COUNT(...) FILTER: the same SQL on SQLite and PostgreSQL.
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _class_conditions(scope: ReportScope) -> dict[str, sa.ColumnElement[bool]]:
    """The four classes on the report date, for counted tasks with a deadline, as the tasks
    are today (done whatever the completion date; `ReportScope.rewound()` corrects)."""
    dl = scope.deadline
    done = Task.status == Status.DONE.value
    return {
        Timeliness.DONE_ON_TIME.value: sa.and_(
            done, sa.or_(Task.completed_on.is_(None), Task.completed_on <= dl)
        ),
        Timeliness.DONE_LATE.value: sa.and_(done, Task.completed_on > dl),
        Timeliness.OPEN_ON_TIME.value: sa.and_(~done, dl >= scope.as_of),
        Timeliness.OPEN_OVERDUE.value: sa.and_(~done, dl < scope.as_of),
    }


@dataclass
class UnitRow:
    """One unit's line of the summary."""

    unit_id: int | None
    unit_name: str
    assigned: int = 0  # tổng số nhiệm vụ (deadline in the period)
    due: int = 0  # đã đến hạn
    done_on_time: int = 0
    done_late: int = 0
    open_on_time: int = 0
    open_overdue: int = 0
    extended: int = 0  # already due, deadline extended at least once
    short_name: str = ""  # for the narrow chart

    @property
    def not_yet_due(self) -> int:
        """Tasks of the period whose deadline is after the report date."""
        return self.assigned - self.due

    @property
    def done(self) -> int:
        """Tasks already due that are done, on time or late."""
        return self.done_on_time + self.done_late

    @property
    def completion_rate(self) -> float | None:
        """Done (on time or late) over tasks already due, in percent; None with none due."""
        return round(100 * self.done / self.due, 1) if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        """Done on time over tasks already due, in percent; None with none due."""
        return round(100 * self.done_on_time / self.due, 1) if self.due else None

    def as_dict(self) -> dict[str, Any]:
        """The row for JSON."""
        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "assigned": self.assigned,
            "due": self.due,
            "not_yet_due": self.not_yet_due,
            "done_on_time": self.done_on_time,
            "done_late": self.done_late,
            "open_on_time": self.open_on_time,
            "open_overdue": self.open_overdue,
            "extended": self.extended,
            "completion_rate": self.completion_rate,
            "on_time_rate": self.on_time_rate,
        }


COUNT_FIELDS = (
    "assigned",
    "due",
    "done_on_time",
    "done_late",
    "open_on_time",
    "open_overdue",
    "extended",
)
SORT_KEYS = (
    "unit",
    *COUNT_FIELDS,
    "not_yet_due",
    "completion_rate",
    "on_time_rate",
)


@dataclass
class Summary:
    """The per-unit lines and their total."""

    rows: list[UnitRow] = field(default_factory=list)
    total: UnitRow = field(default_factory=lambda: UnitRow(None, str(_("Tổng cộng"))))


def reads_tallies(scope: ReportScope) -> bool:
    """Whether the report's counts can be summed from the tallies (tracker/reports/tallies.py):
    counted against the current deadline, every unit's tasks visible, no meeting filter."""
    return (
        scope.against == "current"
        and scope.meeting is None
        and (scope.viewer is None or scope.viewer.sees_all_tasks)
    )


def _tally_where(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    """The tallies of the report: its period, and its unit when it has one."""
    where = [TaskTally.deadline.between(scope.period.start, scope.period.end)]
    if scope.unit is not None:
        where.append(TaskTally.lead_unit_id == scope.unit.id)
    return where


def _tally_sums(scope: ReportScope) -> dict[str, sa.ColumnElement[int]]:
    """The sums giving the summary's columns from the tallies."""
    T = TaskTally
    due = T.deadline <= scope.as_of
    counted = T.open_count + T.done_on_time + T.done_late

    def total(value: Any, *conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        if conditions:
            value = sa.case((sa.and_(*conditions), value), else_=0)
        return sa.func.coalesce(sa.func.sum(value), 0)

    sums = {
        "assigned": total(counted),
        "due": total(counted, due),
        Timeliness.DONE_ON_TIME.value: total(T.done_on_time, due),
        Timeliness.DONE_LATE.value: total(T.done_late, due),
        Timeliness.OPEN_ON_TIME.value: total(T.open_count, due, T.deadline >= scope.as_of),
        Timeliness.OPEN_OVERDUE.value: total(T.open_count, due, T.deadline < scope.as_of),
        "extended": total(T.extended, due),
    }
    return sums


def _unit_counts(scope: ReportScope) -> Any:
    """Per unit id: assigned, due, the four classes and extended (a subquery)."""
    if reads_tallies(scope):
        sums = _tally_sums(scope)
        return (
            sa.select(
                TaskTally.lead_unit_id.label("unit_id"), *(v.label(k) for k, v in sums.items())
            )
            .where(*_tally_where(scope))
            .group_by(TaskTally.lead_unit_id)
            # Keys whose tasks all moved away stay behind with zeros.
            .having(sums["assigned"] > 0)
            .subquery()
        )
    dl = scope.deadline
    due = dl <= scope.as_of
    classes = _class_conditions(scope)
    # Counted per unit id alone, names joined to the few hundred result rows: grouping the
    # year's tasks by the unit's name as well was a third of the dashboard at a million tasks.
    # `+ 0`: grouped by an expression, so SQLite reads the year's rows from the covering
    # report index instead of walking the lead-unit index in group order and fetching each
    # task from the table (four times slower at a million tasks).
    unit_id = (Task.lead_unit_id + 0).label("unit_id")
    return (
        sa.select(
            unit_id,
            sa.func.count(Task.id).label("assigned"),
            _count(due).label("due"),
            *(_count(sa.and_(due, classes[c])).label(c) for c in REPORT_CLASSES),
            _count(sa.and_(due, Task.extension_count > 0)).label("extended"),
        )
        .where(*scope_conditions(scope))
        .group_by(unit_id)
        .subquery()
    )


def unit_summary(scope: ReportScope) -> Summary:
    """Per lead unit: tasks of the period, and of those already due, each class, as they
    stood on the report date; one query, and two more for a period that has ended."""
    counts = _unit_counts(scope)
    query = (
        sa.select(
            counts.c.unit_id,
            Unit.name,
            counts.c.assigned,
            counts.c.due,
            *(counts.c[c] for c in REPORT_CLASSES),
            counts.c.extended,
            Unit.short_name,
        )
        .join(Unit, Unit.id == counts.c.unit_id)
        .order_by(Unit.name_folded)
    )
    summary = Summary()
    for unit_id, name, *counts, short_name in report_session().execute(query):
        summary.rows.append(
            UnitRow(unit_id, name, *(int(c) for c in counts), short_name=short_name or "")
        )
    rewound = scope.rewound()
    if rewound:
        summary.rows = _rewind_rows(summary.rows, rewound.values(), scope)
    if scope.unit is not None and not summary.rows:
        summary.rows.append(UnitRow(scope.unit.id, scope.unit.name))
    for row in summary.rows:
        for name in COUNT_FIELDS:
            setattr(summary.total, name, getattr(summary.total, name) + getattr(row, name))
    return summary


def _count_state(row: UnitRow, state: Snapshot, scope: ReportScope, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) what a task in `state` counts in a unit's row."""
    if not scope.in_period(state):
        return
    row.assigned += sign
    assert state.scored is not None
    if state.scored > scope.as_of:
        return
    row.due += sign
    setattr(row, state.kind, getattr(row, state.kind) + sign)
    if state.extended:
        row.extended += sign


def _rewind_rows(
    rows: list[UnitRow], rewound: Iterable[Rewound], scope: ReportScope
) -> list[UnitRow]:
    """The units' rows with each rewound task counted as it stood on the report date."""
    by_unit = {row.unit_id: row for row in rows}
    for task in rewound:
        row = by_unit.get(task.lead_unit_id)
        if row is None:
            row = by_unit[task.lead_unit_id] = UnitRow(task.lead_unit_id, "")
        _count_state(row, task.now, scope, -1)
        _count_state(row, task.then, scope, 1)
    unnamed = [unit_id for unit_id, row in by_unit.items() if not row.unit_name and row.assigned]
    if unnamed:
        names = {
            unit_id: (name, short_name)
            for unit_id, name, short_name in db.session.execute(
                sa.select(Unit.id, Unit.name, Unit.short_name).where(Unit.id.in_(unnamed))
            )
        }
        for unit_id in unnamed:
            name, short_name = names.get(unit_id, ("", ""))
            by_unit[unit_id].unit_name, by_unit[unit_id].short_name = name, short_name or ""
    from tracker.core.text import fold

    # A unit whose only tasks of the period left it since the report date has no row.
    return sorted(
        (row for row in by_unit.values() if row.assigned > 0), key=lambda r: fold(r.unit_name)
    )


def sort_rows(rows: list[UnitRow], key: str, descending: bool) -> list[UnitRow]:
    """Sort summary rows by a column; units without a rate go last either way."""
    if key not in SORT_KEYS or key == "unit":
        from tracker.core.text import fold

        return sorted(rows, key=lambda r: fold(r.unit_name), reverse=descending)
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    return sorted(present, key=lambda r: getattr(r, key), reverse=descending) + missing


@dataclass
class MeetingRow:
    """How far one meeting's conclusions have got, over all its counted tasks."""

    meeting_id: int
    title: str
    held_on: date
    notice_number: str
    notice_issued_on: date | None
    total: int
    counts: dict[str, int]

    @property
    def done(self) -> int:
        """Tasks done, on time or late."""
        return self.counts[Timeliness.DONE_ON_TIME] + self.counts[Timeliness.DONE_LATE]

    @property
    def percent_done(self) -> int:
        """Share of tasks done, in whole percent."""
        return round(100 * self.done / self.total) if self.total else 0

    def percent(self, kind: str) -> float:
        """Share of one class, for the stacked progress bar."""
        return round(100 * self.counts[kind] / self.total, 2) if self.total else 0.0

    def segments(self) -> list[tuple[str, float, float]]:
        """The stacked progress bar, left to right: (class, x, width) in percent of the bar,
        for each class (and "no deadline") the meeting has tasks in."""
        segments = []
        x: float = 0
        for kind in BAR_CLASSES:
            if self.counts[kind]:
                width = self.percent(kind)
                segments.append((kind, round(x, 2), width))
                x += width
        return segments


def meeting_progress(scope: ReportScope, limit: int = 50) -> list[MeetingRow]:
    """Meetings with tasks in the report, each with all its counted tasks by class on the
    report date."""
    # The latest `limit` meetings with a task in the report, found walking the meetings
    # from the newest (it stops at the fiftieth), then only their tasks counted: counting
    # every task of every meeting of a year to keep fifty was most of the dashboard's time.
    has_task = sa.exists().where(Task.meeting_id == Meeting.id, *scope_conditions(scope))
    latest = (
        sa.select(Meeting.id)
        .where(has_task)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    )
    dl = scope.deadline
    done = Task.status == Status.DONE.value
    classes = {
        kind: sa.and_(dl.is_not(None), condition)
        for kind, condition in _class_conditions(scope).items()
    }
    # As classify(): a done task without a deadline is done on time.
    classes[Timeliness.DONE_ON_TIME.value] = sa.or_(
        classes[Timeliness.DONE_ON_TIME.value], sa.and_(done, dl.is_(None))
    )
    classes[Timeliness.NO_DEADLINE.value] = sa.and_(~done, dl.is_(None))
    kinds = list(classes)
    query = (
        sa.select(
            Meeting.id,
            Meeting.title,
            Meeting.held_on,
            Meeting.notice_number,
            Meeting.notice_issued_on,
            sa.func.count(Task.id),
            *(_count(classes[k]) for k in kinds),
        )
        .join(Task, Task.meeting_id == Meeting.id)
        .where(Meeting.id.in_(latest.scalar_subquery()), *_common_conditions(scope))
        .group_by(
            Meeting.id,
            Meeting.title,
            Meeting.held_on,
            Meeting.notice_number,
            Meeting.notice_issued_on,
        )
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    )
    rows = []
    for meeting_id, title, held_on, number, issued_on, total, *counts in report_session().execute(
        query
    ):
        rows.append(
            MeetingRow(
                meeting_id,
                title,
                held_on,
                number or "",
                issued_on,
                int(total),
                {k: int(c) for k, c in zip(kinds, counts, strict=True)},
            )
        )
    if rows and scope.looks_back:
        # Every task of these meetings, whatever its deadline, as it stood on the report date.
        by_meeting = {row.meeting_id: row for row in rows}
        for task in asof.rewound_tasks(
            report_session(),
            as_of=scope.as_of,
            against=scope.against,
            conditions=[*_common_conditions(scope), Task.meeting_id.in_(list(by_meeting))],
            completion_conditions=[],
        ).values():
            counts = by_meeting[task.meeting_id].counts
            counts[task.now.kind] -= 1
            counts[task.then.kind] += 1
    return rows


def class_series(scope: ReportScope) -> list[tuple[tuple[int, int], dict[str, int]]]:
    """For each month of the period, the tasks whose deadline falls in it, by class on the
    report date."""
    if reads_tallies(scope):
        T = TaskTally
        year, month = sa.extract("year", T.deadline), sa.extract("month", T.deadline)
        now_open = {
            Timeliness.OPEN_ON_TIME.value: T.deadline >= scope.as_of,
            Timeliness.OPEN_OVERDUE.value: T.deadline < scope.as_of,
        }
        columns = [
            sa.func.coalesce(sa.func.sum(T.done_on_time), 0),
            sa.func.coalesce(sa.func.sum(T.done_late), 0),
            *(
                sa.func.coalesce(sa.func.sum(sa.case((now_open[c], T.open_count), else_=0)), 0)
                for c in REPORT_CLASSES[2:]
            ),
        ]
        query = sa.select(year, month, *columns).where(*_tally_where(scope)).group_by(year, month)
    else:
        dl = scope.deadline
        year = sa.extract("year", dl)
        month = sa.extract("month", dl)
        classes = _class_conditions(scope)
        query = (
            sa.select(year, month, *(_count(classes[c]) for c in REPORT_CLASSES))
            .where(*scope_conditions(scope))
            .group_by(year, month)
        )
    found = {
        (int(y), int(m)): dict(zip(REPORT_CLASSES, (int(c) for c in counts), strict=True))
        for y, m, *counts in report_session().execute(query)
    }
    empty = dict.fromkeys(REPORT_CLASSES, 0)
    for task in scope.rewound().values():
        for state, sign in ((task.now, -1), (task.then, 1)):
            if scope.in_period(state):
                assert state.scored is not None
                month = found.setdefault((state.scored.year, state.scored.month), dict(empty))
                month[state.kind] += sign
    return [(ym, found.get(ym, dict(empty))) for ym in scope.period.months()]


def _overdue_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    """The report's open tasks past the deadline counted against (both overdue lists), as
    the tasks are today (the rewound ones are corrected by the callers)."""
    return [
        *scope_conditions(scope),
        Task.status != Status.DONE.value,
        scope.deadline < scope.as_of,
    ]


def _rewound_overdue(scope: ReportScope) -> tuple[set[int], list[Rewound]]:
    """The rewound tasks: all their ids (to leave out of the queries' rows) and those that
    were open and overdue on the report date."""
    rewound = scope.rewound()
    overdue = [
        task
        for task in rewound.values()
        if task.then.kind == Timeliness.OPEN_OVERDUE.value and scope.in_period(task.then)
    ]
    return set(rewound), overdue


def _overdue_key(state: Snapshot, task_id: int) -> tuple[date, int]:
    assert state.scored is not None
    return (state.scored, task_id)


def overdue_tasks(scope: ReportScope, limit: int | None = None) -> Sequence[Task]:
    """Open tasks of the report past their deadline on the report date, oldest deadline
    first."""
    skip, extra = _rewound_overdue(scope)
    options = (
        # Without the meetings' notice texts, which no report prints.
        joinedload(Task.lead_unit),
        joinedload(Task.meeting).defer(Meeting.notice_text),
    )
    query = (
        sa.select(Task)
        .options(*options)
        .where(*_overdue_conditions(scope))
        .order_by(scope.deadline, Task.id)
    )
    if limit is not None:
        query = query.limit(limit + len(skip))
    tasks = [t for t in report_session().scalars(query).unique() if t.id not in skip]
    if extra:
        tasks += (
            report_session()
            .scalars(
                sa.select(Task).options(*options).where(Task.id.in_([t.task_id for t in extra]))
            )
            .unique()
        )
        tasks.sort(key=lambda t: _overdue_key(scope.state(t), t.id))
    return tasks if limit is None else tasks[:limit]


class OverdueRow(NamedTuple):
    """What the dashboard's overdue list shows of a task."""

    task_id: int
    content: str
    notice_number: str | None
    meeting_title: str
    lead_unit_name: str
    deadline: date
    extension_count: int
    days_overdue: int
    last_activity_dt: datetime | None


def overdue_rows(scope: ReportScope, limit: int) -> list[OverdueRow]:
    """The first `limit` tasks of `overdue_tasks`, as the dashboard lists them: the columns it
    shows rather than whole tasks with their units and meetings (building those objects cost
    the dashboard more than the query)."""
    skip, extra = _rewound_overdue(scope)
    query = (
        sa.select(
            Task.id,
            Task.content,
            Meeting.notice_number,
            Meeting.title,
            Unit.name,
            Task.deadline,
            Task.extension_count,
            Task.original_deadline,
            Task.last_activity_dt,
        )
        .outerjoin(Unit, Unit.id == Task.lead_unit_id)
        .outerjoin(Meeting, Meeting.id == Task.meeting_id)
    )
    found = [
        row
        for row in report_session().execute(
            query.where(*_overdue_conditions(scope))
            .order_by(scope.deadline, Task.id)
            .limit(limit + len(skip))
        )
        if row[0] not in skip
    ]
    then = {task.task_id: task.then for task in extra}
    if then:
        found += report_session().execute(query.where(Task.id.in_(list(then))))
    rows = []
    for task_id, *shown, deadline, extensions, original, last_activity_dt in found:
        state = then.get(task_id)
        if state is not None:
            deadline, extensions, scored = state.deadline, state.extension_count, state.scored
        else:
            scored = _scored(deadline, original, scope)
        line = OverdueRow(
            task_id,
            *shown,
            deadline=deadline,
            extension_count=extensions,
            days_overdue=_days_past(scored, scope.as_of),
            last_activity_dt=last_activity_dt,
        )
        rows.append((scored, task_id, line))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [line for _scored_day, _id, line in rows[:limit]]


def report_tasks(scope: ReportScope) -> Sequence[Task]:
    """Every task of the report with what an export shows, in the order of the meetings: the
    tasks whose deadline on the report date falls in the period."""
    options = (
        contains_eager(Task.meeting).defer(Meeting.notice_text),
        joinedload(Task.lead_unit),
        selectinload(Task.coordinating_units),
    )
    query = sa.select(Task).join(Task.meeting).options(*options)
    tasks = list(
        report_session()
        .scalars(
            query.where(*scope_conditions(scope)).order_by(Meeting.held_on, Meeting.id, Task.id)
        )
        .unique()
    )
    rewound = scope.rewound()
    if not rewound:
        return tasks
    # Tasks whose deadline moved out of the period after the report date come back; those
    # whose deadline moved into it were not in it yet.
    tasks = [t for t in tasks if t.id not in rewound or scope.in_period(rewound[t.id].then)]
    listed = {t.id for t in tasks}
    missing = [i for i, r in rewound.items() if i not in listed and scope.in_period(r.then)]
    if missing:
        tasks += report_session().scalars(query.where(Task.id.in_(missing))).unique()
    tasks.sort(key=lambda t: (t.meeting.held_on, t.meeting_id, t.id))
    return tasks


def report_class(task: Task, scope: ReportScope) -> str | None:
    """The task's class in reports on the report date (due soon counts as on time)."""
    return scope.state(task).kind


def scored_deadline(task: Task, scope: ReportScope) -> date | None:
    """The deadline the task is counted against, on the report date."""
    return scope.state(task).scored


def _scored(deadline: date | None, original: date | None, scope: ReportScope) -> date | None:
    return (original or deadline) if scope.against == "original" else deadline


def days_overdue(task: Task, scope: ReportScope) -> int:
    """Calendar days past the deadline counted against, on the report date."""
    return scope.state(task).days_overdue(scope.as_of)


def _days_past(deadline: date | None, today: date) -> int:
    return max(0, (today - deadline).days) if deadline else 0


@dataclass
class Report:
    """Everything an export needs, computed once."""

    scope: ReportScope
    summary: Summary
    tasks: Sequence[Task]
    overdue: Sequence[Task]
    generated_dt: datetime | None = None
    # The head's per-officer view (tracker.subtasks.operations.OfficerPeriodRow), only when
    # the requester is the unit's head: None for everyone else, so no sheet is written.
    officers: Sequence[Any] | None = None


def build_report(scope: ReportScope, generated_dt: datetime | None = None) -> Report:
    """Summary, task list and overdue list of a scope."""
    return Report(
        scope=scope,
        summary=unit_summary(scope),
        tasks=report_tasks(scope),
        overdue=overdue_tasks(scope),
        generated_dt=generated_dt,
    )
