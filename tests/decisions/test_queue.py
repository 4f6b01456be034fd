"""The decision queue (issue 18 §2): "Chờ quyết định" for the chair and the office, its count
in the navigation, inline decisions, the same queue in the API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from tests.factories import World, make_task
from tests.sql import recorded_statements
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.tasks import extensions
from tracker.tasks import operations as ops
from tracker.tasks.models import ExtensionRequest, Task


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2017, 4, day, hour, tzinfo=UTC)


@pytest.fixture
def waiting(world: World) -> dict[str, object]:
    """A result submitted on 6/4, a result returned and resubmitted on 8/4, an extension
    asked on 7/4, and a result of the office's own unit."""
    w = world
    ops.post_progress(w.task, actor=w.lead_user, note="Đã ban hành kế hoạch", status="submitted")
    w.task.submitted_dt = _at(6)
    again = make_task(
        w.meeting, w.office, w.taichinh, content="Rà soát dự toán", deadline=date(2017, 4, 28)
    )
    ops.post_progress(again, actor=w.coord_user, note="Bản đầu", status="submitted")
    ops.change_status(again, actor=w.chair, transition_name="return", reason="Thiếu số liệu")
    ops.post_progress(again, actor=w.coord_user, note="Đã bổ sung số liệu", status="submitted")
    again.submitted_dt = _at(8)
    asked = make_task(
        w.meeting, w.office, w.tuphap, content="Tuyên truyền pháp luật", deadline=date(2017, 4, 25)
    )
    extension = extensions.request_extension(
        asked, actor=w.other_user, new_deadline=date(2017, 5, 10), reason="Chờ tài liệu"
    )
    extension.requested_dt = _at(7)
    own = make_task(w.meeting, w.chair, w.office_unit, content="Tổng hợp báo cáo quý")
    ops.post_progress(own, actor=w.office, note="Đã tổng hợp", status="submitted")
    own.submitted_dt = _at(5)
    db.session.commit()
    return {"again": again, "asked": asked, "extension": extension, "own": own}


def _cards(page: str) -> list[str]:
    return re.findall(r'<article class="card queue-item" id="([a-z]+-\d+)"', page)


def test_chair_sees_every_decision_oldest_first(login, world: World, waiting) -> None:
    chair = login(world.chair)
    page = chair.get("/decisions/").get_data(as_text=True)
    assert _cards(page) == [
        f"result-{waiting['own'].id}",
        f"result-{world.task.id}",
        f"extension-{waiting['extension'].id}",
        f"result-{waiting['again'].id}",
    ]
    assert "Nộp lại kết quả sau khi bị trả lại" in page
    assert "Đề nghị gia hạn đến 10/05/2017" in page
    assert "TB 45/TB-UBND · Xây dựng kế hoạch khắc phục hạn chế trong công tác cải cách …" in page
    # Every row decides in place, with CSRF and the version it was drawn from.
    assert page.count('name="csrf_token"') >= 5  # four rows and the language switch
    assert f'name="decision-version" value="{world.task.version}"' in page
    # The navigation counts them.
    nav = chair.get("/tasks/").get_data(as_text=True)
    assert re.search(r'href="/decisions/">Chờ quyết định <span class="count"[^>]*>4</span>', nav)


def test_office_does_not_see_its_own_units_results(login, world: World, waiting) -> None:
    page = login(world.office).get("/decisions/").get_data(as_text=True)
    assert f"result-{waiting['own'].id}" not in _cards(page)
    assert len(_cards(page)) == 3


@pytest.mark.parametrize("who", ["lead_user", "coord_user", "other_user", "admin"])
def test_units_and_admins_have_no_queue(login, world: World, waiting, who: str) -> None:
    client = login(getattr(world, who))
    assert client.get("/decisions/").status_code == 403
    assert "/decisions/" not in client.get("/tasks/").get_data(as_text=True)


def test_confirm_from_the_queue_comes_back_to_it(login, world: World, waiting) -> None:
    chair = login(world.chair)
    response = chair.post(
        f"/tasks/{world.task.id}/decision",
        data={
            "decision-action": "confirm",
            "decision-version": str(world.task.version),
            "next": "decisions",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/decisions/")
    page = chair.get("/decisions/").get_data(as_text=True)
    assert "Đã xác nhận hoàn thành nhiệm vụ TB 45/TB-UBND · Xây dựng kế hoạch" in page
    assert f"result-{world.task.id}" not in _cards(page) and len(_cards(page)) == 3
    db.session.expire_all()
    assert db.session.get(Task, world.task.id).status == "done"
    # A return needs a reason; the answer explains it and nothing changes.
    again = waiting["again"]
    refused = chair.post(
        f"/tasks/{again.id}/decision",
        data={
            "decision-action": "return",
            "decision-version": str(again.version),
            "next": "decisions",
        },
    )
    assert refused.status_code == 422 and "Vui lòng nêu lý do" in refused.get_data(as_text=True)
    # Any other destination is ignored.
    other = chair.post(
        f"/tasks/{again.id}/decision",
        data={
            "decision-action": "confirm",
            "decision-version": str(db.session.get(Task, again.id).version),
            "next": "https://evil.example/",
        },
    )
    assert other.location.endswith(f"/tasks/{again.id}")


def test_extension_decided_from_the_queue_with_another_date(login, world: World, waiting) -> None:
    office = login(world.office)
    extension: ExtensionRequest = waiting["extension"]  # type: ignore[assignment]
    response = office.post(
        f"/extension-requests/{extension.id}/decision",
        data={
            "extdecision-action": "approve",
            "extdecision-deadline": "2017-05-05",
            "extdecision-version": str(waiting["asked"].version),
            "next": "decisions",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/decisions/")
    page = office.get("/decisions/").get_data(as_text=True)
    assert "Đã gia hạn nhiệm vụ TB 45/TB-UBND · Tuyên truyền pháp luật đến 05/05/2017." in page
    db.session.expire_all()
    assert db.session.get(Task, waiting["asked"].id).deadline == date(2017, 5, 5)


def test_stale_version_from_the_queue_is_409(login, world: World, waiting) -> None:
    response = login(world.chair).post(
        f"/tasks/{world.task.id}/decision",
        data={"decision-action": "confirm", "decision-version": "1", "next": "decisions"},
    )
    assert response.status_code == 409


def test_the_api_lists_the_same_queue(app, world: World, waiting) -> None:
    chair_token = create_api_token(world.chair, "t")
    lead_token = create_api_token(world.lead_user, "t")
    db.session.commit()
    client = app.test_client()
    body = client.get("/api/v1/decisions", headers={"Authorization": f"Bearer {chair_token}"}).json
    assert body["total"] == 4
    assert [(i["kind"], i["task"]["id"]) for i in body["items"]] == [
        ("result", waiting["own"].id),
        ("result", world.task.id),
        ("extension", waiting["asked"].id),
        ("result", waiting["again"].id),
    ]
    assert body["items"][3]["resubmitted"] is True and body["items"][1]["resubmitted"] is False
    assert body["items"][2]["extension"]["requested_deadline"] == "2017-05-10"
    assert body["items"][0]["since"] == "2017-04-05T09:00:00Z"
    refused = client.get("/api/v1/decisions", headers={"Authorization": f"Bearer {lead_token}"})
    assert refused.status_code == 403


def test_the_api_queue_is_in_the_openapi_document(app) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    assert "get" in document["paths"]["/api/v1/decisions"]
    assert "DecisionQueue" in document["components"]["schemas"]


def test_the_page_costs_the_same_queries_for_two_or_twenty_rows(
    login, world: World, waiting
) -> None:
    chair = login(world.chair)
    chair.get("/decisions/")  # warm: the login's own reads
    with recorded_statements() as few:
        assert chair.get("/decisions/").status_code == 200
    for n in range(16):
        task = make_task(world.meeting, world.office, world.noivu, content=f"Việc thêm {n}")
        ops.post_progress(task, actor=world.lead_user, note="Xong", status="submitted")
        if n % 2:
            extensions.request_extension(
                task, actor=world.lead_user, new_deadline=date(2017, 6, 1), reason="Chờ"
            )
    db.session.commit()
    with recorded_statements() as many:
        page = chair.get("/decisions/").get_data(as_text=True)
    assert len(_cards(page)) == 4 + 16 + 8
    # A constant number: the selectin loads of units and meetings run once per kind of row,
    # and one of them is skipped when every object it would read is already in the session,
    # hence "at most one more", whatever the number of rows.
    assert len(few) <= len(many) <= len(few) + 1, "\n".join(many)
    assert len(many) <= 15, "\n".join(many)
