"""The working-day calendar page: holidays from the holidays package, the admin's swaps."""

from __future__ import annotations

from datetime import date

import pytest
from flask import g

from tracker.calendar.models import CalendarDay
from tracker.calendar.operations import working_calendar
from tracker.extensions import db


def _fresh_calendar():
    g.pop("working_calendar", None)
    return working_calendar()


def test_admin_sees_the_years_holidays(login, world) -> None:
    page = login(world.admin).get("/calendar/?year=2025").get_data(as_text=True)
    assert "Lịch làm việc năm 2025" in page
    for day in ("29/01/2025", "07/04/2025", "30/04/2025", "02/09/2025"):
        assert day in page
    assert "Tết Nguyên Đán" in page and "Giỗ Tổ Hùng Vương" in page
    assert 'name="day"' in page  # the admin may add days


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("office", 200), ("chair", 403), ("lead_user", 403)],
)
def test_who_may_see_the_calendar(login, world, who, status) -> None:
    response = login(getattr(world, who)).get("/calendar/")
    assert response.status_code == status
    if who == "office":
        page = response.get_data(as_text=True)
        assert "Ngày lễ, Tết" in page and 'name="day"' not in page


def test_only_admins_change_it(login, world, client) -> None:
    data = {"day": "03/01/2025", "kind": "off", "note": "Nghỉ bù"}
    assert login(world.office).post("/calendar/", data=data).status_code == 403
    assert login(world.chair).post("/calendar/", data=data).status_code == 403
    response = client.post("/calendar/", data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0


def test_swap_day_changes_working_day_arithmetic(login, world) -> None:
    # A swap as the government decrees them: Friday 3/1/2025 off, Saturday 4/1/2025 worked.
    before = _fresh_calendar()
    assert before.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 3)
    admin = login(world.admin)
    for data in (
        {"day": "03/01/2025", "kind": "off", "note": "Nghỉ bù Tết Dương lịch"},
        {"day": "2025-01-04", "kind": "working", "note": "Làm bù cho ngày 3/1"},
    ):
        assert admin.post("/calendar/?year=2025", data=data).status_code == 302
    page = admin.get("/calendar/?year=2025").get_data(as_text=True)
    assert "Nghỉ bù Tết Dương lịch" in page and "Làm bù cho ngày 3/1" in page

    calendar = _fresh_calendar()
    assert not calendar.is_working_day(date(2025, 1, 3))
    assert calendar.is_working_day(date(2025, 1, 4))
    assert calendar.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 4)
    assert calendar.add_working_days(date(2025, 1, 2), 2) == date(2025, 1, 6)
    # "Within 1 day" of 2/1 ends on the day off 3/1: it moves to the worked Saturday.
    assert calendar.add_days(date(2025, 1, 2), 1) == date(2025, 1, 4)
    # Across Tết 2025 (27/1-31/1 off): 10 working days from Friday 17/1.
    assert calendar.add_working_days(date(2025, 1, 17), 10) == date(2025, 2, 7)
    assert calendar.working_days_between(date(2025, 1, 1), date(2025, 1, 10)) == 7

    row = db.session.scalar(db.select(CalendarDay).where(CalendarDay.day == date(2025, 1, 4)))
    assert admin.post(f"/calendar/{row.id}/delete").status_code == 302
    assert not _fresh_calendar().is_working_day(date(2025, 1, 4))
    assert admin.post(f"/calendar/{row.id}/delete").status_code == 404


def test_admin_day_off_makes_a_task_due_later(login, world) -> None:
    # A deadline "within 5 working days" of Monday 10/4/2017 is 18/4 (6/4 Giỗ Tổ is past);
    # with Friday 14/4 declared off it is 19/4.
    assert _fresh_calendar().add_working_days(date(2017, 4, 10), 5) == date(2017, 4, 17)
    login(world.admin).post("/calendar/", data={"day": "14/04/2017", "kind": "off", "note": ""})
    assert _fresh_calendar().add_working_days(date(2017, 4, 10), 5) == date(2017, 4, 18)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "31/02/2025", "kind": "off"}, "Ngày không hợp lệ"),
        ({"day": "", "kind": "off"}, "Vui lòng điền mục này"),
        ({"day": "06/01/2025", "kind": "working"}, "vốn đã là ngày làm việc"),
        ({"day": "29/01/2025", "kind": "off"}, "vốn đã là ngày nghỉ"),
        ({"day": "05/01/2025", "kind": "off"}, "vốn đã là ngày nghỉ"),
        ({"day": "03/01/2025", "kind": "holiday"}, "Lựa chọn không tồn tại"),
        ({"day": "03/01/2025", "kind": "off", "note": "x" * 201}, "Tối đa 200 ký tự"),
    ],
)
def test_bad_input_is_explained(login, world, data, message) -> None:
    response = login(world.admin).post("/calendar/", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0


def test_redeclaring_a_day_replaces_it(login, world) -> None:
    admin = login(world.admin)
    admin.post("/calendar/", data={"day": "03/01/2025", "kind": "off", "note": "Lần 1"})
    admin.post("/calendar/", data={"day": "03/01/2025", "kind": "off", "note": "Lần 2"})
    rows = db.session.scalars(db.select(CalendarDay)).all()
    assert [(r.day, r.is_working, r.note) for r in rows] == [(date(2025, 1, 3), False, "Lần 2")]


def test_nonsense_year_falls_back(login, world) -> None:
    page = login(world.admin).get("/calendar/?year=abc").get_data(as_text=True)
    assert "Lịch làm việc năm 2017" in page
