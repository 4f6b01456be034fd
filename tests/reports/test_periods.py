"""Reading report periods."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.reports.periods import (
    PeriodError,
    date_range,
    neighbour,
    parse_period,
    part_of,
    period_from_parts,
    relative_period,
)


@pytest.mark.parametrize(
    ("code", "start", "end", "label"),
    [
        ("2017-Q2", date(2017, 4, 1), date(2017, 6, 30), "Quý II năm 2017"),
        ("2017-q4", date(2017, 10, 1), date(2017, 12, 31), "Quý IV năm 2017"),
        ("2017-06", date(2017, 6, 1), date(2017, 6, 30), "Tháng 6 năm 2017"),
        ("2016-2", date(2016, 2, 1), date(2016, 2, 29), "Tháng 2 năm 2016"),
        ("2017-H1", date(2017, 1, 1), date(2017, 6, 30), "6 tháng đầu năm 2017"),
        ("2017-H2", date(2017, 7, 1), date(2017, 12, 31), "6 tháng cuối năm 2017"),
        ("2017", date(2017, 1, 1), date(2017, 12, 31), "Năm 2017"),
    ],
)
def test_codes(code: str, start: date, end: date, label: str) -> None:
    period = parse_period(code)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize(
    "code",
    [
        "2017-Q5",
        "2017-Q0",
        "2017-13",
        "2017-00",
        "2017-H3",
        "",
        "Q2",
        "2017-W12",
        "0001",
        "2017-Q2; drop",
    ],
)
def test_impossible_codes(code: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(code)


def test_ranges_and_relative_periods() -> None:
    period = date_range("01/04/2017", "2017-04-30")
    assert (period.start, period.end, period.code) == (date(2017, 4, 1), date(2017, 4, 30), "")
    assert period.label == "Từ 01/04/2017 đến 30/04/2017"
    with pytest.raises(PeriodError):
        date_range("2017-04-30", "2017-04-01")
    with pytest.raises(PeriodError):
        date_range("", "2017-04-01")
    with pytest.raises(PeriodError):
        date_range("hôm qua", "2017-04-01")
    today = date(2017, 8, 10)
    assert relative_period("month", today).code == "2017-08"
    assert relative_period("quarter", today).code == "2017-Q3"
    assert relative_period("half", today).code == "2017-H2"
    assert relative_period("year", today).code == "2017"
    assert parse_period("2017-Q2").as_of(date(2017, 4, 10)) == date(2017, 4, 10)
    assert parse_period("2017-Q1").as_of(date(2017, 4, 10)) == date(2017, 3, 31)


@pytest.mark.parametrize(
    ("part", "year", "code"),
    [
        ("Q2", "2017", "2017-Q2"),
        ("H2", 2016, "2016-H2"),
        ("Y", "2018", "2018"),
        ("M6", "2017", "2017-06"),
    ],
)
def test_the_pickers_parts(part: str, year: object, code: str) -> None:
    period = period_from_parts(part, year, None, None)  # type: ignore[arg-type]
    assert period.code == code
    assert part_of(period) == part


def test_the_picker_refuses_what_cannot_be() -> None:
    for part, year in (("Q5", "2017"), ("Q2", "20x7"), ("M13", "2017"), ("W1", "2017"), ("Q1", "")):
        with pytest.raises(PeriodError):
            period_from_parts(part, year, None, None)
    assert period_from_parts("range", "", "2017-04-01", "2017-04-30").code == ""
    assert part_of(date_range("2017-04-01", "2017-04-30")) == "range"


def test_previous_and_next_periods() -> None:
    assert neighbour(parse_period("2017-Q1"), -1).code == "2016-Q4"  # type: ignore[union-attr]
    assert neighbour(parse_period("2017-Q4"), 1).code == "2018-Q1"  # type: ignore[union-attr]
    assert neighbour(parse_period("2017-01"), -1).code == "2016-12"  # type: ignore[union-attr]
    assert neighbour(parse_period("2017-H2"), 1).code == "2018-H1"  # type: ignore[union-attr]
    assert neighbour(parse_period("2017"), 1).code == "2018"  # type: ignore[union-attr]
    assert neighbour(date_range("2017-04-01", "2017-04-30"), 1) is None
    assert neighbour(parse_period("9999"), 1) is None
