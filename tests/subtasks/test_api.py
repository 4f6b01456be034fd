"""Sub-tasks in the API: POST /api/v1/tasks/<id>/subtasks, `subtasks` in a task,
`?assignee=me`; every answer checked against the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import ApiClient
from tests.api.openapi_check import OpenApiChecker
from tracker.api.openapi import openapi_document
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import Subtask


@pytest.fixture
def api(app, world, hd):  # type: ignore[no-untyped-def]
    """`api(user)`: a client with a token of `user`."""
    checker = OpenApiChecker(openapi_document())

    def _api(user):  # type: ignore[no-untyped-def]
        token = create_api_token(user, "test")
        db.session.commit()
        return ApiClient(app, checker, token)

    return _api


def test_head_creates_a_subtask_and_the_task_lists_it(world, hd, api) -> None:
    head = api(hd.head)
    response = head.post(
        f"/api/v1/tasks/{world.task.id}/subtasks",
        json={
            "assignee_id": hd.officer.id,
            "content": "Rà soát thủ tục",
            "deadline": "2017-04-18",
            "version": world.task.version,
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["assignee"] == {"id": hd.officer.id, "full_name": "Cán Bộ Một"}
    assert response.json["status"] == "open"
    detail = api(world.chair).get(f"/api/v1/tasks/{world.task.id}").json
    assert [s["content"] for s in detail["subtasks"]] == ["Rà soát thủ tục"]
    # A coordinating unit sees the task, not the breakdown.
    assert api(world.coord_user).get(f"/api/v1/tasks/{world.task.id}").json["subtasks"] == []


def test_create_refusals(world, hd, api) -> None:
    url = f"/api/v1/tasks/{world.task.id}/subtasks"
    body = {"assignee_id": hd.officer.id, "content": "x", "deadline": "2017-04-18", "version": 1}
    assert api(hd.officer).post(url, json=body).status_code == 403
    assert api(world.chair).post(url, json=body).status_code == 403
    assert api(world.other_user).post(url, json=body).status_code == 404
    head = api(hd.head)
    late = head.post(url, json={**body, "deadline": "2017-04-21"})
    assert late.status_code == 422 and "deadline" in late.json["errors"]
    stranger = head.post(url, json={**body, "assignee_id": world.coord_user.id})
    assert stranger.status_code == 422 and "assignee_id" in stranger.json["errors"]
    both = head.post(url, json={**body, "child_unit_id": hd.child.id})
    assert both.status_code == 422
    stale = head.post(url, json={**body, "version": 0})
    assert stale.status_code == 409 and stale.json["current_version"] == 1
    unknown = head.post(url, json={**body, "priority": "high"})
    assert unknown.status_code == 422 and "priority" in unknown.json["errors"]
    assert db.session.scalar(db.select(db.func.count(Subtask.id))) == 0
    child = head.post(
        url,
        json={
            **{k: v for k, v in body.items() if k != "assignee_id"},
            "child_unit_id": hd.child.id,
        },
    )
    assert child.status_code == 201 and child.json["child_unit"]["id"] == hd.child.id


def test_assignee_me_lists_the_officers_tasks(world, hd, api) -> None:
    from tests.factories import make_task

    second = make_task(world.meeting, world.office, world.noivu, deadline=date(2017, 5, 5))
    make_task(world.meeting, world.office, world.noivu, deadline=date(2017, 5, 6))
    db.session.commit()
    for task in (world.task, second):
        operations.create_subtask(
            task,
            actor=hd.head,
            content="Phần việc",
            deadline=date(2017, 4, 18),
            today=date(2017, 4, 10),
            assignee=hd.officer,
        )
    db.session.commit()
    officer = api(hd.officer)
    mine = officer.get("/api/v1/tasks?assignee=me").json
    assert [t["id"] for t in mine["items"]] == [world.task.id, second.id]
    assert mine["total"] == 2
    assert officer.get("/api/v1/tasks").json["total"] == 3  # the unit's tasks, as before
    assert api(hd.officer2).get("/api/v1/tasks?assignee=me").json["total"] == 0
    refused = officer.get("/api/v1/tasks?assignee=someone")
    assert refused.status_code == 422 and "assignee" in refused.json["errors"]
