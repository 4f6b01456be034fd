"""The task list's rows as printed: links, units, relative deadlines, status and timeliness."""

from __future__ import annotations

import re
from datetime import date

from tests.factories import make_meeting, make_task
from tracker.extensions import db
from tracker.tasks.models import Status


def _rows(html: str) -> list[str]:
    """The table's body rows, whitespace around tags removed and runs of spaces made one."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    body = re.sub(r"\s*<", "<", re.sub(r">\s*", ">", re.sub(r"\s+", " ", body)))
    return re.findall(r"<tr.*?</tr>", body)


def test_rows_print_their_links_units_deadlines_and_states(login, world) -> None:
    # The rows are worked out in the view (views.py, "the list's rows"); this pins what they
    # print, in both languages. Today is 10/04/2017.
    w = world
    long_title = "Họp bàn kế hoạch quý II " + "về cải cách hành chính " * 4
    other = make_meeting(w.office, title=long_title)
    overdue = make_task(
        w.meeting, w.office, w.noivu, content="Rà soát thủ tục", deadline=date(2017, 4, 6)
    )
    overdue.status, overdue.progress, overdue.extension_count = Status.IN_PROGRESS, 40, 2
    coordinated = make_task(
        other,
        w.office,
        w.tuphap,
        content="Kiểm tra " + "thủ tục hành chính cấp huyện " * 8,
        coordinating_units=[w.taichinh, w.noivu],
        deadline=date(2017, 4, 10),
    )
    coordinated.period_label = "Quý II/2017"
    done = make_task(w.meeting, w.office, w.noivu, content="Báo cáo", deadline=date(2017, 4, 5))
    done.status, done.progress, done.completed_on = Status.DONE, 100, date(2017, 4, 5)
    paused = make_task(w.meeting, w.office, w.noivu, content="Tạm dừng", deadline=date(2017, 4, 7))
    paused.status = Status.PAUSED
    recurring = make_task(w.meeting, w.office, w.noivu, content="Trực", is_recurring=True)
    db.session.commit()
    client = login(w.lead_user)

    rows = _rows(client.get("/tasks/").get_data(as_text=True))
    assert rows == [
        '<tr class="row-done_on_time">'
        f'<td><a href="/tasks/{done.id}">Báo cáo</a><div class="muted small">45/TB-UBND</div></td>'
        '<td data-label="Chủ trì">Nội vụ</td>'
        '<td data-label="Phối hợp"></td>'
        '<td class="nowrap" data-label="Thời hạn">05/04/2017</td>'
        '<td data-label="Tình trạng">Hoàn thành<br><span class="badge '
        't-done_on_time">Hoàn thành đúng hạn</span></td></tr>',
        '<tr class="row-open_overdue">'
        f'<td><a href="/tasks/{overdue.id}">Rà soát thủ tục</a><div class="muted '
        'small">45/TB-UBND</div></td>'
        '<td data-label="Chủ trì">Nội vụ</td>'
        '<td data-label="Phối hợp"></td>'
        '<td class="nowrap" data-label="Thời hạn">06/04/2017<span class="rel '
        't-open_overdue">quá hạn 4 ngày</span><span class="muted">(gia hạn 2 '
        "lần)</span></td>"
        '<td data-label="Tình trạng">Đang thực hiện · 40%<br><span class="badge '
        't-open_overdue">Chưa hoàn thành, quá hạn</span></td></tr>',
        '<tr class="row-None">'
        f'<td><a href="/tasks/{paused.id}">Tạm dừng</a><div class="muted '
        'small">45/TB-UBND</div></td>'
        '<td data-label="Chủ trì">Nội vụ</td>'
        '<td data-label="Phối hợp"></td>'
        '<td class="nowrap" data-label="Thời hạn">07/04/2017<span class="rel t-None">quá '
        "hạn 3 ngày</span></td>"
        '<td data-label="Tình trạng">Tạm hoãn<br></td></tr>',
        '<tr class="row-due_soon">'
        f'<td><a href="/tasks/{coordinated.id}">Kiểm tra thủ tục hành chính cấp huyện thủ tục hành chính '
        "cấp huyện thủ tục hành chính cấp huyện thủ tục hành chính cấp huyện thủ tục "
        "hành chính cấp huyện thủ tục hành chính cấp huyện thủ tục hành chính cấp huyện "
        'thủ...</a><span class="badge">Quý II/2017</span><div class="muted small">Họp '
        "bàn kế hoạch quý II về cải cách hành chính về cải cách hành chính về "
        "cải...</div></td>"
        '<td data-label="Chủ trì">Phòng Tư pháp</td>'
        '<td data-label="Phối hợp">Nội vụ, TC-KH</td>'
        '<td class="nowrap" data-label="Thời hạn">10/04/2017<span class="rel '
        't-due_soon">hạn hôm nay</span></td>'
        '<td data-label="Tình trạng">Chưa thực hiện<br><span class="badge '
        't-due_soon">Sắp đến hạn</span></td></tr>',
        '<tr class="row-open_on_time">'
        f'<td><a href="/tasks/{w.task.id}">Xây dựng kế hoạch khắc phục hạn chế trong công tác cải '
        'cách hành chính</a><div class="muted small">45/TB-UBND</div></td>'
        '<td data-label="Chủ trì">Nội vụ</td>'
        '<td data-label="Phối hợp">TC-KH</td>'
        '<td class="nowrap" data-label="Thời hạn">20/04/2017<span class="rel '
        't-open_on_time">còn 10 ngày</span></td>'
        '<td data-label="Tình trạng">Chưa thực hiện<br><span class="badge '
        't-open_on_time">Chưa hoàn thành, trong hạn</span></td></tr>',
        '<tr class="row-no_deadline">'
        f'<td><a href="/tasks/{recurring.id}">Trực</a><div class="muted small">45/TB-UBND</div></td>'
        '<td data-label="Chủ trì">Nội vụ</td>'
        '<td data-label="Phối hợp"></td>'
        '<td class="nowrap" data-label="Thời hạn">Thường xuyên</td>'
        '<td data-label="Tình trạng">Chưa thực hiện<br><span class="badge '
        't-no_deadline">Không thời hạn</span></td></tr>',
    ]

    english = _rows(client.get("/tasks/?timeliness=open_overdue&lang=en").get_data(as_text=True))
    assert english == [
        '<tr class="row-open_overdue">'
        f'<td><a href="/tasks/{overdue.id}">Rà soát thủ tục</a><div class="muted '
        'small">45/TB-UBND</div></td>'
        '<td data-label="Lead">Nội vụ</td>'
        '<td data-label="Coordinating"></td>'
        '<td class="nowrap" data-label="Deadline">06/04/2017<span class="rel '
        't-open_overdue">4 days overdue</span><span class="muted">(extended '
        "2×)</span></td>"
        '<td data-label="Status">In progress · 40%<br><span class="badge '
        't-open_overdue">Open, overdue</span></td></tr>',
    ]
