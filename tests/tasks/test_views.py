"""Task pages: the unit's list, a task, assigning, reporting, and who may see what."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make_task
from tracker.extensions import db
from tracker.tasks.models import Task, TaskEvent


def _task_form(world, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "content": "Rà soát, công khai thủ tục hành chính tại bộ phận một cửa",
        "lead_unit_id": str(world.tuphap.id),
        "coordinating_unit_ids": [str(world.noivu.id)],
        "responsible_id": "0",
        "deadline": "30/04/2017",
    }
    data.update(overrides)
    return data


def test_office_assigns_a_task(login, world) -> None:
    client = login(world.office)
    response = client.post(f"/meetings/{world.meeting.id}/tasks/new", data=_task_form(world))
    assert response.status_code == 302
    task = db.session.scalar(db.select(Task).where(Task.lead_unit_id == world.tuphap.id))
    assert task.deadline == date(2017, 4, 30) == task.original_deadline
    assert [u.name for u in task.coordinating_units] == ["Phòng Nội vụ"]
    assert task.status == "new" and task.created_by is world.office
    assert [e.kind for e in task.events] == ["created"]


def test_task_without_deadline(login, world) -> None:
    client = login(world.office)
    client.post(
        f"/meetings/{world.meeting.id}/tasks/new",
        data=_task_form(world, deadline="", is_recurring="y"),
    )
    task = db.session.scalar(db.select(Task).where(Task.lead_unit_id == world.tuphap.id))
    assert task.deadline is None and task.is_recurring


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deadline": "01/04/2017"}, "Thời hạn không thể trước ngày họp"),
        ({"lead_unit_id": "99999"}, "Lựa chọn không tồn tại trong danh mục"),
        ({"coordinating_unit_ids": ["99999"]}, "Có lựa chọn không tồn tại trong danh mục"),
        ({"content": "   "}, "Vui lòng điền mục này"),
        ({"content": "x" * 20_000_001}, "Tối đa"),
        ({"deadline": "31/02/2017"}, "Ngày không hợp lệ"),
        ({"lead_unit_id": "0"}, "Vui lòng chọn đơn vị chủ trì"),
    ],
)
def test_bad_task_input_is_explained_and_kept(login, world, overrides, message) -> None:
    client = login(world.office)
    data = _task_form(world, **overrides)
    response = client.post(f"/meetings/{world.meeting.id}/tasks/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert message in page
    if len(str(data["content"])) < 1000 and str(data["content"]).strip():
        assert str(data["content"]) in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 1


def test_lead_also_coordinating_is_refused(login, world) -> None:
    client = login(world.office)
    data = _task_form(world, coordinating_unit_ids=[str(world.tuphap.id)])
    page = client.post(f"/meetings/{world.meeting.id}/tasks/new", data=data).get_data(as_text=True)
    assert "không thể đồng thời là đơn vị phối hợp" in page


def test_unit_member_sees_led_tasks_before_coordinated(login, world) -> None:
    coordinated = make_task(
        world.meeting,
        world.office,
        world.taichinh,
        content="Bố trí kinh phí",
        coordinating_units=[world.noivu],
        deadline=date(2017, 4, 12),
    )
    db.session.commit()
    page = login(world.lead_user).get("/tasks/mine").get_data(as_text=True)
    led_at = page.index("Xây dựng kế hoạch khắc phục")
    coordinated_at = page.index(coordinated.content)
    assert led_at < coordinated_at
    assert "còn 10 ngày" in page  # 10/4 -> 20/4
    assert "còn 2 ngày" in page


def test_overdue_is_said_in_words(app, login, world) -> None:
    from datetime import UTC, datetime

    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 25, 2, tzinfo=UTC)
    page = login(world.lead_user).get("/tasks/mine").get_data(as_text=True)
    assert "quá hạn 5 ngày" in page


def test_unit_page_leaves_out_tasks_closed_long_ago(login, world) -> None:
    from datetime import UTC, datetime

    from tracker.tasks.models import Status

    def task(content: str, status: Status, last_activity: datetime) -> None:
        t = make_task(world.meeting, world.office, world.noivu, content=content)
        t.status = status.value
        t.last_activity_dt = last_activity
        db.session.flush()

    # The clock stands at 10/4/2017; a closed task stays 30 days after its last change.
    task("Việc còn mở từ lâu", Status.IN_PROGRESS, datetime(2016, 1, 4, tzinfo=UTC))
    task("Việc vừa hoàn thành", Status.DONE, datetime(2017, 3, 20, tzinfo=UTC))
    task("Việc hoàn thành từ lâu", Status.DONE, datetime(2017, 3, 1, tzinfo=UTC))
    task("Việc huỷ từ lâu", Status.CANCELLED, datetime(2016, 12, 1, tzinfo=UTC))
    db.session.commit()
    page = login(world.lead_user).get("/tasks/mine").get_data(as_text=True)
    assert "Việc còn mở từ lâu" in page
    assert "Việc vừa hoàn thành" in page
    assert "Việc hoàn thành từ lâu" not in page
    assert "Việc huỷ từ lâu" not in page
    assert "quá 30 ngày không hiện ở đây" in page
    # The task list still has them.
    listed = login(world.lead_user).get("/tasks/?status=done").get_data(as_text=True)
    assert "Việc hoàn thành từ lâu" in listed


def test_unit_page_shows_the_most_urgent_and_links_to_the_rest(login, world, monkeypatch) -> None:
    from datetime import date

    from tracker.tasks import operations

    monkeypatch.setattr(operations, "UNIT_PAGE_LIMIT", 2)
    for day in (20, 10, 30):
        make_task(
            world.meeting,
            world.office,
            world.noivu,
            content=f"Việc hạn ngày {day}",
            deadline=date(2017, 5, day),
        )
    db.session.commit()
    page = login(world.lead_user).get("/tasks/mine").get_data(as_text=True)
    # The fixture's task (deadline 15/4) and the three above: four led, the first two shown.
    assert "Nhiệm vụ đơn vị chủ trì (4)" in page
    assert "Việc hạn ngày 10" in page and "Việc hạn ngày 20" not in page
    assert f"/tasks/?unit={world.noivu.id}&amp;role=lead" in page
    assert "Xem đủ 4 nhiệm vụ đơn vị chủ trì" in page
    listed = login(world.lead_user).get(f"/tasks/?unit={world.noivu.id}&role=lead").text
    assert all(f"Việc hạn ngày {day}" in listed for day in (10, 20, 30))


def test_lead_unit_posts_progress(login, world) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Đã xây dựng dự thảo kế hoạch",
            "progress-progress": "50",
            "progress-version": str(world.task.version),
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.task)
    assert world.task.status == "in_progress" and world.task.progress == 50
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Đã xây dựng dự thảo kế hoạch" in page and "50%" in page


def test_progress_with_bad_input_keeps_the_note(login, world) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Ghi chú cần giữ lại",
            "progress-progress": "150",
            "progress-version": str(world.task.version),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Giá trị phải từ 0 đến 100" in page and "Ghi chú cần giữ lại" in page
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Ghi chú cần giữ lại",
            "progress-progress": "abc",
        },
    )
    assert "Vui lòng nhập một số nguyên" in response.get_data(as_text=True)
    db.session.refresh(world.task)
    assert world.task.progress == 0 and len(world.task.events) == 1


def test_stale_version_is_not_overwritten(login, world) -> None:
    client = login(world.lead_user)
    seen = world.task.version
    client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Lần 1",
            "progress-progress": "10",
            "progress-version": str(seen),
        },
    )
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Lần 2 dựa trên bản cũ",
            "progress-progress": "20",
            "progress-version": str(seen),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "vừa được Hà Thị Lan thay đổi" in page and "Lần 2 dựa trên bản cũ" in page
    db.session.refresh(world.task)
    assert world.task.progress == 10


def test_history_shows_field_changes(login, world) -> None:
    client = login(world.office)
    data = {
        "content": world.task.content,
        "lead_unit_id": str(world.noivu.id),
        "coordinating_unit_ids": [str(world.taichinh.id)],
        "responsible_id": str(world.lead_user.id),
        "deadline": "25/04/2017",
        "reason": "Theo đề nghị của Phòng Nội vụ",
        "version": str(world.task.version),
    }
    assert client.post(f"/tasks/{world.task.id}/edit", data=data).status_code == 302
    changes = db.session.scalars(
        db.select(TaskEvent).where(TaskEvent.kind == "changed").order_by(TaskEvent.field)
    ).all()
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("deadline", "2017-04-20", "2017-04-25"),
        ("responsible", "", "Hà Thị Lan"),
    ]
    page = login(world.coord_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "2017-04-25" in page and "Theo đề nghị của Phòng Nội vụ" in page


# role -> (view task, post progress, post comment, edit form, decide)
MATRIX = {
    "lead_user": (200, 302, 302, 403, 403),
    "coord_user": (200, 403, 302, 403, 403),
    "other_user": (404, 404, 404, 404, 404),
    "chair": (200, 403, 302, 200, 302),
    "office": (200, 403, 302, 200, 302),
    "admin": (200, 403, 302, 200, 302),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(login, world, who) -> None:
    view, progress, comment, edit, decide = MATRIX[who]
    client = login(getattr(world, who))
    task_id = world.task.id
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == view
    if view == 404:
        assert world.task.content not in response.get_data(as_text=True)
    assert (
        client.post(
            f"/tasks/{task_id}/progress",
            data={
                "progress-note": "x",
                "progress-version": str(world.task.version),
            },
        ).status_code
        == progress
    )
    assert (
        client.post(f"/tasks/{task_id}/comment", data={"comment-note": "ý kiến"}).status_code
        == comment
    )
    assert client.get(f"/tasks/{task_id}/edit").status_code == edit
    assert (
        client.post(
            f"/tasks/{task_id}/decision",
            data={
                "decision-action": "pause",
                "decision-reason": "Chờ chỉ đạo của tỉnh",
                "decision-version": str(world.task.version),
            },
        ).status_code
        == decide
    )


def test_anonymous_is_sent_to_login(client, world) -> None:
    for url in (
        f"/tasks/{world.task.id}",
        "/tasks/mine",
        "/tasks/",
        f"/meetings/{world.meeting.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_task_is_a_real_404_page(login, world) -> None:
    response = login(world.chair).get("/tasks/999999")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_search_ignores_diacritics(login, world) -> None:
    page = login(world.chair).get("/tasks/?q=cai cach hanh chinh").get_data(as_text=True)
    assert "Xây dựng kế hoạch khắc phục" in page
    page = login(world.chair).get("/tasks/?q=khong co").get_data(as_text=True)
    assert "Không có nhiệm vụ nào phù hợp" in page


def test_list_filters_refuse_nonsense_without_500(login, world) -> None:
    client = login(world.chair)
    assert client.get("/tasks/?status=bogus&timeliness=x&unit=abc&page=-3").status_code == 200
