"""Deadline phrases of Vietnamese directives ("trước ngày 20/5/2024", "trong quý II") as dates."""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from tracker.core.workdays import DEFAULT_CALENDAR, WorkingCalendar

__all__ = ["DeadlineMatch", "find_deadlines", "parse_deadline", "year_named_in"]


@dataclass(frozen=True)
class DeadlineMatch:
    """One deadline phrase found in a text, with the date it stands for (None when it has none)."""

    text: str
    start: int
    end: int
    deadline: date | None
    recurring: bool = False
    # Strong phrases ("trước ngày ...", "trong 10 ngày làm việc") are deadlines wherever they
    # stand; weak ones ("trong tháng 6") only at the edge of a task or after "hoàn thành".
    strong: bool = True
    warning: str | None = None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Pieces of the patterns; the text is NFC and matched case-insensitively.
_DAY_MONTH = r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}))?(?![\d/])"
_DAY_MONTH_WORDS = (
    r"(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s*(?:,\s*)?năm\s+(?P<y2>\d{4}))?(?!\d)"
)
_CLOCK = r"(?:\d{1,2}\s*(?:giờ|h|g)\s*(?:\d{1,2}\s*(?:phút|')?)?\s*(?:\d{1,2}\s*)?,?\s*)"
_DATE_PREFIX = (
    r"(?:chậm\s+nhất\s+(?:là\s+)?(?:trước\s+|vào\s+|đến\s+)?|trước\s+|hạn\s+chót\s*:?\s*"
    r"|hạn\s+cuối\s*:?\s*|thời\s+hạn(?:\s+hoàn\s+thành)?\s*:?\s*(?:trước\s+)?|không\s+quá\s+"
    r"|không\s+muộn\s+hơn\s+|xong\s+trước\s+|trong\s+ngày\s+(?=\d)|vào\s+ngày\s+(?=\d)"
    r"|(?:đến|tới)\s+(?:hết\s+)?ngày\s+(?=\d)|hết\s+ngày\s+(?=\d)|hoàn\s+thành\s+ngày\s+(?=\d))"
)
_DATE_RE = re.compile(
    rf"(?<!\w){_DATE_PREFIX}(?:{_CLOCK})?(?:ngày\s+(?:[^\W\d]+\s+){{0,3}}?(?:\(?ngày\s+)?)?"
    rf"(?:{_DAY_MONTH_WORDS}|{_DAY_MONTH})"
    r"(?:\s+(?:này|tới|sắp\s+tới))?",
    re.IGNORECASE,
)
_MONTH_RE = re.compile(
    r"(?<!\w)(?:chậm\s+nhất\s+(?:là\s+)?)?"
    r"(?P<pre>trong\s+cả\s+|trong\s+|trước\s+|cuối\s+|đến\s+hết\s+|hết\s+|ngay\s+trong\s+)"
    r"tháng\s+(?P<m>\d{1,2})(?:\s*(?:[/\-]|,?\s*năm)\s*(?P<y>\d{4}))?(?![\d/])",
    re.IGNORECASE,
)
_QUARTER_RE = re.compile(
    r"(?<!\w)(?:chậm\s+nhất\s+(?:là\s+)?)?"
    r"(?P<pre>trong\s+|trước\s+|cuối\s+|hết\s+|đến\s+hết\s+|hoàn\s+thành\s+)quý\s+(?P<q>iv|i{1,3}|[1-4])"
    r"(?:\s*(?:[/\-]|,?\s*năm)\s*(?P<y>\d{4}))?(?!\w)",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(
    r"(?<!\w)(?P<pre>trong\s+|trước\s+|cuối\s+|hết\s+|đến\s+hết\s+|hoàn\s+thành\s+(?:trong\s+)?)"
    # "trong năm 2017"; a span of years ends with its last: "trong 2 năm 2024-2025",
    # "trong giai đoạn 2024 - 2025"
    r"(?:(?:\d{1,2}\s+)?năm\s+|giai\s+đoạn\s+)(?:(?:19|20)\d\d\s*[-–]\s*)?(?P<y>\d{4})(?!\d)",
    re.IGNORECASE,
)
# Counts written as words ("trong vòng một tuần", "trong mười lăm ngày"); longest first.
_NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8,
    "chín": 9, "mười": 10, "mười lăm": 15, "hai mươi": 20, "ba mươi": 30,
}  # fmt: skip
_NUMBER_WORD_ALT = "|".join(
    r"\s+".join(word.split()) for word in sorted(_NUMBER_WORDS, key=len, reverse=True)
)
_RELATIVE_RE = re.compile(
    r"(?<!\w)(?:trong\s+(?:thời\s+hạn\s+|thời\s+gian\s+|vòng\s+)?|sau\s+|không\s+quá\s+)"
    rf"(?P<n>\d{{1,3}}|{_NUMBER_WORD_ALT})\s+(?P<unit>ngày\s+làm\s+việc|ngày|tuần|tháng)(?!\w)"
    # a few words may name the period before it is anchored to a day: "trong 30 ngày cao
    # điểm bắt đầu từ ngày 15/11"
    r"(?:(?P<named>(?:\s+[^\W\d]+){0,3}?)\s+bắt\s+đầu\s+từ\s+(?:ngày\s+)?"
    r"(?P<bd>\d{1,2})\s*[/.\-]\s*(?P<bm>\d{1,2})(?:\s*[/.\-]\s*(?P<by>\d{4}))?(?![\d/])"
    r"|\s*,?\s*(?P<since>(?:kể\s+)?từ\s+(?:ngày|khi|thời\s+điểm)\s+[^,;.\n]{0,60}))?",
    re.IGNORECASE,
)
# "kể từ ngày hội nghị / cuộc họp / làm việc": counted from the meeting, which a news report
# dates in its first lines ("Sáng 9/4, ..."); a formal notice's meeting day is not read.
_SINCE_MEETING_RE = re.compile(
    r"^(?:kể\s+)?từ\s+(?:ngày|khi|thời\s+điểm)\s+(?:tổ\s+chức\s+)?(?:hội\s+nghị|cuộc\s+họp"
    r"|họp|buổi\s+(?:làm\s+việc|họp|kiểm\s+tra)|làm\s+việc|kiểm\s+tra|kết\s+luận\s+(?:này|cuộc))",
    re.IGNORECASE,
)
# "kể từ ngày 15/11": counted from the day it names.
_SINCE_DATE_RE = re.compile(
    r"^(?:kể\s+)?từ\s+ngày\s+(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})"
    r"(?:\s*[/.\-]\s*(?P<y>\d{4}))?(?![\d/])",
    re.IGNORECASE,
)
# "kể từ ngày ..." counts from the notice itself only when it says so ("kể từ ngày ký", "ngày
# ban hành Thông báo này", "ngày nhận được Công văn này"); from any other event ("ngày nhận đủ
# hồ sơ hợp lệ") the date is not known when the notice is read.
_SINCE_NOTICE_RE = re.compile(
    r"^(?:kể\s+)?từ\s+(?:ngày|khi|thời\s+điểm)\s+(?:ký|ban\s+hành|nhận\s+(?:được\s+)?"
    r"(?:thông\s+báo|công\s+văn|văn\s+bản|kết\s+luận)|thông\s+báo\s+này|công\s+văn\s+này"
    r"|văn\s+bản\s+này)",
    re.IGNORECASE,
)
# "6 tháng đầu năm 2024" ends on 30/6, "9 tháng đầu năm" on 30/9, "6 tháng cuối năm" on 31/12.
_PART_OF_YEAR_RE = re.compile(
    r"(?<!\w)(?P<n>6|sáu|9|chín)\s+tháng\s+(?P<part>đầu|cuối)\s+năm(?:\s+(?P<y>\d{4}))?(?!\d)",
    re.IGNORECASE,
)
_TET_RE = re.compile(
    r"(?<!\w)trước\s+(?:dịp\s+)?tết\s+(?P<kind>nguyên\s+đán|âm\s+lịch|dương\s+lịch|cổ\s+truyền)?"
    # the year as digits, as its name ("Ất Tỵ") or both ("Ất Tỵ 2025", "năm Giáp Thìn 2024")
    r"(?:\s+(?:năm\s+)?(?:giáp|ất|bính|đinh|mậu|kỷ|kỳ|canh|tân|nhâm|quý)\s+"
    r"(?:tý|sửu|dần|mão|mẹo|thìn|tỵ|tị|ngọ|mùi|thân|dậu|tuất|hợi)(?!\w))?"
    r"(?:\s+(?:năm\s+)?(?P<y>\d{4}))?",
    re.IGNORECASE,
)
# "trong tuần này", "trong tuần tới / tuần sau".
_WEEK_RE = re.compile(
    r"(?<!\w)(?:trong|ngay\s+trong|trước\s+cuối|cuối)\s+tuần\s+(?P<which>này|tới|sau)(?!\w)",
    re.IGNORECASE,
)
_RECURRING_RE = re.compile(
    r"(?<!\w)(?:thường\s+xuyên|định\s+kỳ|hằng\s+ngày|hàng\s+ngày|hằng\s+tuần|hàng\s+tuần"
    r"|hằng\s+tháng|hàng\s+tháng|hằng\s+quý|hàng\s+quý|hằng\s+năm|hàng\s+năm|liên\s+tục)(?!\w)",
    re.IGNORECASE,
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _lunar_new_year(year: int) -> date | None:
    for day, name in holidays.country_holidays("VN", years=year).items():
        if name == "Lunar New Year":
            return day
    return None


def _resolve_year(
    day: int, month: int, year: str | None, issued_on: date | None, year_hint: int | None = None
) -> tuple[date | None, str | None]:
    """The date for day/month(/year); a missing year is the notice's, else the one the
    sentence names (`year_hint`), else unknown (None)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None, None
    if not year and issued_on is None and year_hint is not None:
        year = str(year_hint)
    if year:
        try:
            result = date(int(year), month, day)
        except ValueError:
            return None, f"ngày không tồn tại: {day}/{month}/{year}"
        if issued_on and result < issued_on:
            # Kept as written (the clerk decides), but flagged.
            return result, f"thời hạn {result:%d/%m/%Y} sớm hơn ngày ban hành {issued_on:%d/%m/%Y}"
        return result, None
    if issued_on is None:
        return None, None
    try:
        result = date(issued_on.year, month, day)
    except ValueError:
        return None, f"ngày không tồn tại: {day}/{month}"
    # "trước ngày 15/1" in a December notice means next January.
    if result < issued_on - timedelta(days=60):
        try:
            result = date(issued_on.year + 1, month, day)
        except ValueError:
            return None, None
    return result, None


_YEAR_IN_TEXT_RE = re.compile(
    r"(?:năm\s+|\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*)((?:19|20)\d\d)(?!\d)", re.I
)


def year_named_in(text: str) -> int | None:
    """The latest year a text names ("năm 2021", "18-5-2017"), or None."""
    years = [int(y) for y in _YEAR_IN_TEXT_RE.findall(text)]
    return max(years) if years else None


def find_deadlines(
    text: str,
    issued_on: date | None = None,
    calendar: WorkingCalendar | None = None,
    year_hint: int | None = None,
    meeting_day: date | None = None,
) -> list[DeadlineMatch]:
    """Every deadline phrase in `text`, in order of position, overlapping ones removed.
    `year_hint` is the year of dates written without one when the notice's date is unknown
    (the year the sentence itself names); `meeting_day` (a news report's meeting) is the day
    "trong 15 ngày" counts from, instead of the date of publication."""
    calendar = calendar or DEFAULT_CALENDAR
    default_year = issued_on.year if issued_on else year_hint
    found: list[DeadlineMatch] = []

    for m in _DATE_RE.finditer(text):
        day = int(m.group("d") or m.group("d2"))
        month = int(m.group("m") or m.group("m2"))
        year = m.group("y") or m.group("y2")
        deadline, warning = _resolve_year(day, month, year, issued_on, year_hint)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        found.append(
            DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline, False, True, warning)
        )

    for m in _RELATIVE_RE.finditer(text):
        number = " ".join(m.group("n").lower().split())
        count = int(number) if number.isdigit() else _NUMBER_WORDS[number]
        unit = " ".join(m.group("unit").lower().split())
        # Counted from the notice's day, or in a news report from the meeting's (`meeting_day`).
        base = meeting_day or issued_on
        since = m.group("since")
        inclusive = False
        # The Civil Code's shift of a last day off to the next working day is for periods a
        # document sets from its own day; a period counted from a meeting or a day the text
        # names ends on the day counted (what a clerk enters from a report).
        plain = meeting_day is not None
        if m.group("bd"):
            # "30 ngày bắt đầu từ ngày 15/11": a period that starts on that day (counted in).
            base, _warning = _resolve_year(
                int(m.group("bd")), int(m.group("bm")), m.group("by"), base, year_hint
            )
            inclusive = plain = True
        elif since and _SINCE_DATE_RE.match(since):
            named = _SINCE_DATE_RE.match(since)
            assert named is not None
            base, _warning = _resolve_year(
                int(named.group("d")), int(named.group("m")), named.group("y"), base, year_hint
            )
            plain = True
        elif since and _SINCE_MEETING_RE.match(since):
            base = meeting_day
        elif since and not _SINCE_NOTICE_RE.match(since):
            found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), None))
            continue
        elif since:
            base, plain = issued_on, False
        deadline = None
        if base is not None and count > 0:
            if unit == "ngày làm việc":
                deadline = calendar.add_working_days(base, count)
            elif unit in {"ngày", "tuần"}:
                days = count * (7 if unit == "tuần" else 1) - (1 if inclusive else 0)
                deadline = base + timedelta(days=days)
                if not plain:
                    deadline = calendar.add_days(base, days)
            else:
                deadline = calendar.next_working_day(_add_months(base, count))
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline))

    for m in _WEEK_RE.finditer(text):
        # Whether a week ends on Friday, Saturday or Sunday differs between offices: the phrase
        # is read (cut from the work, and a report with it is a task) but the date is left to
        # the clerk, with the "deadline without a date" warning.
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), None, strong=False))

    for m in _MONTH_RE.finditer(text):
        month = int(m.group("m"))
        if not 1 <= month <= 12:
            continue
        year = int(m.group("y")) if m.group("y") else default_year
        deadline = None
        if year is not None:
            if m.group("pre").strip().lower() == "trước":
                deadline = _month_end(year, month) - timedelta(days=_month_end(year, month).day)
            else:
                deadline = _month_end(year, month)
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline, strong=False))

    for m in _QUARTER_RE.finditer(text):
        quarter_text = m.group("q").lower()
        quarter = _ROMAN.get(quarter_text) or int(quarter_text)
        year = int(m.group("y")) if m.group("y") else default_year
        deadline = None
        if year is not None:
            if (m.group("pre") or "").strip().lower() == "trước":
                deadline = _month_end(year, 3 * quarter - 2) - timedelta(
                    days=_month_end(year, 3 * quarter - 2).day
                )
            else:
                deadline = _month_end(year, 3 * quarter)
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline, strong=False))

    for m in _PART_OF_YEAR_RE.finditer(text):
        year = int(m.group("y")) if m.group("y") else default_year
        months = 6 if m.group("n").lower() in {"6", "sáu"} else 9
        deadline = None
        if year is not None:
            deadline = date(year, 12, 31) if m.group("part").lower() == "cuối" else None
            deadline = deadline or _month_end(year, months)
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline, strong=False))

    for m in _YEAR_RE.finditer(text):
        year = int(m.group("y"))
        pre = m.group("pre").strip().lower()
        deadline = date(year - 1, 12, 31) if pre == "trước" else date(year, 12, 31)
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline, strong=False))

    for m in _TET_RE.finditer(text):
        kind = " ".join((m.group("kind") or "nguyên đán").lower().split())
        year = int(m.group("y")) if m.group("y") else None
        deadline = None
        if kind == "dương lịch":
            if year is None and issued_on is not None:
                year = issued_on.year + 1
            deadline = date(year, 1, 1) if year else None
        elif year is not None:
            deadline = _lunar_new_year(year)
        elif issued_on is not None:
            deadline = _lunar_new_year(issued_on.year)
            if deadline is not None and deadline < issued_on:
                deadline = _lunar_new_year(issued_on.year + 1)
        found.append(DeadlineMatch(m.group(0).strip(), m.start(), m.end(), deadline))

    for m in _RECURRING_RE.finditer(text):
        found.append(
            DeadlineMatch(m.group(0), m.start(), m.end(), None, recurring=True, strong=False)
        )

    # Keep the longest of overlapping matches ("trước ngày 30/6/2024" over "tháng 6").
    found.sort(key=lambda match: (match.start, -(match.end - match.start)))
    result: list[DeadlineMatch] = []
    for match in found:
        if result and match.start < result[-1].end:
            if match.end - match.start > result[-1].end - result[-1].start:
                result[-1] = match
            continue
        result.append(match)
    return result


def parse_deadline(
    text: str, issued_on: date | None = None, calendar: WorkingCalendar | None = None
) -> DeadlineMatch | None:
    """The last deadline phrase in `text` (the one a directive usually ends with), or None."""
    matches = [m for m in find_deadlines(text, issued_on, calendar) if not m.recurring]
    if matches:
        return matches[-1]
    recurring = find_deadlines(text, issued_on, calendar)
    return recurring[-1] if recurring else None
