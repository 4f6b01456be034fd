"""Issue 19 item 6 (and issue 18 §3): nobody decides their own request. An office member
whose unit leads a task cannot confirm or return its result nor decide its extension request,
on the web or through the API; the chair can."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from tests.factories import World, make_task, make_user
from tracker.auth.models import Role
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.tasks.models import ExtensionRequest, Task


@pytest.fixture
def office_task(world: World) -> Task:
    """A task the office's own unit leads (the office reports on it itself)."""
    task = make_task(
        world.meeting,
        world.chair,
        world.office_unit,
        content="Tổng hợp báo cáo cải cách hành chính quý II",
        deadline=date(2017, 5, 15),
    )
    db.session.commit()
    return task


def _fresh(task: Task) -> Task:
    db.session.expire_all()
    found = db.session.get(Task, task.id)
    assert found is not None
    return found


def _submit(client: FlaskClient, task: Task) -> None:
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={
            "result-note": "Đã tổng hợp xong, gửi kèm báo cáo",
            "result-version": str(_fresh(task).version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _ask_extension(client: FlaskClient, task: Task) -> ExtensionRequest:
    response = client.post(
        f"/tasks/{task.id}/extension",
        data={
            "extension-new_deadline": "30/05/2017",
            "extension-reason": "Chờ số liệu của các xã",
            "extension-version": str(_fresh(task).version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(db.select(ExtensionRequest)).one()


def _decide(client: FlaskClient, task: Task, action: str) -> int:
    return client.post(
        f"/tasks/{task.id}/decision",
        data={
            "decision-action": action,
            "decision-reason": "Bổ sung số liệu",
            "decision-version": str(_fresh(task).version),
        },
    ).status_code


def test_office_cannot_confirm_or_return_its_own_units_result(
    login, world: World, office_task: Task
) -> None:
    office = login(world.office)
    _submit(office, office_task)
    page = office.get(f"/tasks/{office_task.id}").get_data(as_text=True)
    assert 'value="confirm"' not in page and 'value="return"' not in page
    assert "kết quả do lãnh đạo khác xác nhận" in page
    assert _decide(office, office_task, "confirm") == 403
    assert _decide(office, office_task, "return") == 403
    # A colleague of the same office is of the same unit: refused too.
    colleague = make_user(Role.OFFICE, world.office_unit, "vanphong2")
    db.session.commit()
    assert _decide(login(colleague), office_task, "confirm") == 403
    assert _fresh(office_task).status == "submitted"
    # The chair confirms it.
    chair = login(world.chair)
    assert 'value="confirm"' in chair.get(f"/tasks/{office_task.id}").get_data(as_text=True)
    assert _decide(chair, office_task, "confirm") == 302
    assert _fresh(office_task).status == "done"


def test_office_still_confirms_other_units_results(login, world: World) -> None:
    _submit(login(world.lead_user), world.task)
    assert _decide(login(world.office), world.task, "confirm") == 302
    assert _fresh(world.task).status == "done"


def test_office_cannot_decide_its_own_extension_request_on_the_web(
    login, world: World, office_task: Task
) -> None:
    office = login(world.office)
    extension = _ask_extension(office, office_task)
    page = office.get(f"/tasks/{office_task.id}").get_data(as_text=True)
    assert "Đồng ý gia hạn" not in page
    assert "đề nghị gia hạn do lãnh đạo khác quyết định" in page
    response = office.post(
        f"/extension-requests/{extension.id}/decision",
        data={"extdecision-action": "approve", "extdecision-version": str(office_task.version)},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, extension.id).status == "pending"
    chair = login(world.chair)
    response = chair.post(
        f"/extension-requests/{extension.id}/decision",
        data={
            "extdecision-action": "approve",
            "extdecision-version": str(_fresh(office_task).version),
        },
    )
    assert response.status_code == 302
    assert _fresh(office_task).deadline == date(2017, 5, 30)


def test_office_cannot_decide_its_own_extension_request_through_the_api(
    app, login, world: World, office_task: Task
) -> None:
    _ask_extension(login(world.office), office_task)
    extension = db.session.scalars(db.select(ExtensionRequest)).one()
    office_token = create_api_token(world.office, "test")
    chair_token = create_api_token(world.chair, "test")
    db.session.commit()
    client = app.test_client()
    path = f"/api/v1/extension-requests/{extension.id}/decision"
    refused = client.post(
        path,
        json={"approve": False, "comment": "Không cần"},
        headers={"Authorization": f"Bearer {office_token}"},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, extension.id).status == "pending"
    decided = client.post(
        path,
        json={"approve": True},
        headers={"Authorization": f"Bearer {chair_token}"},
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "approved"
    assert _fresh(office_task).deadline == date(2017, 5, 30)
