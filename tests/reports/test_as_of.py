"""Reports count every task as it stood on their cut-off date, on every channel.

Today is 10/04/2017. The first quarter of 2017 has ended: its report date D is 31/03/2017.
Tasks are built through the real operations at the dates things happened, so their history
(submissions, confirmations, extensions, edits) is what the application records:

  A1  deadline 15/03, done, submitted 10/03           → done on time
  A2  deadline 15/03, done, submitted 31/03 (on D)    → done late
  A3  deadline 15/03, done, submitted 05/04 (after D) → open on D, overdue 16 days
  A4  deadline 31/03, done, submitted 03/04 (after D) → open on D, in time (due that day)
  A5  deadline 20/03, extended on 02/04 to 20/04      → on D: in Q1, overdue 11 days, not
                                                        extended yet; today: a Q2 task
  A6  deadline 10/03, extended on 06/03 to 25/03      → overdue 6 days, extended
  A7  deadline 20/04, edited on 03/04 to 25/03        → not a Q1 task on D
  B1  deadline 28/03, done, submitted 06/04 (after D) → open on D, overdue 3 days

Unit A on D: 6 tasks, all due: 1 on time, 1 late, 1 open in time, 3 overdue, 1 extended.
Unit B on D: 1 task, due, overdue.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.factories import make_meeting, make_task, make_unit, make_user
from tracker.auth.models import Role, User
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.reports.operations import (
    class_series,
    make_scope,
    meeting_progress,
    overdue_rows,
    overdue_tasks,
    unit_summary,
)
from tracker.reports.periods import parse_period
from tracker.tasks import extensions
from tracker.tasks import operations as task_ops
from tracker.tasks.models import Task
from tracker.units.models import Unit, UnitKind

TODAY = date(2017, 4, 10)
D = date(2017, 3, 31)


@dataclass
class History:
    """The units, users and lettered tasks."""

    a: Unit
    b: Unit
    office: User
    chair: User
    a_user: User
    b_user: User
    tasks: dict[str, Task]


def _at(app, day: date, hour: int = 9) -> None:  # type: ignore[no-untyped-def]
    app.config["TRACKER_FIXED_NOW"] = datetime.combine(day, time(hour), tzinfo=UTC) - timedelta(
        hours=7
    )


@pytest.fixture
def history(app) -> History:  # type: ignore[no-untyped-def]
    saved = app.config["TRACKER_FIXED_NOW"]
    _at(app, date(2017, 3, 1))
    office_unit = make_unit("Văn phòng HĐND và UBND huyện", kind=UnitKind.OFFICE)
    a = make_unit("Phòng Nội vụ")
    b = make_unit("Phòng Tư pháp")
    office = make_user(Role.OFFICE, office_unit, "vanphong", full_name="Lò Thị Hoa")
    chair = make_user(Role.CHAIR, None, "chutich", full_name="Nguyễn Huy Anh")
    a_user = make_user(Role.UNIT, a, "noivu", full_name="Hà Thị Lan")
    b_user = make_user(Role.UNIT, b, "tuphap", full_name="Lường Thị Mai")
    meeting = make_meeting(
        office,
        held_on=date(2017, 3, 1),
        title="Hội nghị giao ban tháng 3",
        chair=chair,
        notice_number="30/TB-UBND",
        notice_issued_on=date(2017, 3, 2),
    )
    specs = {
        "A1": (a, date(2017, 3, 15)),
        "A2": (a, date(2017, 3, 15)),
        "A3": (a, date(2017, 3, 15)),
        "A4": (a, date(2017, 3, 31)),
        "A5": (a, date(2017, 3, 20)),
        "A6": (a, date(2017, 3, 10)),
        "A7": (a, date(2017, 4, 20)),
        "B1": (b, date(2017, 3, 28)),
    }
    _at(app, date(2017, 3, 2))
    tasks = {
        name: make_task(
            meeting, office, unit, content=f"Nhiệm vụ {name}: rà soát hồ sơ", deadline=deadline
        )
        for name, (unit, deadline) in specs.items()
    }

    def done(name: str, submitted: date, confirmed: date) -> None:
        user = a_user if name.startswith("A") else b_user
        _at(app, submitted)
        task_ops.post_progress(tasks[name], actor=user, note="Đã xong.", status="submitted")
        _at(app, confirmed, 15)
        task_ops.change_status(tasks[name], actor=chair, transition_name="confirm")

    def extend(name: str, day: date, new_deadline: date) -> None:
        _at(app, day)
        request = extensions.request_extension(
            tasks[name], actor=a_user, new_deadline=new_deadline, reason="Cần thêm thời gian."
        )
        _at(app, day, 15)
        extensions.decide_extension(request, actor=chair, approve=True)

    extend("A6", date(2017, 3, 6), date(2017, 3, 25))
    done("A1", date(2017, 3, 10), date(2017, 3, 13))
    done("A2", date(2017, 3, 31), date(2017, 3, 31))
    extend("A5", date(2017, 4, 2), date(2017, 4, 20))
    done("A4", date(2017, 4, 3), date(2017, 4, 4))
    _at(app, date(2017, 4, 3))
    task = tasks["A7"]
    task_ops.edit_task(
        task,
        actor=office,
        seen_version=task.version,
        content=task.content,
        lead_unit=a,
        coordinating_units=[],
        responsible=None,
        deadline=date(2017, 3, 25),
        reason="Đính chính thời hạn theo thông báo.",
    )
    done("A3", date(2017, 4, 5), date(2017, 4, 6))
    done("B1", date(2017, 4, 6), date(2017, 4, 7))
    db.session.commit()
    app.config["TRACKER_FIXED_NOW"] = saved
    return History(a, b, office, chair, a_user, b_user, tasks)


# Unit name → (assigned, due, on time, late, open in time, overdue, extended)
EXPECTED = {
    "Phòng Nội vụ": (6, 6, 1, 1, 1, 3, 1),
    "Phòng Tư pháp": (1, 1, 0, 0, 0, 1, 0),
}
TOTAL = (7, 7, 1, 1, 1, 4, 1)
FIELDS = ("assigned", "due", "done_on_time", "done_late", "open_on_time", "open_overdue")
FIELDS += ("extended",)


def _figures(row) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(getattr(row, f) for f in FIELDS)


def test_the_history_is_what_the_application_recorded(history: History) -> None:
    tasks = history.tasks
    assert tasks["A3"].status == "done" and tasks["A3"].completed_on == date(2017, 4, 5)
    assert tasks["A5"].deadline == date(2017, 4, 20) and tasks["A5"].extension_count == 1
    assert tasks["A6"].deadline == date(2017, 3, 25) and tasks["A6"].extension_count == 1
    assert tasks["A7"].deadline == date(2017, 3, 25)


@pytest.mark.parametrize("viewer", ["chair", "office", "unit", "meeting"])
def test_an_ended_quarter_counts_as_of_its_last_day(history: History, viewer: str) -> None:
    # The chair and the office read the tallies; a unit member and a meeting filter count the
    # tasks themselves: both corrected the same way.
    kwargs: dict[str, object] = {}
    if viewer in ("chair", "office"):
        kwargs["viewer"] = getattr(history, viewer)
    elif viewer == "unit":
        kwargs["viewer"] = history.a_user
    else:
        kwargs["meeting_id"] = history.tasks["A1"].meeting_id
    scope = make_scope(parse_period("2017-Q1"), today=TODAY, **kwargs)
    assert scope.as_of == D
    rows = {row.unit_name: _figures(row) for row in unit_summary(scope).rows}
    if viewer == "unit":
        assert rows == {"Phòng Nội vụ": EXPECTED["Phòng Nội vụ"]}
    else:
        assert rows == EXPECTED
        assert _figures(unit_summary(scope).total) == TOTAL


def test_the_running_quarter_counts_today(history: History) -> None:
    # Q2 as of today: A5 (20/04, extended once) is a Q2 task, not yet due; nothing is rewound.
    scope = make_scope(parse_period("2017-Q2"), today=TODAY, viewer=history.chair)
    assert scope.as_of == TODAY and scope.rewound() == {}
    rows = {row.unit_name: _figures(row) for row in unit_summary(scope).rows}
    assert rows == {"Phòng Nội vụ": (1, 0, 0, 0, 0, 0, 0)}
    # A month that has ended counts as of its last day too.
    march = make_scope(parse_period("2017-03"), today=TODAY, viewer=history.chair)
    assert march.as_of == D
    assert _figures(unit_summary(march).total) == TOTAL


def test_completed_before_on_and_after_the_cut_off(history: History) -> None:
    scope = make_scope(parse_period("2017-Q1"), today=TODAY)
    tasks = history.tasks
    kinds = {name: scope.state(task).kind for name, task in tasks.items()}
    assert kinds["A1"] == "done_on_time"  # completed before D
    assert kinds["A2"] == "done_late"  # completed on D
    assert kinds["A3"] == "open_overdue"  # completed after D
    assert kinds["A4"] == "open_on_time"  # completed after D, deadline D
    assert kinds["B1"] == "open_overdue"
    assert scope.state(tasks["A5"]).deadline == date(2017, 3, 20)
    assert scope.state(tasks["A5"]).extension_count == 0
    assert scope.state(tasks["A7"]).deadline == date(2017, 4, 20)
    assert not scope.in_period(scope.state(tasks["A7"]))


def test_series_meetings_and_overdue_lists_as_of_the_cut_off(history: History) -> None:
    scope = make_scope(parse_period("2017-Q1"), today=TODAY, viewer=history.office)
    series = dict(class_series(scope))
    assert series[(2017, 3)] == {
        "done_on_time": 1,
        "done_late": 1,
        "open_on_time": 1,
        "open_overdue": 4,
    }
    assert series[(2017, 1)] == series[(2017, 2)] == dict.fromkeys(series[(2017, 3)], 0)
    # The meeting's eight tasks as they stood on D: A7 (20/04) was open in time then.
    [meeting] = meeting_progress(scope)
    assert meeting.total == 8
    assert meeting.counts == {
        "done_on_time": 1,
        "done_late": 1,
        "open_on_time": 2,
        "open_overdue": 4,
        "no_deadline": 0,
    }
    overdue = overdue_rows(scope, limit=100)
    assert [(r.content[:12], r.deadline, r.days_overdue, r.extension_count) for r in overdue] == [
        ("Nhiệm vụ A3:", date(2017, 3, 15), 16, 0),
        ("Nhiệm vụ A5:", date(2017, 3, 20), 11, 0),
        ("Nhiệm vụ A6:", date(2017, 3, 25), 6, 1),
        ("Nhiệm vụ B1:", date(2017, 3, 28), 3, 0),
    ]
    assert [r.content[:12] for r in overdue_rows(scope, limit=2)] == [
        "Nhiệm vụ A3:",
        "Nhiệm vụ A5:",
    ]
    assert [t.content[:12] for t in overdue_tasks(scope)] == [r.content[:12] for r in overdue]


def _cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in row_html.split("<td")[1:]]


def test_the_dashboard_shows_the_figures_as_of_the_cut_off(history: History, login) -> None:
    response = login(history.office).get("/reports/?period=2017-Q1")
    assert response.status_code == 200
    page = " ".join(response.get_data(as_text=True).split())
    assert "số liệu tính đến ngày 31/03/2017" in page
    # Unit A's row: 6 tasks, 6 due, 1 / 1 / 1 / 3, 1 extended, 33.3 % and 16.7 %.
    row = page.split("Phòng Nội vụ</a></th>")[1].split("</tr>")[0]
    assert [c.split(">", 1)[-1] for c in _cells(row)] == [
        "6",
        "6",
        "1",
        "1",
        "1",
        "3",
        "1",
        "33,3%",
        "16,7%",
    ]
    # The overdue list counts days to 31/03, and lists A5 at its deadline then.
    overdue = page.split("Nhiệm vụ chưa hoàn thành quá hạn</h2>")[1]
    assert overdue.index("Nhiệm vụ A3") < overdue.index("Nhiệm vụ A5") < overdue.index("B1")
    assert "20/03/2017" in overdue and "20/04/2017" not in overdue
    # (each cell also names its column, data-label, for the phone's stacked rows)
    assert re.search(r'<td class="num t-open_overdue"[^>]*>16</td>', overdue)
    assert re.search(r'<td class="num t-open_overdue"[^>]*>3</td>', overdue)


def _xlsx_rows(body: bytes) -> tuple[dict[str, tuple], list[tuple]]:  # type: ignore[type-arg]
    book = load_workbook(io.BytesIO(body))
    tasks = {
        row[1].split(":")[0].removeprefix("Nhiệm vụ "): row
        for row in book["Nhiệm vụ"].iter_rows(min_row=6, values_only=True)
    }
    summary = list(book["Tổng hợp theo đơn vị"].iter_rows(min_row=6, values_only=True))
    assert book["Nhiệm vụ"]["A3"].value.startswith("Số liệu tính đến ngày 31/03/2017")
    return tasks, summary


def test_xlsx_export_as_of_the_cut_off(history: History, login) -> None:
    body = login(history.office).get("/reports/export.xlsx?period=2017-Q1").data
    tasks, summary = _xlsx_rows(body)
    _check_task_rows(tasks, dates_as=datetime)
    assert [row[1:9] for row in summary] == [
        ("Phòng Nội vụ", *EXPECTED["Phòng Nội vụ"]),
        ("Phòng Tư pháp", *EXPECTED["Phòng Tư pháp"]),
        ("Tổng cộng", *TOTAL),
    ]


def _check_task_rows(tasks: dict[str, tuple], dates_as: type) -> None:  # type: ignore[type-arg]
    assert sorted(tasks) == ["A1", "A2", "A3", "A4", "A5", "A6", "B1"]

    def day(value: object) -> date:
        if dates_as is datetime:
            assert isinstance(value, datetime)
            return value.date()
        return datetime.strptime(str(value), "%d/%m/%Y").date()

    status, notes, deadline = 6, 7, 5
    assert tasks["A1"][status] == "Hoàn thành đúng hạn"
    assert tasks["A2"][status] == "Hoàn thành quá hạn"
    assert tasks["A3"][status] == "Chưa hoàn thành quá hạn"
    assert tasks["A4"][status] == "Chưa hoàn thành trong hạn"
    assert tasks["A5"][status] == "Chưa hoàn thành quá hạn"
    assert day(tasks["A5"][deadline]) == date(2017, 3, 20)
    assert "Quá hạn 16 ngày." in tasks["A3"][notes]
    assert "Hoàn thành ngày 05/04/2017, sau ngày tính số liệu." in tasks["A3"][notes]
    assert "Hoàn thành ngày 31/03/2017." in tasks["A2"][notes]
    assert "Quá hạn 11 ngày." in tasks["A5"][notes]
    assert "Đã gia hạn" not in tasks["A5"][notes]
    assert "Thời hạn đổi thành 20/04/2017 sau ngày tính số liệu." in tasks["A5"][notes]
    assert "Đã gia hạn 1 lần, thời hạn ban đầu 10/03/2017." in tasks["A6"][notes]
    for row in tasks.values():
        assert "3444" not in str(row[notes])
        for line in str(row[notes] or "").splitlines():
            if line.startswith("Quá hạn "):
                assert int(line.split()[2]) <= (D - date(2017, 3, 1)).days


def test_csv_export_as_of_the_cut_off(history: History, login) -> None:
    body = login(history.office).get("/reports/export.csv?period=2017-Q1").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    tasks = {row[1].split(":")[0].removeprefix("Nhiệm vụ "): tuple(row) for row in rows}
    _check_task_rows(tasks, dates_as=str)


def test_docx_export_as_of_the_cut_off(history: History, login) -> None:
    body = login(history.office).get("/reports/export.docx?period=2017-Q1").data
    document = Document(io.BytesIO(body))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Số liệu tính đến ngày 31/03/2017." in text
    assert (
        "Tổng số nhiệm vụ có thời hạn trong kỳ: 7; đã đến hạn: 7, trong đó hoàn thành đúng hạn "
        "1, hoàn thành quá hạn 1, chưa hoàn thành trong hạn 1, chưa hoàn thành quá hạn 4"
    ) in text
    overdue = text.split("II. CÁC NHIỆM VỤ CHƯA HOÀN THÀNH QUÁ HẠN")[1]
    assert "1. Phòng Nội vụ (3 nhiệm vụ)" in overdue
    assert "Nhiệm vụ A3: rà soát hồ sơ (30/TB-UBND ngày 02/03/2017; thời hạn 15/03/2017; " in (
        overdue
    )
    assert "quá hạn 16 ngày" in overdue
    assert "thời hạn 20/03/2017; quá hạn 11 ngày" in overdue
    summary = document.tables[1]
    cells = [[c.text for c in row.cells] for row in summary.rows]
    assert cells[1][1:9] == ["Phòng Nội vụ", *map(str, EXPECTED["Phòng Nội vụ"])]
    assert cells[-1][1:9] == ["Tổng cộng", *map(str, TOTAL)]


def test_command_line_report_as_of_the_cut_off(app, history: History, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "q1.xlsx"
    result = app.test_cli_runner().invoke(
        args=["report", "--period", "2017-Q1", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    tasks, summary = _xlsx_rows(out.read_bytes())
    _check_task_rows(tasks, dates_as=datetime)
    assert summary[-1][1:9] == ("Tổng cộng", *TOTAL)


def test_api_summary_as_of_the_cut_off(client, history: History) -> None:
    token = create_api_token(history.office, "test")
    db.session.commit()
    response = client.get(
        "/api/v1/reports/units?period=2017-Q1", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = json.loads(response.data)
    assert body["period"]["as_of"] == "2017-03-31"
    units = {row["unit_name"]: tuple(row[f] for f in FIELDS) for row in body["units"]}
    assert units == EXPECTED
    assert tuple(body["total"][f] for f in FIELDS) == TOTAL
    assert body["total"]["completion_rate"] == round(100 * 2 / 7, 1)
    # The same fields as ever.
    assert set(body["total"]) == {
        "unit_id",
        "unit_name",
        "assigned",
        "due",
        "not_yet_due",
        "done_on_time",
        "done_late",
        "open_on_time",
        "open_overdue",
        "extended",
        "completion_rate",
        "on_time_rate",
    }


def test_the_lookups_read_their_partial_indexes(history: History, backend: str) -> None:
    from tests.sql import listening

    captured: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    with listening("before_cursor_execute", record):
        assert len(make_scope(parse_period("2017-Q1"), today=TODAY).rewound()) == 5
    assert len(captured) == 2
    connection = db.session.connection()
    plans = []
    for statement, parameters in captured:
        if backend == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        else:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plans.append(" ".join(str(row[-1]) for row in rows))
    assert "ix_tasks_done_late" in plans[0]
    assert "ix_task_events_deadline_changes" in plans[1]
