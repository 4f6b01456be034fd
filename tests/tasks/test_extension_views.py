"""Extension pages: the lead unit asks on the task page, the chair or office decides there."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.extensions import db
from tracker.tasks.models import ExtensionRequest


def _ask(client, world, **overrides):
    data = {
        "extension-new_deadline": "05/05/2017",
        "extension-reason": "Chờ hướng dẫn của Sở Nội vụ",
        "extension-version": str(world.task.version),
    }
    data.update(overrides)
    return client.post(f"/tasks/{world.task.id}/extension", data=data)


def test_lead_unit_asks_and_chair_approves(login, world) -> None:
    lead = login(world.lead_user)
    page = lead.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Đề nghị gia hạn" in page and 'name="extension-new_deadline"' in page
    assert _ask(lead, world).status_code == 302
    page = lead.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Đề nghị gia hạn đang chờ quyết định" in page
    assert 'name="extension-new_deadline"' not in page  # one pending request at a time
    assert "Đồng ý gia hạn" not in page  # the unit does not decide

    chair = login(world.chair)
    page = chair.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Hà Thị Lan đề nghị gia hạn đến 05/05/2017" in page and "Đồng ý gia hạn" in page
    request = db.session.scalars(db.select(ExtensionRequest)).one()
    db.session.refresh(world.task)
    response = chair.post(
        f"/extension-requests/{request.id}/decision",
        data={
            "extdecision-action": "approve",
            "extdecision-deadline": "10/05/2017",
            "extdecision-comment": "Đồng ý, hoàn thành trước 10/5",
            "extdecision-version": str(world.task.version),
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.task)
    assert world.task.deadline == date(2017, 5, 10)
    assert world.task.original_deadline == date(2017, 4, 20)
    page = login(world.coord_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Đã gia hạn 1 lần" in page and "gia hạn 1 lần" in page
    assert "xin gia hạn: 20/04/2017 → 05/05/2017" in page
    assert "đồng ý gia hạn: 20/04/2017 → 10/05/2017" in page
    assert "Đồng ý, hạn mới 10/05/2017" in page and "hạn ban đầu" in page


def test_refusal_without_comment_is_explained(login, world) -> None:
    _ask(login(world.lead_user), world)
    request = db.session.scalars(db.select(ExtensionRequest)).one()
    db.session.refresh(world.task)
    office = login(world.office)
    response = office.post(
        f"/extension-requests/{request.id}/decision",
        data={"extdecision-action": "refuse", "extdecision-version": str(world.task.version)},
    )
    assert response.status_code == 422
    assert "Vui lòng nêu lý do không đồng ý gia hạn" in response.get_data(as_text=True)
    response = office.post(
        f"/extension-requests/{request.id}/decision",
        data={
            "extdecision-action": "refuse",
            "extdecision-comment": "Đề nghị tập trung hoàn thành đúng hạn",
            "extdecision-version": str(world.task.version),
        },
    )
    assert response.status_code == 302
    db.session.refresh(request)
    db.session.refresh(world.task)
    assert request.status == "refused" and world.task.deadline == date(2017, 4, 20)
    page = office.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "không đồng ý gia hạn" in page and "Đề nghị tập trung hoàn thành đúng hạn" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extension-new_deadline": "31/02/2017"}, "Ngày không hợp lệ"),
        ({"extension-new_deadline": "15/04/2017"}, "phải sau thời hạn hiện tại (20/04/2017)"),
        ({"extension-reason": ""}, "Vui lòng điền mục này"),
    ],
)
def test_bad_request_keeps_input(login, world, overrides, message) -> None:
    response = _ask(login(world.lead_user), world, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    if overrides.get("extension-reason", "x"):
        assert "Chờ hướng dẫn của Sở Nội vụ" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(ExtensionRequest)) == 0


# role -> (ask, decide)
MATRIX = {
    "lead_user": (302, 403),
    "coord_user": (403, 403),
    "other_user": (404, 404),
    "chair": (403, 302),
    "office": (403, 302),
    "admin": (403, 302),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(login, world, who) -> None:
    from tracker.tasks.extensions import request_extension

    ask, decide = MATRIX[who]
    client = login(getattr(world, who))
    assert _ask(client, world).status_code == ask
    request = db.session.scalar(db.select(ExtensionRequest))
    if request is None:
        request = request_extension(
            world.task, actor=world.lead_user, new_deadline=date(2017, 5, 2), reason="Lý do"
        )
        db.session.commit()
    response = client.post(
        f"/extension-requests/{request.id}/decision",
        data={"extdecision-action": "approve", "extdecision-version": str(world.task.version)},
    )
    assert response.status_code == decide
    assert client.post("/extension-requests/99999/decision", data={}).status_code == 404


def test_stale_decision_is_not_applied(login, world) -> None:
    lead = login(world.lead_user)
    _ask(lead, world)
    request = db.session.scalars(db.select(ExtensionRequest)).one()
    db.session.refresh(world.task)
    seen = world.task.version
    lead.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Đã có dự thảo",
            "progress-progress": "40",
            "progress-version": str(seen),
        },
    )
    response = login(world.chair).post(
        f"/extension-requests/{request.id}/decision",
        data={"extdecision-action": "approve", "extdecision-version": str(seen)},
    )
    assert response.status_code == 409
    assert "vừa được Hà Thị Lan thay đổi" in response.get_data(as_text=True)
    db.session.refresh(request)
    assert request.status == "pending"
