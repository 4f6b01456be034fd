"""Working-day arithmetic on real Vietnamese dates, Tết included."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.core.text import fold, normalize
from tracker.core.workdays import WorkingCalendar

cal = WorkingCalendar()


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 2, 8),
        date(2024, 2, 9),
        date(2024, 2, 12),
        date(2024, 2, 13),
        date(2024, 2, 14),
        date(2025, 1, 27),
        date(2025, 1, 28),
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2024, 4, 18),  # Giỗ Tổ Hùng Vương 10/3 lunar
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 9, 2),
        date(2025, 1, 1),
    ],
)
def test_public_holidays_are_days_off(day: date) -> None:
    assert not cal.is_working_day(day)


def test_working_days_skip_tet_2024() -> None:
    # Thursday 1/2/2024 + 5 working days: Fri 2, Mon 5, Tue 6, Wed 7, then Tết (8-14/2) -> Thu 15.
    assert cal.add_working_days(date(2024, 2, 1), 5) == date(2024, 2, 15)


def test_working_days_skip_tet_2025() -> None:
    # Friday 24/1/2025 + 1 working day: Tết runs 27/1-31/1/2025 -> Monday 3/2.
    assert cal.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)


def test_ten_working_days_from_a_notice() -> None:
    # Notice of Wednesday 5/4/2017; Giỗ Tổ was Thursday 6/4/2017, so the 10th working day is 20/4.
    assert cal.add_working_days(date(2017, 4, 5), 10) == date(2017, 4, 20)


def test_civil_code_days_move_to_next_working_day() -> None:
    # 30 days from 1/1/2025 ends on Friday 31/1/2025, inside Tết -> Monday 3/2/2025.
    assert cal.add_days(date(2025, 1, 1), 30) == date(2025, 2, 3)
    # Ends on a working day: unchanged.
    assert cal.add_days(date(2025, 3, 3), 2) == date(2025, 3, 5)


def test_admin_swap_day() -> None:
    # A government swap: Saturday 4/1/2025 worked, Friday 3/1/2025... as a fictitious example.
    swapped = WorkingCalendar(
        extra_days_off=[date(2025, 1, 3)], extra_working_days=[date(2025, 1, 4)]
    )
    assert not swapped.is_working_day(date(2025, 1, 3))
    assert swapped.is_working_day(date(2025, 1, 4))
    assert swapped.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 4)
    assert cal.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 3)


def test_working_days_between() -> None:
    assert cal.working_days_between(date(2024, 2, 7), date(2024, 2, 15)) == 1
    assert cal.working_days_between(date(2024, 2, 15), date(2024, 2, 7)) == -1
    assert cal.working_days_between(date(2024, 3, 4), date(2024, 3, 4)) == 0


def test_fold_and_normalize() -> None:
    nfd = "Phòng Nội vụ".encode().decode()
    import unicodedata

    assert fold(unicodedata.normalize("NFD", nfd)) == "phong noi vu"
    assert fold("Đường Điện Biên") == "duong dien bien"
    assert normalize(unicodedata.normalize("NFD", "Nội  vụ\n")) == "Nội vụ"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 10 days from 30/1/2024 end on Friday 9/2, inside Tết 2024 (8-14/2) -> Thursday 15/2.
        (date(2024, 1, 30), 10, date(2024, 2, 15)),
        # 7 days from 11/4/2024 end on Giỗ Tổ (Thursday 18/4/2024) -> Friday 19/4.
        (date(2024, 4, 11), 7, date(2024, 4, 19)),
        # 5 days from 25/4/2025 end on Wednesday 30/4; 30/4, 1/5, 2/5 off, then a weekend
        # -> Monday 5/5.
        (date(2025, 4, 25), 5, date(2025, 5, 5)),
        # Ends on a Saturday -> Monday.
        (date(2025, 3, 3), 5, date(2025, 3, 10)),
    ],
)
def test_civil_code_periods_around_holidays(start: date, days: int, expected: date) -> None:
    assert cal.add_days(start, days) == expected


def test_working_days_backwards_across_tet_2025() -> None:
    # Five working days before Monday 3/2/2025: Tết (27/1-31/1) is skipped -> 20/1.
    assert cal.add_working_days(date(2025, 2, 3), -5) == date(2025, 1, 20)
    assert cal.working_days_between(date(2025, 1, 20), date(2025, 2, 3)) == 5


def test_next_working_day_is_identity_on_working_days() -> None:
    assert cal.next_working_day(date(2025, 2, 3)) == date(2025, 2, 3)
    assert cal.next_working_day(date(2025, 1, 25)) == date(2025, 2, 3)  # Saturday before Tết
