"""The Vietnamese working-day calendar and deadline arithmetic (Bộ luật Dân sự 2015, Điều 147-148)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    # The holidays package computes the lunar dates (Tết Nguyên đán, Giỗ Tổ Hùng Vương) and
    # the statutory extra days, which a hand-typed table would get wrong in some year.
    return frozenset(holidays.country_holidays("VN", years=year).keys())


class WorkingCalendar:
    """Which days are working days: Monday to Friday, minus public holidays, adjusted by the
    days an administrator declares off (bridge holidays) or working (swapped Saturdays)."""

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)

    def is_public_holiday(self, day: date) -> bool:
        """True when `day` is a statutory public holiday in Vietnam."""
        return day in _public_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """True when offices work on `day`."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return day.weekday() < 5 and not self.is_public_holiday(day)

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` ("trong N ngày làm việc"); the day of the
        event itself is not counted. A negative count goes backwards."""
        step = 1 if count >= 0 else -1
        day, remaining = start, abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def add_days(self, start: date, count: int) -> date:
        """Deadline of "within `count` days" from `start` under the Civil Code: counting starts
        the day after the event, and a last day that is a day off moves to the next working day."""
        return self.next_working_day(start + timedelta(days=count))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end == start:
            return 0
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return sign * count


DEFAULT_CALENDAR = WorkingCalendar()
