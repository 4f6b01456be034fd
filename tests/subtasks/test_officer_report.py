"""The unit head's per-officer view on the dashboard and in its exports: each officer's parts
with a deadline in the period, as they stood on the report's cut-off date D, judged on each
part's own deadline; for the head only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from docx import Document

from tests import factories
from tests.api.conftest import ApiClient
from tests.api.openapi_check import OpenApiChecker
from tracker.api.openapi import openapi_document
from tracker.auth.models import Role
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.reports import exports
from tracker.subtasks.models import Subtask, SubtaskStatus
from tracker.subtasks.operations import OfficerPeriodRow, officer_period_summary

MARCH = "period=2017-03"  # ended: the cut-off D is 31/3/2017 (today is 10/4/2017)
D = date(2017, 3, 31)


def _part(world, hd, deadline, status="open", completed_on=None, **kw):  # type: ignore[no-untyped-def]
    # Written directly: parts with deadlines already past cannot be given through the form.
    values = {
        "task_id": world.task.id,
        "unit_id": world.noivu.id,
        "assignee_id": hd.officer.id,
        "content": f"Việc hạn {deadline:%d/%m}",
        "deadline": deadline,
        "status": status,
        "completed_on": completed_on,
        "created_by_id": hd.head.id,
    }
    values.update(kw)
    part = Subtask(**values)
    db.session.add(part)
    return part


def _march(world, hd) -> None:  # type: ignore[no-untyped-def]
    done = SubtaskStatus.DONE.value
    _part(world, hd, date(2017, 3, 15), done, date(2017, 3, 14))  # done on time, before D
    _part(world, hd, date(2017, 3, 20), done, date(2017, 3, 25))  # done late, before D
    _part(world, hd, date(2017, 3, 31), done, D)  # done on D itself: done on D, on time
    _part(world, hd, date(2017, 3, 20), done, date(2017, 4, 5))  # done after D, past its deadline
    _part(world, hd, date(2017, 3, 31), done, date(2017, 4, 2))  # done after D, due on D
    _part(world, hd, date(2017, 3, 10), assignee_id=hd.officer2.id)  # still open, overdue
    # Reported done before D but the head had not confirmed it: open, as a task the chair
    # has not confirmed.
    _part(
        world,
        hd,
        date(2017, 3, 28),
        SubtaskStatus.REPORTED.value,
        date(2017, 3, 27),
        assignee_id=hd.officer2.id,
    )
    # Not counted: cancelled, a deadline outside the period, another unit's parts.
    _part(world, hd, date(2017, 3, 12), SubtaskStatus.CANCELLED.value)
    _part(world, hd, date(2017, 4, 18))
    _part(world, hd, date(2017, 2, 28))
    other_head = factories.make_user(Role.UNIT_HEAD, world.tuphap, "truongtuphap")
    _part(
        world,
        hd,
        date(2017, 3, 15),
        unit_id=world.tuphap.id,
        assignee_id=world.other_user.id,
        created_by_id=other_head.id,
    )
    db.session.commit()


def test_figures_as_of_the_cut_off_date(world, hd) -> None:
    _march(world, hd)
    rows = officer_period_summary(world.noivu.id, date(2017, 3, 1), D, D)
    assert rows == [
        # given, done on time, done late, open in time, open overdue; overdue first
        OfficerPeriodRow("Cán Bộ Hai", 2, 0, 0, 0, 2),
        OfficerPeriodRow("Cán Bộ Một", 5, 2, 1, 1, 1),
    ]
    # Seen today instead (D = 10/4), the parts completed since count as done.
    today = officer_period_summary(world.noivu.id, date(2017, 3, 1), D, date(2017, 4, 10))
    assert today[1] == OfficerPeriodRow("Cán Bộ Một", 5, 2, 3, 0, 0)
    # A cut-off before the deadlines: what was done by then, the rest open in time.
    early = officer_period_summary(world.noivu.id, date(2017, 3, 1), D, date(2017, 3, 14))
    assert early[1] == OfficerPeriodRow("Cán Bộ Một", 5, 1, 0, 4, 0)
    assert early[0] == OfficerPeriodRow("Cán Bộ Hai", 2, 0, 0, 1, 1)


def test_the_head_sees_the_view_on_the_dashboard(world, hd, login) -> None:
    _march(world, hd)
    head = login(hd.head)
    plain = head.get(f"/reports/?{MARCH}").get_data(as_text=True)
    assert "Theo cán bộ" in plain and "view=officers" in plain  # offered, not shown
    assert "Cán Bộ Một" not in plain
    response = head.get(f"/reports/?{MARCH}&view=officers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index('id="officers"')
    section = html[start : html.index("</section>", start)]
    assert 'class="summary cards officers"' in section
    assert section.index("Cán Bộ Hai") < section.index("Cán Bộ Một")  # overdue first
    assert 'data-label="Chưa hoàn thành quá hạn">2</td>' in section
    # The form and the period links keep the view.
    assert '<input type="hidden" name="view" value="officers">' in html
    links = re.findall(r"<a rel=\"(?:prev|next)\" href=\"([^\"]*)\"", html)
    assert links and all("view=officers" in link for link in links), links
    sorts = re.findall(r"href=\"([^\"]*sort=[^\"]*)\"", html)
    assert sorts and all("view=officers" in link for link in sorts)
    hide = re.search(r"<a href=\"([^\"]*)\">Ẩn</a>", section)
    assert hide and "view=" not in hide.group(1) and "period=2017-03" in hide.group(1)


def test_nobody_else_sees_it_and_the_argument_is_ignored(world, hd, login) -> None:
    _march(world, hd)
    for user in (hd.officer, world.lead_user, world.chair, world.office, world.other_user):
        response = login(user).get(f"/reports/?{MARCH}&view=officers")
        assert response.status_code == 200, user.username
        html = response.get_data(as_text=True)
        assert 'id="officers"' not in html and "Cán Bộ Hai" not in html, user.username
        book = openpyxl.load_workbook(
            io.BytesIO(login(user).get(f"/reports/export.xlsx?{MARCH}").data)
        )
        assert book.sheetnames == ["Nhiệm vụ", "Tổng hợp theo đơn vị"], user.username


def test_the_heads_xlsx_has_the_officer_sheet(world, hd, login) -> None:
    _march(world, hd)
    response = login(hd.head).get(f"/reports/export.xlsx?{MARCH}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Nhiệm vụ", "Tổng hợp theo đơn vị", "Theo cán bộ"]
    sheet = book["Theo cán bộ"]
    values = [
        [c for c in row]
        for row in sheet.iter_rows(min_row=1, values_only=True)
        if any(c is not None for c in row)
    ]
    header = values.index(
        [
            "STT",
            "Cán bộ / đơn vị",
            "Số việc được giao",
            "Hoàn thành đúng hạn",
            "Hoàn thành quá hạn",
            "Chưa hoàn thành trong hạn",
            "Chưa hoàn thành quá hạn",
        ]
    )
    assert values[header + 1 :] == [
        [1, "Cán Bộ Hai", 2, 0, 0, 0, 2],
        [2, "Cán Bộ Một", 5, 2, 1, 1, 1],
        [None, "Tổng cộng", 7, 2, 1, 1, 3],
    ]
    # A period without parts: the sheet is there, saying so.
    empty = openpyxl.load_workbook(
        io.BytesIO(login(hd.head).get("/reports/export.xlsx?period=2016-03").data)
    )
    texts = [c for row in empty["Theo cán bộ"].iter_rows(values_only=True) for c in row if c]
    assert "Không có việc giao cán bộ nào có thời hạn trong kỳ báo cáo." in texts


def test_the_heads_docx_has_the_officer_appendix(world, hd, login) -> None:
    _march(world, hd)
    document = Document(io.BytesIO(login(hd.head).get(f"/reports/export.docx?{MARCH}").data))
    rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert ["2", "Cán Bộ Một", "5", "2", "1", "1", "1"] in rows
    chair = Document(io.BytesIO(login(world.chair).get(f"/reports/export.docx?{MARCH}").data))
    assert "THEO CÁN BỘ" not in "\n".join(p.text for p in chair.paragraphs)


def test_child_units_have_their_line_and_the_meeting_filter_applies(world, hd) -> None:
    _part(world, hd, date(2017, 3, 20), assignee_id=None, child_unit_id=hd.child.id)
    other = factories.make_meeting(world.office, title="Họp khác")
    task = factories.make_task(other, world.office, world.noivu, content="Việc của cuộc họp khác")
    _part(world, hd, date(2017, 3, 20), task_id=task.id)
    db.session.commit()
    everything = officer_period_summary(world.noivu.id, date(2017, 3, 1), D, D)
    assert everything == [
        OfficerPeriodRow("Cán Bộ Một", 1, 0, 0, 0, 1),
        OfficerPeriodRow("Tổ Văn thư - Lưu trữ", 1, 0, 0, 0, 1),
    ]
    of_meeting = officer_period_summary(
        world.noivu.id, date(2017, 3, 1), D, D, meeting_id=world.meeting.id
    )
    assert of_meeting == [OfficerPeriodRow("Tổ Văn thư - Lưu trữ", 1, 0, 0, 0, 1)]


# --- the CSV and the reports API (issue 21: the officer view in the other outputs) ---------


def _before_on_after_d(world, hd) -> None:  # type: ignore[no-untyped-def]
    """Three parts due on D, all confirmed: completed the day before D, on D, the day after."""
    done = SubtaskStatus.DONE.value
    for completed in (date(2017, 3, 30), D, date(2017, 4, 1)):
        _part(world, hd, D, done, completed, content=f"Xong {completed:%d/%m}")
    db.session.commit()


def _csv_rows(response):  # type: ignore[no-untyped-def]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_heads_csv_counts_as_of_d(world, hd, login) -> None:
    _before_on_after_d(world, hd)
    head = login(hd.head)
    page = head.get(f"/reports/?{MARCH}&view=officers").get_data(as_text=True)
    assert "/reports/officers.csv?period=2017-03" in page
    response = head.get(f"/reports/officers.csv?{MARCH}")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="theo-can-bo-2017-03.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == list(exports.OFFICER_COLUMNS)
    # Done before D and on D: done on time; done after D: still open on D, in time (due on D).
    assert rows[1:] == [["1", "Cán Bộ Một", "3", "2", "0", "1", "0"]]
    # The period decides which parts (none due in April), the cut-off how they count: up
    # to 5/4 the part completed on 1/4 is done too.
    april = _csv_rows(head.get("/reports/officers.csv?period=2017-04"))
    assert april[1:] == []
    quarter = _csv_rows(head.get("/reports/officers.csv?from=2017-03-01&to=2017-04-05"))
    assert quarter[1:] == [["1", "Cán Bộ Một", "3", "2", "1", "0", "0"]]


def test_the_officer_csv_is_the_heads_only(world, hd, login) -> None:
    _before_on_after_d(world, hd)
    for user in (hd.officer, world.lead_user, world.chair, world.office, world.other_user):
        client = login(user)
        assert client.get(f"/reports/officers.csv?{MARCH}").status_code == 403, user.username
        page = client.get(f"/reports/?{MARCH}&view=officers").get_data(as_text=True)
        assert "officers.csv" not in page, user.username


@pytest.fixture
def api(app, world, hd):  # type: ignore[no-untyped-def]
    """`api(user)`: a client with a token of `user`, answers checked against the document."""
    checker = OpenApiChecker(openapi_document())

    def _api(user):  # type: ignore[no-untyped-def]
        token = create_api_token(user, "test")
        db.session.commit()
        return ApiClient(app, checker, token)

    return _api


def test_the_reports_api_gives_the_head_the_officer_view_as_of_d(world, hd, api) -> None:
    _before_on_after_d(world, hd)
    _part(world, hd, date(2017, 3, 10), assignee_id=None, child_unit_id=hd.child.id)
    db.session.commit()
    response = api(hd.head).get(f"/api/v1/reports/officers?{MARCH}")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["period"] == {
        "code": "2017-03",
        "from": "2017-03-01",
        "to": "2017-03-31",
        "as_of": "2017-03-31",
    }
    assert body["unit"] == {"id": world.noivu.id, "name": world.noivu.name}
    assert body["officers"] == [
        {
            "assignee": None,
            "child_unit": {"id": hd.child.id, "name": "Tổ Văn thư - Lưu trữ"},
            "name": "Tổ Văn thư - Lưu trữ",
            "given": 1,
            "done_on_time": 0,
            "done_late": 0,
            "open_on_time": 0,
            "open_overdue": 1,
        },
        {
            "assignee": {"id": hd.officer.id, "full_name": "Cán Bộ Một"},
            "child_unit": None,
            "name": "Cán Bộ Một",
            "given": 3,
            "done_on_time": 2,  # completed before D and on D
            "done_late": 0,
            "open_on_time": 1,  # completed after D
            "open_overdue": 0,
        },
    ]
    assert body["total"] == {
        "given": 4,
        "done_on_time": 2,
        "done_late": 0,
        "open_on_time": 1,
        "open_overdue": 1,
    }


def test_the_reports_api_refuses_the_officer_view_to_others(world, hd, api) -> None:
    _before_on_after_d(world, hd)
    for user in (hd.officer, world.lead_user, world.chair, world.office, world.admin):
        response = api(user).get(f"/api/v1/reports/officers?{MARCH}")
        assert response.status_code == 403, user.username
    head = api(hd.head)
    missing = head.get("/api/v1/reports/officers")
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"from", "to"}
    unit = head.get(f"/api/v1/reports/officers?{MARCH}&unit={world.noivu.id}")
    assert unit.status_code == 422 and "unit" in unit.json["errors"]
    assert head.get(f"/api/v1/reports/officers?{MARCH}&meeting=999").status_code == 404
