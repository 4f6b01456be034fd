"""The hand-down pages: giving a part on the web, the panel on the task page, "Việc của tôi",
reporting and deciding, the per-officer view; who sees what."""

from __future__ import annotations

from datetime import date

import pytest

from tests.subtasks.conftest import TODAY, give
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import Subtask


def test_head_gives_a_part_on_the_web(world, hd, login) -> None:
    client = login(hd.head)
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Giao việc cho cán bộ" in page
    form = client.get(f"/tasks/{world.task.id}/subtasks/new").get_data(as_text=True)
    assert "Cán Bộ Một" in form and "Đơn vị: Tổ Văn thư - Lưu trữ" in form
    response = client.post(
        f"/tasks/{world.task.id}/subtasks/new",
        data={
            "assignee": f"u{hd.officer.id}",
            "content": "Rà soát thủ tục",
            "deadline": "18/04/2017",
            "version": "1",
        },
    )
    assert response.status_code == 302
    part = db.session.scalar(db.select(Subtask))
    assert (part.assignee_id, part.deadline, part.content) == (
        hd.officer.id,
        date(2017, 4, 18),
        "Rà soát thủ tục",
    )
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Rà soát thủ tục" in page and "0/1 việc đã hoàn thành" in page


def test_a_deadline_after_the_parents_is_refused_and_the_form_kept(world, hd, login) -> None:
    client = login(hd.head)
    response = client.post(
        f"/tasks/{world.task.id}/subtasks/new",
        data={
            "assignee": f"u{hd.officer.id}",
            "content": "Nội dung đã gõ",
            "deadline": "25/04/2017",
            "version": "1",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Thời hạn không được sau thời hạn của nhiệm vụ (20/04/2017)." in page
    assert "Nội dung đã gõ" in page
    assert db.session.scalar(db.select(db.func.count(Subtask.id))) == 0


@pytest.mark.parametrize("version", ["", "0"])
def test_an_empty_or_old_version_answers_409(world, hd, login, version) -> None:
    client = login(hd.head)
    response = client.post(
        f"/tasks/{world.task.id}/subtasks/new",
        data={
            "assignee": f"u{hd.officer.id}",
            "content": "Rà soát",
            "deadline": "18/04/2017",
            "version": version,
        },
    )
    assert response.status_code == 409
    assert "Rà soát" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Subtask.id))) == 0


def test_officer_reports_from_my_work_head_confirms(world, hd, login) -> None:
    part = give(world, hd)
    officer = login(hd.officer)
    mine = officer.get("/my-work").get_data(as_text=True)
    assert "Rà soát thủ tục hành chính" in mine
    assert "Theo cán bộ" not in mine  # the per-officer view is the head's
    response = officer.post(
        f"/subtasks/{part.id}/report",
        data={
            "report-note": "Đã rà soát xong",
            "report-progress": "",
            "report-version": str(part.version),
            "report-action": "done",
        },
    )
    assert response.status_code == 302
    db.session.refresh(part)
    assert part.status == "reported"
    stale = officer.post(
        f"/subtasks/{part.id}/report",
        data={"report-note": "Lần nữa", "report-version": "1", "report-action": "progress"},
    )
    assert stale.status_code == 409
    head = login(hd.head)
    assert "Cán Bộ Một" in head.get("/my-work").get_data(as_text=True)
    response = head.post(
        f"/subtasks/{part.id}/decision",
        data={
            "decision-reason": "",
            "decision-version": str(part.version),
            "decision-action": "confirm",
        },
    )
    assert response.status_code == 302
    db.session.refresh(part)
    assert part.status == "done"
    # The lead unit's report on the parent is drafted from the parts.
    lead_page = login(world.lead_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Điền báo cáo từ các việc đã giao" in lead_page
    assert "Rà soát thủ tục hành chính (Cán Bộ Một): Đã hoàn thành. Đã rà soát xong" in lead_page


def test_reopen_needs_a_reason_kept_as_typed(world, hd, login) -> None:
    part = give(world, hd)
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Xong",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=part.version,
    )
    db.session.commit()
    response = login(hd.head).post(
        f"/subtasks/{part.id}/decision",
        data={
            "decision-reason": "",
            "decision-version": str(part.version),
            "decision-action": "reopen",
        },
    )
    assert response.status_code == 422
    assert "Vui lòng ghi lý do yêu cầu làm lại." in response.get_data(as_text=True)


def test_who_sees_the_breakdown(world, hd, login) -> None:
    part = give(world, hd)
    url = f"/tasks/{world.task.id}"
    for user in (world.chair, world.office, world.lead_user, hd.officer2):
        page = login(user).get(url).get_data(as_text=True)
        assert "Rà soát thủ tục hành chính" in page, user.username
        assert "Giao việc cho cán bộ" not in page, user.username  # read-only
    # A coordinating unit sees the task, not the breakdown.
    page = login(world.coord_user).get(url).get_data(as_text=True)
    assert "Giao việc trong đơn vị" not in page and "Rà soát thủ tục hành chính" not in page
    assert login(world.coord_user).get(f"/subtasks/{part.id}").status_code == 404
    assert login(world.other_user).get(f"/subtasks/{part.id}").status_code == 404
    # The chair reads a part but may not act on it.
    assert login(world.chair).get(f"/subtasks/{part.id}").status_code == 200
    refused = login(world.chair).post(
        f"/subtasks/{part.id}/decision",
        data={
            "decision-version": str(part.version),
            "decision-action": "cancel",
            "decision-reason": "x",
        },
    )
    assert refused.status_code == 403
    # A colleague sees it but may not report on it.
    colleague = login(hd.officer2)
    assert colleague.get(f"/subtasks/{part.id}").status_code == 200
    refused = colleague.post(
        f"/subtasks/{part.id}/report",
        data={"report-note": "x", "report-version": str(part.version), "report-action": "done"},
    )
    assert refused.status_code == 403
    # Only the lead unit's head breaks down.
    for user in (world.lead_user, world.chair, world.coord_user):
        assert login(user).get(f"/tasks/{world.task.id}/subtasks/new").status_code == 403
    assert login(world.other_user).get(f"/tasks/{world.task.id}/subtasks/new").status_code == 404


def test_child_unit_member_works_from_my_work_without_the_parent_page(world, hd, login) -> None:
    part = give(world, hd, assignee=None, child_unit=hd.child, content="Lưu hồ sơ")
    client = login(hd.child_member)
    assert "Lưu hồ sơ" in client.get("/my-work").get_data(as_text=True)
    page = client.get(f"/subtasks/{part.id}").get_data(as_text=True)
    assert world.task.content[:40] in page  # the parent's content, to know the context
    assert client.get(f"/tasks/{world.task.id}").status_code == 404


def test_per_officer_view_and_csv_for_the_head_only(world, hd, login) -> None:
    give(world, hd, deadline=date(2017, 4, 10))
    give(world, hd, assignee=hd.officer2)
    head = login(hd.head)
    page = head.get("/my-work").get_data(as_text=True)
    assert "Theo cán bộ" in page
    csv = head.get("/my-work/officers.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1:] == ["Cán Bộ Hai,1,0,0,1,0", "Cán Bộ Một,1,0,0,1,0"]
    for user in (hd.officer, world.lead_user, world.chair, world.office):
        assert login(user).get("/my-work/officers.csv").status_code == 403


def test_a_unit_head_can_be_named_the_responsible_person(world, hd, login) -> None:
    # A head is a unit member too: the office may name them on a task's form.
    html = login(world.office).get(f"/meetings/{world.meeting.id}/tasks/new").get_data(as_text=True)
    assert f'<option value="{hd.head.id}">' in html
    assert f'<option value="{hd.officer.id}">' in html
