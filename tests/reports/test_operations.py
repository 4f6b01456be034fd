"""Counting on the fixed dataset, against numbers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.reports.operations import (
    UnknownFilter,
    class_series,
    make_scope,
    meeting_progress,
    overdue_rows,
    overdue_tasks,
    sort_rows,
    unit_summary,
)
from tracker.reports.periods import parse_period

TODAY = date(2017, 4, 10)


def _rows(scope):
    return {row.unit_name: row for row in unit_summary(scope).rows}


def test_quarter_counts_by_hand(data) -> None:
    # Q2 2017, as of 10/04. Unit A (Phòng Nội vụ) leads tasks 1-12:
    #   in the period: 1 2 3 4 5 6 7 12 (8, 9 paused/cancelled; 10 in Q1; 11 no deadline) → 8
    #   already due (deadline ≤ 10/04): 1 2 3 4 7 12 → 6
    #   done on time 1, 12 · done late 2 · open on time 4 (due today) · overdue 3, 7
    #   extended 12 · completion 3/6 = 50 % · on time 2/6 = 33.3 %
    # Unit B: 13 (done on time), 14 (May, not due), 15 (extended, open, overdue)
    scope = make_scope(parse_period("2017-Q2"), today=TODAY)
    assert scope.as_of == TODAY
    summary = unit_summary(scope)
    rows = {row.unit_name: row for row in summary.rows}
    assert list(rows) == ["Phòng Nội vụ", "Phòng Tài chính - Kế hoạch"]
    a = rows["Phòng Nội vụ"]
    assert (a.assigned, a.due, a.not_yet_due) == (8, 6, 2)
    assert (a.done_on_time, a.done_late, a.open_on_time, a.open_overdue) == (2, 1, 1, 2)
    assert a.extended == 1
    assert (a.completion_rate, a.on_time_rate) == (50.0, 33.3)
    b = rows["Phòng Tài chính - Kế hoạch"]
    assert (b.assigned, b.due, b.done_on_time, b.done_late) == (3, 2, 1, 0)
    assert (b.open_on_time, b.open_overdue, b.extended) == (0, 1, 1)
    assert (b.completion_rate, b.on_time_rate) == (50.0, 50.0)
    total = summary.total
    assert (total.assigned, total.due, total.done_on_time, total.done_late) == (11, 8, 3, 1)
    assert (total.open_on_time, total.open_overdue, total.extended) == (1, 3, 2)
    assert (total.completion_rate, total.on_time_rate) == (50.0, 37.5)


def test_counting_against_the_original_deadline(data) -> None:
    # Task 12's original deadline (31/03) is in Q1: A loses it (a done-on-time, extended task).
    # Task 15's original deadline (02/04) is still in Q2 and still overdue.
    scope = make_scope(parse_period("2017-Q2"), today=TODAY, against="original")
    rows = _rows(scope)
    a = rows["Phòng Nội vụ"]
    assert (a.assigned, a.due, a.done_on_time, a.done_late) == (7, 5, 1, 1)
    assert (a.open_on_time, a.open_overdue, a.extended) == (1, 2, 0)
    assert (a.completion_rate, a.on_time_rate) == (40.0, 20.0)
    b = rows["Phòng Tài chính - Kế hoạch"]
    assert (b.assigned, b.due, b.open_overdue, b.extended) == (3, 2, 1, 1)


def test_an_ended_period_counts_up_to_its_last_day(data) -> None:
    # Q1: only task 10 (30/03, still open) → due and overdue; task 12 moved to April.
    scope = make_scope(parse_period("2017-Q1"), today=TODAY)
    assert scope.as_of == date(2017, 3, 31)
    rows = _rows(scope)
    assert list(rows) == ["Phòng Nội vụ"]
    a = rows["Phòng Nội vụ"]
    assert (a.assigned, a.due, a.open_overdue, a.completion_rate, a.on_time_rate) == (
        1,
        1,
        1,
        0.0,
        0.0,
    )


def test_year_includes_units_with_nothing_due(data) -> None:
    rows = _rows(make_scope(parse_period("2017"), today=TODAY))
    c = rows["Phòng Tư pháp"]
    assert (c.assigned, c.due, c.completion_rate, c.on_time_rate) == (1, 0, None, None)
    assert rows["Phòng Nội vụ"].assigned == 9  # Q2's 8 plus task 10


def test_month_and_filters(data) -> None:
    april = parse_period("2017-04")
    assert _rows(make_scope(april, today=TODAY))["Phòng Tài chính - Kế hoạch"].assigned == 2
    only_a = make_scope(april, today=TODAY, unit_id=data.a.id)
    assert list(_rows(only_a)) == ["Phòng Nội vụ"]
    m2 = make_scope(parse_period("2017"), today=TODAY, meeting_id=data.m2.id)
    assert {k: v.assigned for k, v in _rows(m2).items()} == {
        "Phòng Tài chính - Kế hoạch": 1,
        "Phòng Tư pháp": 1,
    }


def test_a_filtered_unit_without_tasks_still_has_its_row(data) -> None:
    rows = unit_summary(make_scope(parse_period("2017-Q1"), today=TODAY, unit_id=data.c.id)).rows
    assert [(r.unit_name, r.assigned, r.due) for r in rows] == [("Phòng Tư pháp", 0, 0)]


def test_unit_member_is_limited_to_its_own_unit(data) -> None:
    scope = make_scope(parse_period("2017-Q2"), today=TODAY, viewer=data.b_user)
    assert list(_rows(scope)) == ["Phòng Tài chính - Kế hoạch"]
    with pytest.raises(UnknownFilter):
        make_scope(parse_period("2017-Q2"), today=TODAY, viewer=data.b_user, unit_id=data.a.id)


def test_unknown_unit_or_meeting(data) -> None:
    with pytest.raises(UnknownFilter):
        make_scope(parse_period("2017-Q2"), today=TODAY, unit_id=9999)
    with pytest.raises(UnknownFilter):
        make_scope(parse_period("2017-Q2"), today=TODAY, meeting_id=9999)


def test_meeting_progress(data) -> None:
    # M1, all counted tasks today: done on time 1 6 12 13, late 2, open on time 4 5,
    # overdue 3 7 10 15, no deadline 11 → 12 tasks. M2: 14 and 16, both on time.
    rows = meeting_progress(make_scope(parse_period("2017-Q2"), today=TODAY))
    assert [r.meeting_id for r in rows] == [data.m2.id, data.m1.id]
    m2, m1 = rows
    assert m1.total == 12
    assert m1.counts == {
        "done_on_time": 4,
        "done_late": 1,
        "open_on_time": 2,
        "open_overdue": 4,
        "no_deadline": 1,
    }
    assert m1.percent_done == 42  # 5 of 12
    assert (m2.total, m2.counts["open_on_time"], m2.percent_done) == (2, 2, 0)


def test_class_series(data) -> None:
    series = class_series(make_scope(parse_period("2017-Q2"), today=TODAY))
    assert [ym for ym, _ in series] == [(2017, 4), (2017, 5), (2017, 6)]
    april, may, june = (counts for _, counts in series)
    assert april == {"done_on_time": 4, "done_late": 1, "open_on_time": 2, "open_overdue": 3}
    assert may == {"done_on_time": 0, "done_late": 0, "open_on_time": 1, "open_overdue": 0}
    assert sum(june.values()) == 0


def test_overdue_list_oldest_first(data) -> None:
    scope = make_scope(parse_period("2017-Q2"), today=TODAY)
    tasks = overdue_tasks(scope)
    assert [t.id for t in tasks] == [data.tasks[n].id for n in (7, 3, 15)]
    from tracker.reports.operations import days_overdue

    assert [days_overdue(t, scope) for t in tasks] == [7, 4, 1]


@pytest.mark.parametrize("against", ["current", "original"])
def test_the_dashboards_overdue_rows_are_the_overdue_list(data, against) -> None:
    # Against the original deadline, task 15 (02/04, extended to 09/04) comes first.
    scope = make_scope(parse_period("2017-Q2"), today=TODAY, against=against)
    from tracker.reports.operations import days_overdue

    tasks = overdue_tasks(scope)
    expected = [
        (
            t.id,
            t.content,
            t.meeting.notice_number,
            t.meeting.title,
            t.lead_unit.name,
            t.deadline,
            t.extension_count,
            days_overdue(t, scope),
            t.last_activity_dt,
        )
        for t in tasks
    ]
    assert [tuple(row) for row in overdue_rows(scope, limit=10)] == expected
    order = (15, 7, 3) if against == "original" else (7, 3, 15)
    assert [row.task_id for row in overdue_rows(scope, limit=2)] == [
        data.tasks[n].id for n in order[:2]
    ]
    assert [row.days_overdue for row in overdue_rows(scope, limit=10)] == (
        [8, 7, 4] if against == "original" else [7, 4, 1]
    )


def test_sorting_puts_units_without_rate_last(data) -> None:
    rows = unit_summary(make_scope(parse_period("2017"), today=TODAY)).rows
    by_rate = sort_rows(rows, "on_time_rate", descending=True)
    assert [r.unit_name for r in by_rate][-1] == "Phòng Tư pháp"
    assert [r.assigned for r in sort_rows(rows, "assigned", descending=True)] == [9, 3, 1]
