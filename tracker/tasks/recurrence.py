"""Recurring directives: a rule (monthly, quarterly, yearly) and one task per period."""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.errors import ValidationError
from tracker.core.permissions import Action, require
from tracker.core.time import now_utc, today_local
from tracker.core.workdays import WorkingCalendar
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import EventKind, Frequency, Status, Task, TaskEvent, TaskSeries
from tracker.tasks.operations import create_task
from tracker.units.models import Unit

# Occurrences are created this far ahead, so units see next month's report before it is due.
HORIZON_DAYS = 60
FREQUENCY_VALUES = frozenset(f.value for f in Frequency)
_ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Period:
    """One period of a series: its first and last day, its label, its deadline before
    moving off days off."""

    start: date
    end: date
    label: str
    nominal_deadline: date


def _day_in_month(year: int, month: int, day: int) -> date:
    # "Ngày 31" in a 30-day month is its last day.
    return date(year, month, min(day, month_calendar.monthrange(year, month)[1]))


def _month_end(year: int, month: int) -> date:
    return date(year, month, month_calendar.monthrange(year, month)[1])


def _period_of(series: TaskSeries, year: int, index: int) -> Period:
    # Labels are stored with the task, in the language of the documents (like its content).
    frequency = series.frequency
    if frequency == Frequency.MONTHLY:
        start, end = date(year, index, 1), _month_end(year, index)
        label = f"Tháng {index}/{year}"
        due_month = index
    elif frequency == Frequency.QUARTERLY:
        first = 3 * (index - 1) + 1
        start, end = date(year, first, 1), _month_end(year, first + 2)
        label = f"Quý {_ROMAN[index - 1]}/{year}"
        due_month = first + 2
    else:
        start, end = date(year, 1, 1), date(year, 12, 31)
        label = f"Năm {year}"
        due_month = series.month or 12
    if series.offset_days is not None and frequency != Frequency.YEARLY:
        deadline = end + timedelta(days=series.offset_days)
    else:
        deadline = _day_in_month(year, due_month, series.day)
    return Period(start, end, label, deadline)


def _periods_from(series: TaskSeries, day: date) -> Iterator[Period]:
    """Periods in order, starting with the one that contains `day`."""
    year = day.year
    if series.frequency == Frequency.MONTHLY:
        index, count = day.month, 12
    elif series.frequency == Frequency.QUARTERLY:
        index, count = (day.month - 1) // 3 + 1, 4
    else:
        index, count = 1, 1
    while True:
        yield _period_of(series, year, index)
        index += 1
        if index > count:
            year, index = year + 1, 1


def due_periods(
    series: TaskSeries, until: date, calendar: WorkingCalendar | None = None
) -> Iterator[tuple[Period, date]]:
    """The series' periods whose deadline falls on or after its start, no later than its end
    date, and (after moving to a working day) no later than `until`, each with its deadline."""
    calendar = calendar or working_calendar()
    # An offset may put a period's deadline in the next period: start early enough.
    first = series.start_on - timedelta(days=(series.offset_days or 0) + 1)
    for period in _periods_from(series, first):
        if period.nominal_deadline < series.start_on:
            continue
        if series.end_on is not None and period.nominal_deadline > series.end_on:
            return
        deadline = calendar.next_working_day(period.nominal_deadline)
        if deadline > until:
            return
        yield period, deadline


def _check_rule(
    frequency: str | None,
    day: int | None,
    month: int | None,
    offset_days: int | None,
    start_on: date,
    end_on: date | None,
) -> None:
    errors: dict[str, str] = {}
    if frequency not in FREQUENCY_VALUES:
        errors["repeat"] = _("Tần suất lặp lại không hợp lệ.")
    if offset_days is None and (day is None or not 1 <= day <= 31):
        errors["repeat_day"] = _("Vui lòng nhập ngày đến hạn trong tháng (1–31).")
    if offset_days is not None and not 0 <= offset_days <= 92:
        errors["repeat_day"] = _("Số ngày sau khi hết kỳ phải từ 0 đến 92.")
    if frequency == Frequency.YEARLY and (month is None or not 1 <= month <= 12):
        errors["repeat_month"] = _("Vui lòng chọn tháng đến hạn trong năm.")
    if end_on is not None and end_on < start_on:
        errors["repeat_end"] = _(
            "Ngày kết thúc lặp lại không thể trước ngày bắt đầu (%(day)s).",
            day=f"{start_on:%d/%m/%Y}",
        )
    if errors:
        raise ValidationError(errors)


def create_recurring_task(
    meeting: Meeting,
    *,
    actor: User,
    frequency: str,
    day: int | None,
    month: int | None = None,
    offset_days: int | None = None,
    end_on: date | None = None,
    start_on: date | None = None,
    content: str,
    lead_unit: Unit | None,
    coordinating_units: list[Unit] | None = None,
    responsible: User | None = None,
    source_text: str = "",
    today: date | None = None,
) -> Task:
    """Assign a recurring directive: the series, its first occurrence (the template the next
    ones copy) and the occurrences due within the horizon."""
    today = today or today_local()
    # A directive entered after the meeting applies from now on, not to periods already past.
    start_on = start_on or max(meeting.held_on, today)
    _check_rule(frequency, day, month, offset_days, start_on, end_on)
    series = TaskSeries(
        frequency=frequency,
        day=day or 0,
        month=month if frequency == Frequency.YEARLY else None,
        offset_days=offset_days,
        start_on=start_on,
        end_on=end_on,
        created_by=actor,
    )
    first = next(iter(due_periods(series, date.max)), None)
    if first is None:
        raise ValidationError(
            {"repeat_end": _("Không có kỳ nào đến hạn trước ngày kết thúc lặp lại.")}
        )
    period, deadline = first
    task = create_task(
        meeting,
        actor=actor,
        content=content,
        lead_unit=lead_unit,
        coordinating_units=coordinating_units,
        responsible=responsible,
        deadline=deadline,
        source_text=source_text,
    )
    db.session.add(series)
    task.series = series
    task.period_start = period.start
    task.period_label = period.label
    series.template_task = task
    db.session.flush()
    _create_due(series, today)
    return task


def _create_due(series: TaskSeries, today: date) -> list[Task]:
    template = series.template_task
    if template is None or not series.is_active:
        return []
    existing = set(
        db.session.scalars(sa.select(Task.period_start).where(Task.series_id == series.id))
    )
    created: list[Task] = []
    for period, deadline in due_periods(series, today + timedelta(days=HORIZON_DAYS)):
        if period.start in existing:
            continue
        task = Task(
            meeting=template.meeting,
            content=template.content,
            lead_unit=template.lead_unit,
            coordinating_units=list(template.coordinating_units),
            responsible=template.responsible,
            deadline=deadline,
            original_deadline=deadline,
            source_text=template.source_text,
            created_by=series.created_by,
            status=Status.NEW.value,
            progress=0,
            last_activity_dt=now_utc(),
            series=series,
            period_start=period.start,
            period_label=period.label,
        )
        db.session.add(task)
        db.session.add(
            TaskEvent(
                task=task,
                actor=None,
                kind=EventKind.CREATED.value,
                created_dt=now_utc(),
                note=_(
                    "Kỳ %(period)s của nhiệm vụ định kỳ #%(id)d.",
                    period=period.label,
                    id=template.id,
                ),
            )
        )
        existing.add(period.start)
        created.append(task)
    db.session.flush()
    return created


def ensure_occurrences(today: date | None = None) -> list[Task]:
    """Create every occurrence of every active series whose deadline falls within the next
    HORIZON_DAYS days and that does not exist yet. Idempotent: a second run creates nothing.
    Flushes, never commits (the job or command does)."""
    today = today or today_local()
    series_list = db.session.scalars(
        sa.select(TaskSeries)
        .options(selectinload(TaskSeries.template_task))
        .where(TaskSeries.is_active.is_(True))
        .order_by(TaskSeries.id)
    ).all()
    created: list[Task] = []
    for series in series_list:
        created.extend(_create_due(series, today))
    return created


def recurrence_job() -> int:
    """The scheduler's job: create the coming occurrences and commit; returns how many."""
    created = ensure_occurrences(today_local())
    db.session.commit()
    return len(created)


def stop_series(series: TaskSeries, *, actor: User, end_on: date | None = None) -> TaskSeries:
    """Stop creating occurrences (the existing ones stay as they are)."""
    template = series.template_task
    if template is not None:
        require(actor, Action.EDIT, template)
    series.is_active = False
    series.end_on = end_on or today_local()
    if template is not None:
        db.session.add(
            TaskEvent(
                task=template,
                actor=actor,
                kind=EventKind.CHANGED.value,
                created_dt=now_utc(),
                field="series",
                old_value=describe_rule(series),
                new_value="",
                note=_("Dừng lặp lại."),
            )
        )
    db.session.flush()
    return series


def describe_rule(series: TaskSeries) -> str:
    """The rule in words: "hằng tháng, trước ngày 25"."""
    if series.offset_days is not None and series.frequency != Frequency.YEARLY:
        when = _("%(n)d ngày sau khi hết kỳ", n=series.offset_days)
    elif series.frequency == Frequency.YEARLY:
        when = _("ngày %(d)d/%(m)d", d=series.day, m=series.month or 12)
    elif series.frequency == Frequency.QUARTERLY:
        when = _("ngày %(d)d tháng cuối quý", d=series.day)
    else:
        when = _("ngày %(d)d", d=series.day)
    names = {
        Frequency.MONTHLY: _("Hằng tháng"),
        Frequency.QUARTERLY: _("Hằng quý"),
        Frequency.YEARLY: _("Hằng năm"),
    }
    text = f"{names.get(Frequency(series.frequency), series.frequency)}, {when}"
    if series.end_on:
        text += _(", đến %(day)s", day=f"{series.end_on:%d/%m/%Y}")
    return text
