"""The dashboard page: who sees what, filters, bad input, and a constant number of queries."""

from __future__ import annotations

import re
from datetime import date

from tests.factories import make_meeting, make_task, make_unit
from tests.sql import recorded_statements
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
    db.session.commit()  # both measures start from an expired session (the user reloads)
    with recorded_statements() as statements:
        assert client.get(url).status_code == 200
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


def test_rows_print_their_links_bars_and_labels(login, data) -> None:
    # The rows are worked out in the view (views.py, "the dashboard's rows"); this pins what
    # they print, in both languages.
    data.tasks[3].content = "Rà soát " + "thủ tục hành chính cấp huyện " * 8
    data.m2.title = "Họp bàn kế hoạch quý II " + "về cải cách hành chính " * 4
    db.session.commit()
    client = login(data.office)
    html = client.get("/reports/?period=2017-Q2").get_data(as_text=True)
    a, m1, t3, t15 = data.a.id, data.m1.id, data.tasks[3].id, data.tasks[15].id
    # A unit's row: its name and total link to its tasks of the period, each class to those.
    assert (
        f'<th scope="row"><a href="/tasks/?unit={a}&amp;role=lead&amp;from=2017-04-01'
        f'&amp;to=2017-06-30">Phòng Nội vụ</a></th>' in html
    )
    assert (
        f'<a class="t-open_overdue" href="/tasks/?unit={a}&amp;timeliness=open_overdue'
        f'&amp;role=lead&amp;from=2017-04-01&amp;to=2017-04-10">2</a>' in html
    )
    assert re.search(r'<td class="num"[^>]*>50,0%</td>\s*<td class="num"[^>]*>33,3%</td>', html)
    # m1's twelve counted tasks: 4 done on time, 1 late, 2 open in time, 4 overdue, 1 without
    # a deadline; the bar's segments follow each other.
    assert f'<a href="/meetings/{m1}">Hội nghị giao ban tháng 3</a>' in html
    assert "20/03/2017 · 45/TB-UBND (22/03/2017)" in html
    assert (
        '<svg class="bar" role="img" aria-label="42% hoàn thành" viewBox="0 0 100 10" '
        'preserveAspectRatio="none">'
        '<rect class="c-done_on_time" x="0" y="0" width="33.33" height="10">'
        "<title>Hoàn thành đúng hạn: 4</title></rect>"
        '<rect class="c-done_late" x="33.33" y="0" width="8.33" height="10">'
        "<title>Hoàn thành quá hạn: 1</title></rect>"
        '<rect class="c-open_on_time" x="41.66" y="0" width="16.67" height="10">'
        "<title>Chưa hoàn thành trong hạn: 2</title></rect>"
        '<rect class="c-open_overdue" x="58.33" y="0" width="33.33" height="10">'
        "<title>Chưa hoàn thành quá hạn: 4</title></rect>"
        '<rect class="c-no_deadline" x="91.66" y="0" width="8.33" height="10">'
        "<title>Không thời hạn: 1</title></rect>"
        '</svg><span class="small">42% hoàn thành</span>'
    ) in html
    assert (
        '<span class="t-done_late">Hoàn thành quá hạn: 1</span><br>'
        '<span class="t-open_on_time">Chưa hoàn thành trong hạn: 2</span><br>'
        '<span class="t-open_overdue">Chưa hoàn thành quá hạn: 4</span><br>'
        "Không thời hạn: 1</td>"
    ) in html
    # Long titles and contents are cut at a word, as Jinja's truncate does.
    assert ">Họp bàn kế hoạch quý II về cải cách hành chính về cải cách hành chính về cải" in html
    assert "về cải cách hành...</a>" in html
    assert f'<a href="/tasks/{t3}">Rà soát thủ tục hành chính cấp huyện' in html
    assert "thủ tục hành chính cấp...</a>" in html
    # An overdue task: its notice, unit, deadline with its extensions, days overdue.
    assert (
        f'<td><a href="/tasks/{t15}">Nhiệm vụ số 15: rà soát thủ tục hành chính</a>\n'
        '      <div class="muted small">45/TB-UBND</div></td>\n'
        '    <td data-label="Đơn vị chủ trì">Phòng Tài chính - Kế hoạch</td>\n'
        '    <td class="nowrap" data-label="Thời hạn">09/04/2017 '
        '<span class="muted">(gia hạn 1 lần)</span></td>\n'
        '    <td class="num t-open_overdue" data-label="Số ngày quá hạn">1</td>\n'
        '    <td class="nowrap" data-label="Cập nhật gần nhất">10/04/2017 09:00</td>'
    ) in html
    # The filters' drop-down lists, the chosen one selected.
    html = client.get(f"/reports/?period=2017-Q2&meeting={m1}").get_data(as_text=True)
    assert f'<option value="{m1}" selected>20/03/2017 · 45/TB-UBND</option>' in html
    assert f'<option value="{a}" >Phòng Nội vụ</option>' in html

    english = client.get("/reports/?period=2017-Q2&lang=en").get_data(as_text=True)
    assert 'aria-label="42% done"' in english and "<title>No deadline: 1</title>" in english
    assert "hoàn thành" not in english
    assert '<span class="muted">(extended 1×)</span>' in english


def test_kept_filter_options_follow_the_request_and_the_data(login, data) -> None:
    # The printed options are kept per process (views.py): the selection and any change to
    # the units or meetings they show must still come through.
    client = login(data.office)
    a, m2 = data.a.id, data.m2.id
    html = client.get(f"/reports/?period=2017-Q2&unit={a}").get_data(as_text=True)
    assert f'<option value="{a}" selected>Phòng Nội vụ</option>' in html
    html = client.get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert f'<option value="{a}" >Phòng Nội vụ</option>' in html
    assert " selected>Phòng" not in html
    data.a.name = "Phòng Nội vụ huyện"
    data.m2.held_on = date(2017, 4, 4)
    db.session.commit()
    html = client.get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert f'<option value="{a}" >Phòng Nội vụ huyện</option>' in html
    assert f'<option value="{m2}" >04/04/2017 · Họp bàn kế hoạch quý II</option>' in html
    # A unit member has no filters to choose from.
    html = login(data.a_user).get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert '<select id="unit"' not in html and '<select id="meeting"' not in html


def test_the_dashboard_opens_on_a_period_with_tasks(app, login, data) -> None:
    from datetime import UTC, datetime

    client = login(data.office)
    # Today (10/04/2017) the quarter has tasks: it opens on it.
    html = client.get("/reports/").get_data(as_text=True)
    assert "<strong>Quý II năm 2017</strong>" in html
    # In 2019, with nothing since July 2017, it opens on Q3/2017 (task 16's deadline).
    # A login lasts TRACKER_REMEMBER_DAYS: two years on, the office logs in again.
    app.config["TRACKER_FIXED_NOW"] = datetime(2019, 2, 1, 2, 0, tzinfo=UTC)
    client = login(data.office)
    html = client.get("/reports/").get_data(as_text=True)
    assert "<strong>Quý III năm 2017</strong>" in html
    assert '<option value="Q3" selected>' in html and '<option value="2017" selected>' in html
    # In 2016, before any task, on the first quarter that has some.
    app.config["TRACKER_FIXED_NOW"] = datetime(2016, 5, 1, 2, 0, tzinfo=UTC)
    assert "<strong>Quý I năm 2017</strong>" in client.get("/reports/").get_data(as_text=True)
    # A unit member: its own unit's tasks (unit B's latest deadline is 15/05/2017).
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 9, 1, 2, 0, tzinfo=UTC)
    html = login(data.b_user).get("/reports/").get_data(as_text=True)
    assert "<strong>Quý II năm 2017</strong>" in html


def test_the_period_picker_and_its_neighbours(login, data) -> None:
    client = login(data.office)
    html = client.get("/reports/?part=M4&year=2017").get_data(as_text=True)
    assert "<strong>Tháng 4 năm 2017</strong>" in html
    assert '<option value="M4" selected>' in html
    assert 'rel="prev" href="/reports/?period=2017-03"' in html
    assert 'rel="next" href="/reports/?period=2017-05"' in html
    html = client.get(f"/reports/?part=H1&year=2017&unit={data.a.id}").get_data(as_text=True)
    assert "<strong>6 tháng đầu năm 2017</strong>" in html
    assert f'rel="next" href="/reports/?period=2017-H2&amp;unit={data.a.id}"' in html
    html = client.get("/reports/?part=range&year=2017&from=2017-04-01&to=2017-04-15").get_data(
        as_text=True
    )
    assert "Từ 01/04/2017 đến 15/04/2017" in html and 'rel="next"' not in html
    assert client.get("/reports/?part=Q9&year=2017").status_code == 400
    assert client.get("/reports/?part=Q1&year=abcd").status_code == 400
