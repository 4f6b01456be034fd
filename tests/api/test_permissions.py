"""Who may do what through the API: every role and token state against every endpoint."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient
from tracker.cli import users_token
from tracker.extensions import db
from tracker.tasks.extensions import request_extension
from tracker.tasks.models import ExtensionRequest, Task

ROLES = ("lead", "coord", "other", "chair", "office", "admin", "inactive", "revoked", None)

# Expected status per role; the world's task is led by Nội vụ (lead), coordinated by
# TC-KH (coord), unrelated to Tư pháp (other).
MATRIX = {
    "list": dict.fromkeys(("lead", "coord", "other", "chair", "office", "admin"), 200),
    "detail": {"lead": 200, "coord": 200, "other": 404, "chair": 200, "office": 200, "admin": 200},
    "update": {"lead": 200, "coord": 403, "other": 404, "chair": 403, "office": 403, "admin": 403},
    "extension": {
        "lead": 201,
        "coord": 403,
        "other": 404,
        "chair": 403,
        "office": 403,
        "admin": 403,
    },
    "decision": {
        "lead": 403,
        "coord": 403,
        "other": 404,
        "chair": 200,
        "office": 200,
        "admin": 200,
    },
}


def _expected(endpoint: str, role: str | None) -> int:
    return MATRIX[endpoint].get(role, 401)  # type: ignore[arg-type]


def _pending_request(world) -> ExtensionRequest:
    request = request_extension(
        world.task,
        actor=world.lead_user,
        new_deadline=world.task.deadline.replace(day=30),
        reason="Chờ ý kiến các xã",
    )
    db.session.commit()
    return request


@pytest.mark.parametrize("role", ROLES)
def test_list(api, world, role) -> None:
    response = api(role).get("/api/v1/tasks")
    assert response.status_code == _expected("list", role)
    if response.status_code == 200:
        ids = [t["id"] for t in response.json["items"]]
        assert ids == ([] if role == "other" else [world.task.id])
    else:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ROLES)
def test_detail(api, world, role) -> None:
    response = api(role).get(f"/api/v1/tasks/{world.task.id}")
    assert response.status_code == _expected("detail", role)
    if response.status_code == 200:
        assert response.json["id"] == world.task.id


@pytest.mark.parametrize("role", ROLES)
def test_update(api, world, role) -> None:
    response = api(role).post(
        f"/api/v1/tasks/{world.task.id}/updates",
        json={"progress": 30, "note": "Đã lập dự thảo", "version": world.task.version},
    )
    assert response.status_code == _expected("update", role)
    db.session.expire_all()
    task = db.session.get(Task, world.task.id)
    assert task.progress == (30 if response.status_code == 200 else 0)
    assert len(task.events) == (2 if response.status_code == 200 else 1)


@pytest.mark.parametrize("role", ROLES)
def test_extension_request(api, world, role) -> None:
    response = api(role).post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-05-05", "reason": "Chờ số liệu"},
    )
    assert response.status_code == _expected("extension", role)
    count = db.session.scalar(db.select(db.func.count(ExtensionRequest.id)))
    assert count == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_decision(api, world, role) -> None:
    request = _pending_request(world)
    response = api(role).post(
        f"/api/v1/extension-requests/{request.id}/decision", json={"approve": True}
    )
    assert response.status_code == _expected("decision", role)
    db.session.expire_all()
    request = db.session.get(ExtensionRequest, request.id)
    assert request.status == ("approved" if response.status_code == 200 else "pending")
    assert request.task.deadline.isoformat() == (
        "2017-04-30" if response.status_code == 200 else "2017-04-20"
    )


def test_unknown_objects_are_404(api) -> None:
    client = api("chair")
    assert client.get("/api/v1/tasks/999").status_code == 404
    assert client.post("/api/v1/tasks/999/updates", json={}).status_code == 404
    assert client.post("/api/v1/extension-requests/999/decision", json={}).status_code == 404
    huge = 10**12  # beyond PostgreSQL's integer: still a plain 404
    assert client.get(f"/api/v1/tasks/{huge}").status_code == 404
    assert client.post(f"/api/v1/tasks/{huge}/updates", json={}).status_code == 404
    assert client.post(f"/api/v1/extension-requests/{huge}/decision", json={}).status_code == 404


def test_invisible_task_is_404_even_with_bad_body(api, world) -> None:
    # A 422 would tell the user the task exists.
    response = api("other").post(f"/api/v1/tasks/{world.task.id}/updates", data="not json")
    assert response.status_code == 404


def test_malformed_authorization_headers(api, world) -> None:
    client = api(None)
    for header in ("Bearer", "Bearer ", "Basic abc", "bearer nope", "trk_abc"):
        response = client.get("/api/v1/tasks", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_token_printed_by_the_command_line_works(app, api, checker, world) -> None:
    result = app.test_cli_runner().invoke(users_token, ["noivu"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = ApiClient(app, checker, token).get(f"/api/v1/tasks/{world.task.id}")
    assert response.status_code == 200
