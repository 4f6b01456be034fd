"""Issue 18 §3: the task page says what each action does. "Báo cáo hoàn thành" apart from
"Cập nhật tiến độ" and "Đề nghị gia hạn", one comment box each; specific confirmations;
headings that name the task; managers' lists; no coordinating-unit form for a chair."""

from __future__ import annotations

import re
from datetime import date

from tests.factories import World, make_task
from tracker.extensions import db
from tracker.tasks.models import Task

TITLE = "TB 45/TB-UBND · Xây dựng kế hoạch khắc phục hạn chế trong công tác cải cách …"


def _fresh(task: Task) -> Task:
    db.session.expire_all()
    found = db.session.get(Task, task.id)
    assert found is not None
    return found


def test_three_actions_three_forms_one_box_each(login, world: World) -> None:
    page = login(world.lead_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    by_action = {action: body for action, body in forms}
    complete = by_action[f"/tasks/{world.task.id}/complete"]
    progress = by_action[f"/tasks/{world.task.id}/progress"]
    extension = by_action[f"/tasks/{world.task.id}/extension"]
    assert "Báo cáo hoàn thành" in complete and "Cập nhật tiến độ" in progress
    assert "Đề nghị gia hạn" in extension
    for body, prefix in ((complete, "result"), (progress, "progress"), (extension, "extension")):
        assert body.count("<textarea") == 1
        assert f'name="{prefix}-version" type="hidden" value="1"' in body
    assert "Trạng thái" not in progress  # updating progress never submits the result


def test_report_done_sends_the_result_for_confirmation(login, world: World) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/complete",
        data={"result-note": "Đã ban hành Kế hoạch số 62/KH-UBND", "result-version": "1"},
    )
    assert response.status_code == 302
    task = _fresh(world.task)
    assert (task.status, task.progress, task.result) == (
        "submitted",
        100,
        "Đã ban hành Kế hoạch số 62/KH-UBND",
    )
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert f"Đã gửi kết quả nhiệm vụ {TITLE} để Chủ tịch xác nhận." in page
    # Submitted: no second "report as done" until the chair decides.
    assert f'action="/tasks/{world.task.id}/complete"' not in page


def test_report_done_without_a_result_keeps_the_form(login, world: World) -> None:
    response = login(world.lead_user).post(
        f"/tasks/{world.task.id}/complete", data={"result-note": "  ", "result-version": "1"}
    )
    assert response.status_code == 422
    assert "Vui lòng" in response.get_data(as_text=True)
    assert _fresh(world.task).status == "new"


def test_stale_report_done_is_409(login, world: World) -> None:
    response = login(world.lead_user).post(
        f"/tasks/{world.task.id}/complete", data={"result-note": "Xong", "result-version": ""}
    )
    assert response.status_code == 409 and _fresh(world.task).status == "new"


def test_progress_update_says_what_it_did(login, world: World) -> None:
    client = login(world.lead_user)
    client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Đang lấy ý kiến",
            "progress-progress": "40",
            "progress-version": "1",
        },
    )
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert f"Đã cập nhật tiến độ nhiệm vụ {TITLE}: 40%." in page
    assert _fresh(world.task).status == "in_progress"


def test_extension_flashes_name_the_task_and_the_date(login, world: World) -> None:
    lead = login(world.lead_user)
    lead.post(
        f"/tasks/{world.task.id}/extension",
        data={
            "extension-new_deadline": "05/05/2017",
            "extension-reason": "Chờ hướng dẫn",
            "extension-version": "1",
        },
    )
    page = lead.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert f"Đã gửi đề nghị gia hạn nhiệm vụ {TITLE} đến 05/05/2017 để Chủ tịch quyết định." in page
    from tracker.tasks.models import ExtensionRequest

    request = db.session.scalars(db.select(ExtensionRequest)).one()
    chair = login(world.chair)
    chair.post(
        f"/extension-requests/{request.id}/decision",
        data={
            "extdecision-action": "approve",
            "extdecision-deadline": "10/05/2017",
            "extdecision-version": str(_fresh(world.task).version),
        },
    )
    page = chair.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert f"Đã gia hạn nhiệm vụ {TITLE} đến 10/05/2017." in page


def test_heading_and_title_name_the_task(login, world: World) -> None:
    page = login(world.chair).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert f"<h1>{TITLE}</h1>" in page
    assert f"<title>{TITLE} · " in page
    assert f"Nhiệm vụ #{world.task.id}" not in page


def test_a_chair_never_gets_the_coordinating_units_form(login, world: World) -> None:
    for user in (world.chair, world.office):
        page = login(user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
        assert "Ý kiến của đơn vị phối hợp" not in page
    page = login(world.coord_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Ý kiến của đơn vị phối hợp" in page


def test_managers_page_lists_units_and_decisions_not_coordinated_tasks(login, world: World) -> None:
    make_task(
        world.meeting, world.office, world.tuphap, content="Việc quá hạn", deadline=date(2017, 4, 5)
    )
    db.session.commit()
    page = login(world.chair).get("/tasks/mine").get_data(as_text=True)
    assert "Nhiệm vụ đơn vị phối hợp" not in page
    assert "Theo dõi các đơn vị" in page and 'href="/decisions/"' in page
    row = re.search(r"<tr><td><a[^>]*>Phòng Tư pháp</a></td>(.*?)</tr>", page, re.S)
    assert row is not None and re.findall(r">(\d+)<", row.group(1))[:2] == ["1", "1"]
    # A unit member keeps the unit's two lists.
    page = login(world.coord_user).get("/tasks/mine").get_data(as_text=True)
    assert "Nhiệm vụ đơn vị phối hợp" in page and "Theo dõi các đơn vị" not in page
