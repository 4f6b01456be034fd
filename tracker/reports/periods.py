"""Reporting periods: months, quarters, half-years, years and from–to ranges."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from tracker.core.forms import parse_date

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# Keywords the dashboard offers, each relative to today.
RELATIVE_KINDS = ("month", "quarter", "half", "year")

_CODE = re.compile(r"^\s*(\d{4})(?:-(?:(Q|H)(\d+)|(\d{1,2})))?\s*$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period that cannot exist ("2017-Q5", `to` before `from`); the message says why."""


@dataclass(frozen=True)
class Period:
    """A closed range of calendar days [start, end] that a report covers."""

    start: date
    end: date
    code: str = ""  # "2017-Q2", "2017-06", "2017-H1", "2017", or "" for a from–to range

    @property
    def label(self) -> str:
        """The period as offices write it: "Quý II năm 2017"."""
        code = self.code
        if re.fullmatch(r"\d{4}", code):
            return _("Năm %(year)s", year=code)
        if re.fullmatch(r"\d{4}-Q\d", code):
            return _("Quý %(q)s năm %(year)s", q=ROMAN[int(code[-1])], year=code[:4])
        if code.endswith("-H1"):
            return _("6 tháng đầu năm %(year)s", year=code[:4])
        if code.endswith("-H2"):
            return _("6 tháng cuối năm %(year)s", year=code[:4])
        if re.fullmatch(r"\d{4}-\d{2}", code):
            return _("Tháng %(month)s năm %(year)s", month=int(code[5:]), year=code[:4])
        return _("Từ %(start)s đến %(end)s", start=self.start_text, end=self.end_text)

    @property
    def start_text(self) -> str:
        """The first day, dd/mm/yyyy."""
        return f"{self.start:%d/%m/%Y}"

    @property
    def end_text(self) -> str:
        """The last day, dd/mm/yyyy."""
        return f"{self.end:%d/%m/%Y}"

    @property
    def range_text(self) -> str:
        """ "từ 01/04/2017 đến 30/06/2017"."""
        return _("từ %(start)s đến %(end)s", start=self.start_text, end=self.end_text)

    def as_of(self, today: date) -> date:
        """The day the report counts up to: the period's end, or today if it has not ended."""
        return min(self.end, today)

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the period touches, in order."""
        result = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            result.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _check_year(year: int) -> None:
    if not 1900 <= year <= 9999:
        raise PeriodError(_("Năm %(year)s nằm ngoài phạm vi cho phép.", year=year))


def parse_period(code: str) -> Period:
    """Read "2017-Q2" (quarter), "2017-06" (month), "2017-H1" (half-year) or "2017" (year)."""
    match = _CODE.match(code or "")
    if not match:
        raise PeriodError(
            _(
                "Kỳ báo cáo “%(code)s” không hợp lệ; hãy viết như 2017-Q2 (quý), 2017-06 "
                "(tháng), 2017-H1 (6 tháng) hoặc 2017 (năm).",
                code=(code or "")[:40],
            )
        )
    year = int(match.group(1))
    _check_year(year)
    letter, number, month = match.group(2), match.group(3), match.group(4)
    if letter is None and month is None:
        return Period(date(year, 1, 1), date(year, 12, 31), f"{year}")
    if month is not None:
        m = int(month)
        if not 1 <= m <= 12:
            raise PeriodError(_("Tháng %(month)s không tồn tại.", month=month))
        return Period(date(year, m, 1), _month_end(year, m), f"{year}-{m:02d}")
    n = int(number)
    if letter.upper() == "Q":
        if not 1 <= n <= 4:
            raise PeriodError(_("Quý %(n)s không tồn tại; một năm có 4 quý.", n=number))
        first = 3 * (n - 1) + 1
        return Period(date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{n}")
    if not 1 <= n <= 2:
        raise PeriodError(_("Nửa năm thứ %(n)s không tồn tại; chỉ có H1 và H2.", n=number))
    first = 1 if n == 1 else 7
    return Period(date(year, first, 1), _month_end(year, first + 5), f"{year}-H{n}")


def relative_period(kind: str, today: date) -> Period:
    """This month, quarter, half-year or year."""
    if kind == "month":
        return parse_period(f"{today.year}-{today.month:02d}")
    if kind == "quarter":
        return parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    if kind == "half":
        return parse_period(f"{today.year}-H{1 if today.month <= 6 else 2}")
    if kind == "year":
        return parse_period(f"{today.year}")
    raise PeriodError(_("Kỳ báo cáo không hợp lệ."))


def date_range(start: date | str | None, end: date | str | None) -> Period:
    """A from–to period; dates may be given as dd/mm/yyyy or yyyy-mm-dd text."""
    days: list[date] = []
    for value, missing in (
        (start, _("Vui lòng nhập ngày bắt đầu kỳ báo cáo.")),
        (end, _("Vui lòng nhập ngày kết thúc kỳ báo cáo.")),
    ):
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            day = parse_date(value or "")
        except ValueError:
            raise PeriodError(
                _("Ngày “%(text)s” không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.", text=value[:20])
            ) from None
        if day is None:
            raise PeriodError(missing)
        days.append(day)
    first, last = days
    _check_year(first.year)
    _check_year(last.year)
    if last < first:
        raise PeriodError(_("Ngày kết thúc kỳ báo cáo phải sau hoặc bằng ngày bắt đầu."))
    return Period(first, last)


# The dashboard's period picker: one choice of the part of a year (and a year beside it).
QUARTERS = tuple(f"Q{n}" for n in range(1, 5))
HALVES = ("H1", "H2")
WHOLE_YEAR = "Y"
MONTHS = tuple(f"M{n}" for n in range(1, 13))
RANGE = "range"
PARTS = (*QUARTERS, *HALVES, WHOLE_YEAR, *MONTHS, RANGE)


def asks_for_period(args: Mapping[str, str]) -> bool:
    """Whether the request names a period (otherwise the dashboard picks one with data)."""
    return any((args.get(name) or "").strip() for name in ("period", "part", "from", "to"))


def period_from_parts(part: str, year: str | int, start: str | None, end: str | None) -> Period:
    """The period picked as a part of a year ("Q2" and 2017) or a from–to range."""
    if part == RANGE:
        return date_range(start, end)
    if part not in PARTS:
        raise PeriodError(_("Kỳ báo cáo không hợp lệ."))
    text = str(year).strip()
    if not text.isdigit() or len(text) != 4:
        raise PeriodError(_("Năm “%(year)s” không hợp lệ.", year=text[:10]))
    if part == WHOLE_YEAR:
        return parse_period(text)
    if part.startswith("M"):
        return parse_period(f"{text}-{int(part[1:]):02d}")
    return parse_period(f"{text}-{part}")


def part_of(period: Period) -> str:
    """The picker's choice for `period` (RANGE for a from–to range)."""
    code = period.code
    if re.fullmatch(r"\d{4}", code):
        return WHOLE_YEAR
    if re.fullmatch(r"\d{4}-[QH]\d", code):
        return code[5:]
    if re.fullmatch(r"\d{4}-\d{2}", code):
        return f"M{int(code[5:])}"
    return RANGE


def neighbour(period: Period, step: int) -> Period | None:
    """The period of the same kind `step` before (-1) or after (1), or None for a range or
    outside the years allowed."""
    part = part_of(period)
    if part == RANGE:
        return None
    year = period.start.year
    if part == WHOLE_YEAR:
        code = f"{year + step}"
    elif part.startswith("M"):
        index = year * 12 + period.start.month - 1 + step
        code = f"{index // 12}-{index % 12 + 1:02d}"
    else:
        size = 4 if part.startswith("Q") else 2
        index = year * size + int(part[1:]) - 1 + step
        code = f"{index // size}-{part[0]}{index % size + 1}"
    try:
        return parse_period(code)
    except PeriodError:
        return None


def quarter_of(day: date) -> Period:
    """The quarter `day` falls in."""
    return relative_period("quarter", day)


def period_from_request(args: Mapping[str, str], today: date, default: str = "quarter") -> Period:
    """The period the dashboard, downloads and API were asked for: `period` (a keyword such as
    "quarter", a code such as "2017-Q2", or "range") with `from`/`to` for ranges, or the
    picker's `part` and `year`."""
    part = (args.get("part") or "").strip()
    if part:
        return period_from_parts(
            part, args.get("year") or today.year, args.get("from"), args.get("to")
        )
    kind = (args.get("period") or "").strip()
    if not kind and (args.get("from") or args.get("to")):
        kind = "range"
    kind = kind or default
    if kind in RELATIVE_KINDS:
        return relative_period(kind, today)
    if kind == "range":
        return date_range(args.get("from"), args.get("to"))
    return parse_period(kind)
