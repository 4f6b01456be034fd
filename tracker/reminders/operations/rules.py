"""The reminder rules in force (the admin's settings or the defaults) and the digest clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from tracker.core.errors import ValidationError
from tracker.core.time import now_utc
from tracker.core.workdays import WorkingCalendar
from tracker.extensions import db
from tracker.reminders.models import ReminderSettings

SETTINGS_ID = 1


@dataclass(frozen=True)
class Rules:
    """What is sent when; the defaults are the issue's defaults."""

    days_before: int = 3
    on_deadline_day: bool = True
    overdue_every: int = 2
    escalate_after: int = 5
    confirmation_after: int = 2
    extension_reminders: bool = True
    digest_time: time = time(7, 30)
    max_attempts: int = 5
    retry_minutes: int = 5

    def retry_delay(self, attempts: int) -> timedelta:
        """Wait before try number `attempts + 1`: doubling, at most six hours."""
        return min(
            timedelta(minutes=self.retry_minutes * 2 ** max(attempts - 1, 0)), timedelta(hours=6)
        )


def load_rules() -> Rules:
    """The rules in force."""
    row = db.session.get(ReminderSettings, SETTINGS_ID)
    if row is None:
        return Rules()
    values = {f.name: getattr(row, f.name) for f in fields(Rules) if f.name != "digest_time"}
    return Rules(digest_time=parse_clock(row.digest_time) or Rules.digest_time, **values)


_CLOCK = re.compile(r"^\s*([01]?\d|2[0-3])[:hH.]([0-5]\d)\s*$")


def parse_clock(text: str) -> time | None:
    """ "07:30", "7h30" or "7.30" as a time of day; None when unreadable."""
    match = _CLOCK.match(text or "")
    return time(int(match.group(1)), int(match.group(2))) if match else None


LIMITS = {
    "days_before": (1, 30),
    "overdue_every": (1, 30),
    "escalate_after": (1, 60),
    "confirmation_after": (1, 30),
    "max_attempts": (1, 20),
    "retry_minutes": (1, 240),
}


def save_rules(values: dict[str, object]) -> ReminderSettings:
    """Store the admin's rules after checking them; raise ValidationError naming the fields."""
    errors: dict[str, str] = {}
    for name, (low, high) in LIMITS.items():
        value = values.get(name)
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = _("Giá trị phải từ %(low)d đến %(high)d.", low=low, high=high)
    clock = values.get("digest_time")
    if not isinstance(clock, str) or parse_clock(clock) is None:
        errors["digest_time"] = _("Giờ không hợp lệ, hãy nhập theo dạng HH:MM, ví dụ 07:30.")
    if errors:
        raise ValidationError(errors)
    row = db.session.get(ReminderSettings, SETTINGS_ID)
    if row is None:
        row = ReminderSettings(id=SETTINGS_ID)
        db.session.add(row)
    for name in LIMITS:
        setattr(row, name, values[name])
    row.on_deadline_day = bool(values.get("on_deadline_day"))
    row.extension_reminders = bool(values.get("extension_reminders"))
    parsed = parse_clock(str(clock))
    assert parsed is not None
    row.digest_time = f"{parsed:%H:%M}"
    row.updated_dt = now_utc()
    db.session.flush()
    return row


@dataclass(frozen=True)
class Clock:
    """A pass's view of time: the instant, the local day, the digest slots."""

    now: datetime
    zone: ZoneInfo
    calendar: WorkingCalendar
    digest_time: time

    @property
    def today(self) -> date:
        """The local date of the pass."""
        return self.now.astimezone(self.zone).date()

    def local_midnight(self, day: date) -> datetime:
        """The instant the local `day` begins, in UTC."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(ZoneInfo("UTC"))

    def slot(self, day: date) -> datetime:
        """The instant of `day`'s digest, in UTC. A wall time that a DST change skips or
        repeats still names one instant (zoneinfo's fold=0), so no day is lost or doubled."""
        return datetime.combine(day, self.digest_time, tzinfo=self.zone).astimezone(ZoneInfo("UTC"))

    def next_slot(self) -> datetime:
        """The next digest (today's when it is still to come on a working day)."""
        day = self.today
        while not self.calendar.is_working_day(day) or self.slot(day) < self.now:
            day += timedelta(days=1)
        return self.slot(day)

    def is_digest_day(self) -> bool:
        """Today is a working day."""
        return self.calendar.is_working_day(self.today)
