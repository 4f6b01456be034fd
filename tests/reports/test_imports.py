"""Importing Excel lists: the export's layout, the usual variations, preview, confirmation."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.cli import main as tracker_cli
from tracker.extensions import db
from tracker.reports.imports import read_workbook
from tracker.tasks.models import Task


def _signature(task: Task) -> tuple[object, ...]:
    return (
        task.content,
        task.lead_unit.name,
        tuple(sorted(u.name for u in task.coordinating_units)),
        task.deadline,
    )


def _office_list() -> bytes:
    """A list as an office keeps it: merged title rows, its own column order, dates typed as
    text, a section heading, and a few mistakes."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "UBND HUYỆN VÂN HỒ"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "DANH MỤC NHIỆM VỤ GIAO TẠI HỘI NGHỊ"
    sheet.merge_cells("A2:F2")
    sheet.append([])
    sheet.append(
        [
            "TT",
            "Thời hạn hoàn thành",
            "Đơn vị chủ trì",
            "Nội dung công việc",
            "Cơ quan phối hợp",
            "Ghi chú",
        ]
    )
    sheet.append(["I", None, None, "LĨNH VỰC NỘI CHÍNH", None, None])
    sheet.append([1, "15/4/2017", "Phòng NV", "Kiện toàn bộ phận một cửa", "Phòng TC-KH", None])
    sheet.append(
        [
            2,
            datetime(2017, 5, 31),
            "phòng tư pháp",
            "Rà soát văn bản QPPL",
            "Phòng Nội vụ\nPhòng Tài chính - Kế hoạch",
            None,
        ]
    )
    sheet.append([3, "trước ngày 30/06/2017", "Phòng Nông nghiệp", "Trồng rừng", None, None])
    sheet.append([4, "31/02/2017", "Phòng Nội vụ", "Ngày không có thật", None, None])
    sheet.append([5, "Thường xuyên", "Phòng Tư pháp", "Tuyên truyền pháp luật", None, None])
    sheet.append([6, "01/03/2017", "Phòng Tư pháp", "Trước ngày họp", None, None])
    sheet.append([7, "20/4/2017", "Phòng Nội vụ", "Chủ trì cũng phối hợp", "Phòng Nội vụ", None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_reading_an_office_list(data) -> None:
    rows = read_workbook(_office_list(), data.m1)
    assert [r.row_number for r in rows] == [6, 7, 8, 9, 10, 11, 12]
    one, two, three, four, five, six, seven = rows
    assert one.ok and one.lead is data.a and one.coordinating == [data.b]
    assert one.deadline == date(2017, 4, 15) and one.content == "Kiện toàn bộ phận một cửa"
    assert (
        two.ok
        and two.lead is data.c
        and {u.id for u in two.coordinating}
        == {
            data.a.id,
            data.b.id,
        }
    )
    assert two.deadline == date(2017, 5, 31)
    assert three.problems == ["Không tìm thấy đơn vị chủ trì “Phòng Nông nghiệp” trong danh mục."]
    assert three.deadline == date(2017, 6, 30)
    assert four.problems and "Không đọc được thời hạn “31/02/2017”" in four.problems[0]
    assert five.ok and five.deadline is None and five.is_recurring
    assert six.problems == ["Thời hạn không thể trước ngày họp (20/03/2017)."]
    assert seven.problems and "không thể đồng thời là đơn vị phối hợp" in seven.problems[0]


def test_upload_preview_then_confirm(login, data) -> None:
    client = login(data.office)
    assert client.get("/reports/import").status_code == 200
    before = db.session.scalar(sa.select(sa.func.count(Task.id)))
    response = client.post(
        "/reports/import",
        data={"meeting": str(data.m1.id), "file": (io.BytesIO(_office_list()), "ds.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3/7 dòng hợp lệ" in html
    assert "Không tìm thấy đơn vị chủ trì “Phòng Nông nghiệp”" in html
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == before  # nothing yet
    token = html.split('name="token" value="')[1].split('"')[0]
    # Another manager cannot confirm this upload.
    other = login(data.chair).post(
        "/reports/import/confirm", data={"token": token, "meeting": str(data.m1.id)}
    )
    assert other.status_code == 400
    response = client.post(
        "/reports/import/confirm", data={"token": token, "meeting": str(data.m1.id)}
    )
    assert response.status_code == 302
    created = db.session.scalars(
        sa.select(Task).where(
            Task.content.in_(
                ["Kiện toàn bộ phận một cửa", "Rà soát văn bản QPPL", "Tuyên truyền pháp luật"]
            )
        )
    ).all()
    assert len(created) == 3
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == before + 3
    assert all(t.created_by_id == data.office.id for t in created)
    # The upload is gone: confirming twice creates nothing more.
    again = client.post(
        "/reports/import/confirm", data={"token": token, "meeting": str(data.m1.id)}
    )
    assert again.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == before + 3


def test_upload_bad_input(login, data) -> None:
    client = login(data.office)
    response = client.post(
        "/reports/import",
        data={"meeting": str(data.m1.id), "file": (io.BytesIO(b"not a workbook"), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "không phải là bảng tính Excel" in response.get_data(as_text=True)
    response = client.post(
        "/reports/import",
        data={"meeting": "9999", "file": (io.BytesIO(_office_list()), "ds.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Vui lòng chọn cuộc họp" in response.get_data(
        as_text=True
    )
    book = openpyxl.Workbook()
    book.active.append(["Cột A", "Cột B"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/reports/import",
        data={"meeting": str(data.m1.id), "file": (io.BytesIO(buffer.getvalue()), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Không tìm thấy dòng tiêu đề" in response.get_data(as_text=True)
    # Unit members do not import.
    assert login(data.a_user).get("/reports/import").status_code == 403


def test_export_then_reimport_gives_back_the_same_tasks(login, data) -> None:
    exported = login(data.office).get("/reports/export.xlsx?period=2017")
    original = db.session.scalars(
        sa.select(Task).where(
            Task.status.not_in(["paused", "cancelled"]), Task.deadline.is_not(None)
        )
    ).all()
    target = make_meeting(data.office, held_on=date(2017, 1, 5), title="Nhập lại")
    db.session.commit()
    rows = read_workbook(exported.data, target)
    assert len(rows) == len(original) and all(r.ok for r in rows), [r.problems for r in rows]
    from tracker.reports.imports import create_rows

    created = create_rows(rows, target, data.office)
    db.session.commit()
    assert sorted(map(_signature, created)) == sorted(map(_signature, original))


def test_command_line_import(app, data, tmp_path: Path) -> None:
    path = tmp_path / "ds.xlsx"
    path.write_bytes(_office_list())
    runner = app.test_cli_runner()
    result = runner.invoke(
        tracker_cli, ["import-xlsx", str(path), "--meeting", str(data.m1.id), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 7 rows can be created." in result.output
    assert "Phòng Nông nghiệp" in result.output
    count = db.session.scalar(sa.select(sa.func.count(Task.id)))
    result = runner.invoke(
        tracker_cli, ["import-xlsx", str(path), "--meeting", str(data.m1.id)], input="n\n"
    )
    assert "Nothing created." in result.output
    result = runner.invoke(
        tracker_cli,
        ["import-xlsx", str(path), "--meeting", str(data.m1.id), "--yes", "--user", "vanphong"],
    )
    assert result.exit_code == 0, result.output
    assert "Created 3 tasks." in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == count + 3
    result = runner.invoke(tracker_cli, ["import-xlsx", str(path), "--meeting", "9999"])
    assert result.exit_code != 0 and "Unknown meeting" in result.output
