"""Deadline phrases to dates."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.notices.deadlines import parse_deadline

ISSUED = date(2024, 4, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hoàn thành trước ngày 20/5/2024./.", date(2024, 5, 20)),
        ("trước 14 giờ, ngày 05/12/2017", date(2017, 12, 5)),
        ("hoàn thành trong tháng 6/2024", date(2024, 6, 30)),
        ("trong quý II/2024", date(2024, 6, 30)),
        ("trước ngày 15/4", date(2024, 4, 15)),
        ("chậm nhất ngày 10 tháng 5 năm 2024", date(2024, 5, 10)),
        ("trong thời hạn 10 ngày làm việc", date(2024, 4, 22)),  # 30/4, 1/5 are later
        ("trong 15 ngày", date(2024, 4, 22)),  # 20/4 is a Saturday: next working day
        ("hoàn thành trong năm 2024", date(2024, 12, 31)),
        ("trước Tết Nguyên đán 2025", date(2025, 1, 29)),
        ("trong tháng 12-2025", date(2025, 12, 31)),
    ],
)
def test_dates(text, expected):
    assert parse_deadline(text, ISSUED).deadline == expected


def test_recurring_and_missing_year():
    match = parse_deadline("thực hiện thường xuyên", ISSUED)
    assert match.recurring and match.deadline is None
    assert parse_deadline("trước ngày 15/4").deadline is None
    assert parse_deadline("kịp thời báo cáo") is None


def test_year_before_the_notice_is_kept_with_a_warning():
    match = parse_deadline("trước ngày 30/6/2023", ISSUED)
    assert match.deadline == date(2023, 6, 30)
    assert match.warning
