"""The dashboard page: who sees what, filters, bad input, and a constant number of queries."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.factories import make_meeting, make_task, make_unit
from tracker.extensions import db


def test_office_sees_every_unit_and_the_overdue_list(login, data) -> None:
    response = login(data.office).get("/reports/?period=2017-Q2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Quý II năm 2017" in html
    assert "Phòng Nội vụ" in html and "Phòng Tài chính - Kế hoạch" in html
    assert "50,0%" in html and "33,3%" in html  # A's completion and on-time rates
    # Overdue list, oldest first: tasks 7 (03/04), 3 (06/04), 15 (09/04).
    positions = [html.index(f'/tasks/{data.tasks[n].id}"') for n in (7, 3, 15)]
    assert positions == sorted(positions)
    # Charts are inline SVG without scripts.
    # The charts carry no script of their own (pygal's is removed); only our static file loads.
    assert html.count("<svg") >= 2
    assert [
        line for line in html.splitlines() if "<script" in line and "/static/" not in line
    ] == []
    # A unit's row links to the task list filtered the same way.
    assert f"/tasks/?unit={data.a.id}" in html and "role=lead" in html
    assert "/reports/export.xlsx?period=2017-Q2" in html


def test_unit_member_sees_only_its_own_row(login, data) -> None:
    html = login(data.b_user).get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert "Phòng Tài chính - Kế hoạch" in html
    assert "Phòng Nội vụ</a>" not in html
    response = login(data.b_user).get(f"/reports/?period=2017-Q2&unit={data.a.id}")
    assert response.status_code == 404


def test_periods_and_ranges(login, data) -> None:
    client = login(data.office)
    for query in (
        "period=month",
        "period=quarter",
        "period=half",
        "period=year",
        "period=2017-06",
        "period=2017-H1",
        "period=2017",
        "period=range&from=2017-04-01&to=2017-04-30",
        "from=01/04/2017&to=30/04/2017",
    ):
        assert client.get(f"/reports/?{query}").status_code == 200, query


def test_bad_input_is_explained_never_500(login, data) -> None:
    client = login(data.office)
    response = client.get("/reports/?period=2017-Q5")
    assert response.status_code == 400
    assert "Quý 5 không tồn tại" in response.get_data(as_text=True)
    response = client.get("/reports/?period=range&from=2017-06-30&to=2017-04-01")
    assert response.status_code == 400
    assert "phải sau hoặc bằng ngày bắt đầu" in response.get_data(as_text=True)
    response = client.get("/reports/?period=range&from=31/02/2017&to=2017-04-01")
    assert response.status_code == 400
    assert client.get("/reports/?unit=9999").status_code == 404
    assert "Không tìm thấy cuộc họp" in client.get("/reports/?meeting=9999").get_data(as_text=True)
    assert client.get("/reports/?unit=abc").status_code == 404
    assert client.get("/reports/?sort=nonsense&dir=x").status_code == 200
    assert client.get("/reports/export.pdf").status_code == 404
    assert client.get("/reports/export.xlsx?period=2017-13").status_code == 400


def test_sorting_by_a_column(login, data) -> None:
    html = (
        login(data.office)
        .get("/reports/?period=2017-Q2&sort=on_time_rate&dir=desc")
        .get_data(as_text=True)
    )
    # B (50 %) before A (33.3 %).
    assert html.index("Phòng Tài chính - Kế hoạch</a>") < html.index("Phòng Nội vụ</a>")


def test_anonymous_is_sent_to_login(client, data) -> None:
    response = client.get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _count_queries(client, url: str) -> int:
    statements: list[str] = []
    db.session.commit()  # both measures start from an expired session (the user reloads)

    def listener(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_dashboard_costs_a_constant_number_of_queries(login, data) -> None:
    client = login(data.office)
    url = "/reports/?period=2017"
    before = _count_queries(client, url)
    # Many more units, meetings, tasks (some overdue, some coordinated) ...
    for i in range(6):
        unit = make_unit(f"UBND xã Thử {i}")
        meeting = make_meeting(data.office, held_on=date(2017, 1, 2 + i), title=f"Họp {i}")
        for j in range(8):
            make_task(
                meeting,
                data.office,
                unit,
                deadline=date(2017, 1 + j, 10),
                coordinating_units=[data.a, data.b] if j % 2 else [],
            )
    db.session.commit()
    after = _count_queries(client, url)
    assert before == after, (before, after)
    assert after <= 15
