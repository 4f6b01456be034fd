"""Reading and changing the working-day calendar."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from tracker.calendar.models import CalendarDay
from tracker.core.errors import ValidationError
from tracker.core.limits import date_in_range, date_range_message
from tracker.core.workdays import WorkingCalendar
from tracker.extensions import db


def load_calendar() -> WorkingCalendar:
    """The calendar with the admin's exceptions, read from the database."""
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.is_working)).all()
    return WorkingCalendar(
        extra_days_off=[day for day, working in rows if not working],
        extra_working_days=[day for day, working in rows if working],
    )


def working_calendar() -> WorkingCalendar:
    """The calendar, read once per request or job."""
    if not has_app_context():
        return WorkingCalendar()
    if "working_calendar" not in g:
        g.working_calendar = load_calendar()
    return g.working_calendar


def set_day(day: date, *, is_working: bool, note: str = "") -> CalendarDay:
    """Declare `day` a working day or a day off, replacing an earlier declaration."""
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Ghi chú tối đa 200 ký tự.")})
    if not date_in_range(day):
        raise ValidationError({"day": date_range_message()})
    # Declaring what the usual calendar already says would only hide mistakes.
    usual = WorkingCalendar()
    if is_working and usual.is_working_day(day):
        raise ValidationError(
            {"day": _("Ngày %(day)s vốn đã là ngày làm việc.", day=f"{day:%d/%m/%Y}")}
        )
    if not is_working and not usual.is_working_day(day):
        raise ValidationError(
            {"day": _("Ngày %(day)s vốn đã là ngày nghỉ.", day=f"{day:%d/%m/%Y}")}
        )
    row = db.session.scalar(sa.select(CalendarDay).where(CalendarDay.day == day))
    if row is None:
        row = CalendarDay(day=day, is_working=is_working, note=note)
        db.session.add(row)
    else:
        row.is_working = is_working
        row.note = note
    db.session.flush()
    g.pop("working_calendar", None)
    return row


def days_of_year(year: int) -> list[CalendarDay]:
    """The admin's exceptions in `year`, in date order."""
    return list(
        db.session.scalars(
            sa.select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
    )


def public_holidays(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """The statutory public holidays of `year` with their names, from the holidays package."""
    import holidays

    names = holidays.country_holidays(
        "VN", years=year, language="vi" if language == "vi" else "en_US"
    )
    return sorted(names.items())


def remove_day(row: CalendarDay) -> None:
    """Drop an exception; the day follows the usual calendar again."""
    db.session.delete(row)
    db.session.flush()
    g.pop("working_calendar", None)
