"""The task list as an Excel file (`/tasks/export.xlsx`): the list's filters and order, every
matching task the user may see and nothing else, counted as on the day of the download, read
back with openpyxl."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from tests.factories import make_meeting, make_task
from tests.sql import recorded_statements
from tracker.auth.audit import AuditEvent
from tracker.extensions import db
from tracker.reports.exports import HEADER_ROW, TASK_COLUMNS
from tracker.tasks.models import Status

# The suite's clock: Monday 10/4/2017 (tests/conftest.py FIXED_NOW).


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="danh-sach-nhiem-vu-20170410.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    return workbook["Nhiệm vụ"]


def _rows(sheet) -> list[list]:  # type: ignore[no-untyped-def]
    return [
        list(row)
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        if any(v is not None for v in row)
    ]


@pytest.fixture
def deadlines(world):  # type: ignore[no-untyped-def]
    """Phòng Nội vụ's tasks due the day before, on and after the download day, and one done
    late; a Phòng Tư pháp task the Nội vụ user must never get."""
    make = lambda content, deadline, lead=world.noivu: make_task(  # noqa: E731
        world.meeting, world.office, lead, content=content, deadline=deadline
    )
    before = make("Báo cáo sơ kết quý I", date(2017, 4, 9))
    on = make("Rà soát thủ tục hành chính", date(2017, 4, 10))
    after = make("Kiểm tra công vụ", date(2017, 4, 11))
    late = make("Tổng kết năm 2016", date(2017, 4, 5))
    late.status, late.completed_on, late.progress = Status.DONE, date(2017, 4, 7), 100
    late.result = "Đã gửi báo cáo số 12/BC-NV."
    make("Việc riêng của Phòng Tư pháp", date(2017, 4, 9), world.tuphap)
    db.session.commit()
    return before, on, after, late


def test_the_chair_downloads_the_filtered_list_as_of_today(login, world, deadlines) -> None:
    client = login(world.chair)
    url = f"/tasks/export.xlsx?unit={world.noivu.id}&role=lead&timeliness=open_overdue"
    sheet = _sheet(client.get(url))
    assert sheet["A1"].value == "DANH SÁCH NHIỆM VỤ"
    assert sheet["A2"].value == (
        "Số liệu tính đến ngày 10/04/2017. Bộ lọc: đơn vị chủ trì Phòng Nội vụ; "
        "chưa hoàn thành, quá hạn."
    )
    assert [c.value for c in sheet[HEADER_ROW]] == list(TASK_COLUMNS)
    # Overdue on 10/4: only the task due on the 9th (due today is still in time).
    [row] = _rows(sheet)
    assert row[:5] == [
        1,
        "Báo cáo sơ kết quý I",
        "45/TB-UBND ngày 05/04/2017",
        "Phòng Nội vụ",
        None,
    ]
    assert row[5].date() == date(2017, 4, 9)  # a date cell, shown dd/mm/yyyy
    assert sheet.cell(row=HEADER_ROW + 1, column=6).number_format == "DD/MM/YYYY"
    assert row[6] == "Chưa hoàn thành quá hạn"
    assert row[7] == "Quá hạn 1 ngày."


def test_before_on_and_after_the_download_day(login, world, deadlines) -> None:
    client = login(world.lead_user)
    sheet = _sheet(client.get("/tasks/export.xlsx"))
    assert sheet["A2"].value == (
        "Số liệu tính đến ngày 10/04/2017. Bộ lọc: mọi nhiệm vụ người tải được xem."
    )
    rows = {row[1]: row for row in _rows(sheet)}
    # The unit's own tasks in the list's order (nearest deadline first), nothing of Tư pháp.
    assert list(rows) == [
        "Tổng kết năm 2016",
        "Báo cáo sơ kết quý I",
        "Rà soát thủ tục hành chính",
        "Kiểm tra công vụ",
        world.task.content,
    ]
    assert rows["Báo cáo sơ kết quý I"][6] == "Chưa hoàn thành quá hạn"
    assert rows["Rà soát thủ tục hành chính"][6] == "Chưa hoàn thành trong hạn"
    assert rows["Rà soát thủ tục hành chính"][7] in (None, "")
    assert rows["Kiểm tra công vụ"][6] == "Chưa hoàn thành trong hạn"
    assert rows["Tổng kết năm 2016"][6] == "Hoàn thành quá hạn"
    assert (
        rows["Tổng kết năm 2016"][7] == "Đã gửi báo cáo số 12/BC-NV.\nHoàn thành ngày 07/04/2017."
    )
    # The same tasks as the page lists.
    page = client.get("/tasks/").get_data(as_text=True)
    assert "5 nhiệm vụ" in page and "Việc riêng của Phòng Tư pháp" not in page
    assert "/tasks/export.xlsx" in page


def test_the_page_and_the_file_follow_the_chosen_order(login, world, deadlines) -> None:
    client = login(world.lead_user)
    newest = [row[1] for row in _rows(_sheet(client.get("/tasks/export.xlsx?sort=newest")))]
    assert newest == [
        "Tổng kết năm 2016",
        "Kiểm tra công vụ",
        "Rà soát thủ tục hành chính",
        "Báo cáo sơ kết quý I",
        world.task.content,
    ]
    furthest = [
        row[1] for row in _rows(_sheet(client.get("/tasks/export.xlsx?sort=deadline_desc")))
    ]
    assert furthest[0] == world.task.content and furthest[-1] == "Tổng kết năm 2016"
    page = client.get("/tasks/?sort=newest").get_data(as_text=True)
    assert page.index("Kiểm tra công vụ") < page.index("Báo cáo sơ kết quý I")
    assert 'value="newest" selected' in page
    assert "sort=newest" in page  # the download link keeps the order
    # An unknown order is the default one, not an error.
    assert client.get("/tasks/?sort=whatever").status_code == 200


def test_a_meeting_the_user_cannot_see_is_not_named(login, world, deadlines) -> None:
    hidden = make_meeting(world.office, chair=world.chair, notice_number="99/TB-UBND")
    make_task(hidden, world.office, world.tuphap, content="Việc của cuộc họp kín")
    db.session.commit()
    client = login(world.lead_user)
    sheet = _sheet(client.get(f"/tasks/export.xlsx?meeting={hidden.id}"))
    assert "99/TB-UBND" not in sheet["A2"].value
    assert _rows(sheet) == [[None, "Không có nhiệm vụ nào phù hợp với bộ lọc.", *[None] * 6]]


def test_bad_filters_come_back_to_the_page_with_the_message(login, world) -> None:
    client = login(world.chair)
    response = client.get("/tasks/export.xlsx?from=31/02/2017&q=ke hoach")
    assert response.status_code == 302
    assert "/tasks/?" in response.headers["Location"] and "q=ke" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ngày “31/02/2017” không hợp lệ" in page


def test_the_download_is_audited_and_capped(login, world, deadlines, monkeypatch) -> None:
    from tracker.tasks import views

    monkeypatch.setattr(views, "EXPORT_CAP", 2)
    client = login(world.chair)
    sheet = _sheet(client.get("/tasks/export.xlsx?q=a"))
    assert len(_rows(sheet)) == 2
    assert "Chỉ gồm 2 nhiệm vụ đầu tiên" in sheet["A2"].value
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.kind == "export" and event.username == "chutich"
    assert "task list" in event.detail and "tasks=2" in event.detail


def test_typed_formulas_stay_text(login, world) -> None:
    make_task(world.meeting, world.office, world.noivu, content='=HYPERLINK("http://x.example")')
    db.session.commit()
    sheet = _sheet(login(world.chair).get("/tasks/export.xlsx?q=hyperlink"))
    cell = sheet.cell(row=HEADER_ROW + 1, column=2)
    assert cell.value == '=HYPERLINK("http://x.example")' and cell.data_type == "s"


def test_the_statements_do_not_grow_with_the_tasks(login, world) -> None:
    client = login(world.chair)

    def statements() -> int:
        with recorded_statements() as sent:
            assert client.get("/tasks/export.xlsx").status_code == 200
        return len(sent)

    def add(n: int) -> None:
        for i in range(n):
            make_task(
                world.meeting,
                world.office,
                world.taichinh,
                content=f"Nhiệm vụ {i}",
                coordinating_units=[world.noivu, world.tuphap],
                deadline=date(2017, 5, 1),
            )
        db.session.commit()

    add(2)
    few = statements()
    add(30)
    assert statements() == few


def test_the_file_speaks_the_forms_vietnamese_for_an_english_user(login, world, deadlines) -> None:
    world.chair.locale = "en"
    db.session.commit()
    client = login(world.chair)
    assert "Download the list (Excel)" in client.get("/tasks/").get_data(as_text=True)
    sheet = _sheet(client.get("/tasks/export.xlsx?status=done"))
    assert sheet["A2"].value.endswith("Bộ lọc: trạng thái hoàn thành.")
    assert [row[6] for row in _rows(sheet)] == ["Hoàn thành quá hạn"]
