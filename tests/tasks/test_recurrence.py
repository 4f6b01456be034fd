"""Recurring directives: periods, deadlines moved off days off, idempotent creation."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tracker.calendar.operations import set_day
from tracker.core.errors import ValidationError
from tracker.extensions import db
from tracker.tasks.commands import recurrences_command
from tracker.tasks.models import Task, TaskSeries
from tracker.tasks.recurrence import create_recurring_task, ensure_occurrences, stop_series


def _series_tasks(series_id: int) -> list[tuple[str, date, date]]:
    rows = db.session.scalars(
        sa.select(Task).where(Task.series_id == series_id).order_by(Task.period_start)
    )
    return [(t.period_label, t.period_start, t.deadline) for t in rows]


def _monthly(world, **kw) -> Task:
    values = {
        "frequency": "monthly",
        "day": 25,
        "content": "Định kỳ báo cáo tình hình cải cách hành chính",
        "lead_unit": world.noivu,
        "coordinating_units": [world.taichinh],
    }
    values.update(kw)
    return create_recurring_task(world.meeting, actor=world.office, **values)


def test_monthly_before_the_25th(world) -> None:
    # Today is 10/4/2017: April and May fall within 60 days; June's 25th is a Sunday -> 26/6,
    # after the horizon (9/6).
    template = _monthly(world)
    db.session.commit()
    series = template.series
    assert series.template_task is template and series.start_on == date(2017, 4, 10)
    assert _series_tasks(series.id) == [
        ("Tháng 4/2017", date(2017, 4, 1), date(2017, 4, 25)),
        ("Tháng 5/2017", date(2017, 5, 1), date(2017, 5, 25)),
    ]
    may = series.occurrences[1]
    assert may.content == template.content and may.lead_unit is world.noivu
    assert [u.name for u in may.coordinating_units] == ["Phòng Tài chính - Kế hoạch"]
    assert may.status == "new" and may.original_deadline == date(2017, 5, 25)
    assert may.events[0].kind == "created" and "Tháng 5/2017" in may.events[0].note

    created = ensure_occurrences(date(2017, 5, 1))
    assert [(t.period_label, t.deadline) for t in created] == [("Tháng 6/2017", date(2017, 6, 26))]
    assert ensure_occurrences(date(2017, 5, 1)) == []  # idempotent
    db.session.commit()
    assert ensure_occurrences(date(2017, 5, 2)) == []
    assert len(_series_tasks(series.id)) == 3


def test_deadline_on_holidays_moves_to_next_working_day(world) -> None:
    # 30/4/2017 is a Sunday and a holiday, 1/5 a holiday, 2/5 the day off in lieu -> 3/5.
    template = _monthly(world, day=30)
    assert template.deadline == date(2017, 5, 3) and template.period_label == "Tháng 4/2017"
    # Yearly on National Day: Saturday 2/9/2017, Monday 4/9 off in lieu -> Tuesday 5/9.
    yearly = _monthly(world, frequency="yearly", day=2, month=9)
    assert (yearly.period_label, yearly.deadline) == ("Năm 2017", date(2017, 9, 5))


def test_day_31_is_the_last_day_of_short_months(world) -> None:
    template = _monthly(world, day=31)
    ensure_occurrences(date(2017, 5, 20))
    labels = _series_tasks(template.series_id)
    # 30/4/2017 (Sunday, holiday) -> 3/5; 31/5 Wednesday; 30/6 Friday.
    assert [d for _l, _s, d in labels] == [date(2017, 5, 3), date(2017, 5, 31), date(2017, 6, 30)]


def test_quarterly(world) -> None:
    template = _monthly(world, frequency="quarterly", day=25)
    # Quý II/2017: 25/6/2017 is a Sunday -> Monday 26/6.
    assert (template.period_label, template.deadline) == ("Quý II/2017", date(2017, 6, 26))
    ensure_occurrences(date(2017, 8, 1))
    assert _series_tasks(template.series_id)[-1] == (
        "Quý III/2017",
        date(2017, 7, 1),
        date(2017, 9, 25),
    )


def test_quarterly_with_an_offset_after_the_quarter(world) -> None:
    # "Báo cáo quý trước ngày 15 của tháng đầu quý sau": Q1 -> 15/4/2017 (Saturday) -> 17/4.
    template = _monthly(world, frequency="quarterly", day=None, offset_days=15)
    assert (template.period_label, template.deadline) == ("Quý I/2017", date(2017, 4, 17))
    assert template.period_start == date(2017, 1, 1)


def test_admin_day_off_moves_an_occurrence(world) -> None:
    set_day(date(2017, 5, 25), is_working=False, note="Nghỉ bù")
    template = _monthly(world)
    assert [d for _l, _s, d in _series_tasks(template.series_id)] == [
        date(2017, 4, 25),
        date(2017, 5, 26),
    ]


def test_end_date_and_stopping(world) -> None:
    template = _monthly(world, end_on=date(2017, 6, 30))
    ensure_occurrences(date(2017, 9, 1))
    assert [label for label, _s, _d in _series_tasks(template.series_id)] == [
        "Tháng 4/2017",
        "Tháng 5/2017",
        "Tháng 6/2017",
    ]
    other = _monthly(world, content="Báo cáo công tác dân tộc")
    stop_series(other.series, actor=world.office)
    assert ensure_occurrences(date(2017, 9, 1)) == []
    assert len(_series_tasks(other.series_id)) == 2
    assert other.events[-1].note == "Dừng lặp lại."


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"frequency": "weekly"}, "repeat"),
        ({"day": None}, "repeat_day"),
        ({"day": 0}, "repeat_day"),
        ({"frequency": "yearly", "month": None}, "repeat_month"),
        ({"end_on": date(2017, 4, 1)}, "repeat_end"),
        ({"end_on": date(2017, 4, 20)}, "repeat_end"),  # no period due before the end
    ],
)
def test_bad_rules(world, kw, field) -> None:
    with pytest.raises(ValidationError) as error:
        _monthly(world, **kw)
    assert field in error.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskSeries)) == 0


def test_a_period_exists_once(world) -> None:
    template = _monthly(world)
    db.session.commit()
    db.session.add(
        Task(
            meeting=world.meeting,
            content="Bản sao",
            lead_unit=world.noivu,
            series_id=template.series_id,
            period_start=date(2017, 5, 1),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_ongoing_tasks_have_no_occurrences(world) -> None:
    from tests.factories import make_task

    make_task(world.meeting, world.office, world.tuphap, is_recurring=True)
    db.session.commit()
    assert ensure_occurrences(date(2017, 6, 1)) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 2


def test_command(runner, world) -> None:
    template = _monthly(world)
    db.session.commit()
    result = runner.invoke(recurrences_command, ["--today", "2017-05-01"])
    assert result.exit_code == 0, result.output
    assert (
        "1 occurrence(s) created" in result.output and "Tháng 6/2017: 26/06/2017" in result.output
    )
    result = runner.invoke(recurrences_command, ["--today", "2017-05-01"])
    assert "0 occurrence(s) created" in result.output
    assert len(_series_tasks(template.series_id)) == 3


def _form(world, **overrides):
    data = {
        "content": "Định kỳ báo cáo kết quả giải quyết thủ tục hành chính",
        "lead_unit_id": str(world.tuphap.id),
        "responsible_id": "0",
        "deadline": "",
        "repeat": "monthly",
        "repeat_day": "25",
        "repeat_month": "0",
        "repeat_end": "",
    }
    data.update(overrides)
    return data


def test_office_assigns_a_recurring_task(login, world) -> None:
    client = login(world.office)
    page = client.get(f"/meetings/{world.meeting.id}/tasks/new").get_data(as_text=True)
    assert "Lặp lại" in page and "Hằng tháng" in page
    response = client.post(f"/meetings/{world.meeting.id}/tasks/new", data=_form(world))
    assert response.status_code == 302
    tasks = db.session.scalars(
        sa.select(Task).where(Task.lead_unit_id == world.tuphap.id).order_by(Task.deadline)
    ).all()
    assert [(t.period_label, t.deadline) for t in tasks] == [
        ("Tháng 4/2017", date(2017, 4, 25)),
        ("Tháng 5/2017", date(2017, 5, 25)),
    ]
    page = login(world.other_user).get(f"/tasks/{tasks[1].id}")  # Phòng Tư pháp leads it
    text = page.get_data(as_text=True)
    assert "Hằng tháng, ngày 25" in text and "Tháng 5/2017" in text and "Tháng 4/2017" in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repeat_day": ""}, "Vui lòng nhập ngày đến hạn"),
        ({"repeat_day": "40"}, "Ngày phải từ 1 đến 31"),
        ({"repeat": "yearly"}, "Vui lòng chọn tháng đến hạn"),
        ({"repeat": "hourly"}, "Lựa chọn không tồn tại"),
        ({"is_recurring": "y"}, "Nhiệm vụ thường xuyên không có kỳ hạn"),
        ({"repeat_end": "01/04/2017"}, "không thể trước ngày bắt đầu"),
    ],
)
def test_bad_repeat_input_is_explained(login, world, overrides, message) -> None:
    response = login(world.office).post(
        f"/meetings/{world.meeting.id}/tasks/new", data=_form(world, **overrides)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert "Định kỳ báo cáo kết quả giải quyết thủ tục hành chính" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1
