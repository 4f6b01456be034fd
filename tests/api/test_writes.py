"""POST endpoints: progress reports, extension requests and decisions; 409 and 422."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from tracker.extensions import db
from tracker.tasks.extensions import request_extension
from tracker.tasks.models import ExtensionRequest, Task


def _state(task_id: int) -> tuple[object, ...]:
    """What must not change when a request is refused."""
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    requests = db.session.scalar(
        db.select(db.func.count(ExtensionRequest.id)).where(ExtensionRequest.task_id == task_id)
    )
    return (
        task.version,
        task.status,
        task.progress,
        task.deadline,
        task.extension_count,
        len(task.events),
        requests,
    )


def test_progress_report(api, world) -> None:
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates",
        json={"progress": 40, "note": "Đã lập dự thảo kế hoạch", "version": world.task.version},
    )
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["progress"]) == ("in_progress", 40)
    assert body["history"][-1]["note"] == "Đã lập dự thảo kế hoạch"
    db.session.expire_all()
    assert db.session.get(Task, world.task.id).version == body["version"]


def test_submit_result(api, world) -> None:
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates",
        json={"status": "submitted", "note": "Đã ban hành kế hoạch số 12/KH-NV", "version": 1},
    )
    assert response.status_code == 200
    assert (response.json["status"], response.json["progress"]) == ("submitted", 100)
    assert response.json["result"] == "Đã ban hành kế hoạch số 12/KH-NV"


def test_stale_version_is_409_and_changes_nothing(app, api, world) -> None:
    client = api("lead")
    url = f"/api/v1/tasks/{world.task.id}/updates"
    seen = world.task.version
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 10, 7, 15, tzinfo=UTC)  # 14:15 local
    assert (
        client.post(url, json={"progress": 20, "note": "Lần 1", "version": seen}).status_code == 200
    )
    before = _state(world.task.id)
    response = client.post(url, json={"progress": 90, "note": "Lần 2", "version": seen})
    assert response.status_code == 409
    assert response.json["changed_by"] == "Hà Thị Lan"
    assert response.json["changed_at"] == "2017-04-10T07:15:00Z"
    assert response.json["current_version"] == before[0] != seen
    assert "Hà Thị Lan" in response.json["error"] and "14:15" in response.json["error"]
    assert _state(world.task.id) == before


BAD_UPDATES = [
    ({"status": "finished", "note": "x", "version": 1}, "status"),
    ({"status": "done", "note": "x", "version": 1}, "status"),  # only the chair confirms
    ({"status": 3, "note": "x", "version": 1}, "status"),
    ({"progress": 101, "note": "x", "version": 1}, "progress"),
    ({"progress": -1, "note": "x", "version": 1}, "progress"),
    ({"progress": "50", "note": "x", "version": 1}, "progress"),
    ({"progress": 50.5, "note": "x", "version": 1}, "progress"),
    ({"progress": True, "note": "x", "version": 1}, "progress"),
    ({"note": "x", "version": "abc"}, "version"),
    ({"note": "x", "version": "1"}, "version"),
    ({"note": "x", "version": 1.5}, "version"),
    ({"note": "x"}, "version"),
    ({"note": "x", "version": None}, "version"),
    ({"version": 1}, "note"),
    ({"note": "", "version": 1}, "note"),
    ({"note": "   ", "version": 1}, "note"),
    ({"note": 12, "version": 1}, "note"),
    ({"note": "x" * 50_000, "version": 1}, "note"),
    ({"note": "x", "version": 1, "deadline": "2018-01-01"}, "deadline"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_UPDATES)
def test_bad_update_is_422(api, world, payload, field) -> None:
    before = _state(world.task.id)
    response = api("lead").post(f"/api/v1/tasks/{world.task.id}/updates", json=payload)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert response.json["errors"][field]
    assert _state(world.task.id) == before


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"", b"[1, 2]", b"null", b'"note"', b"42", b'{"note": ', b"\xff\xfe{}"],
)
def test_body_that_is_not_a_json_object_is_422(api, world, raw) -> None:
    before = _state(world.task.id)
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates", data=raw, content_type="application/json"
    )
    assert response.status_code == 422
    assert "body" in response.json["errors"]
    assert _state(world.task.id) == before


def test_json_without_content_type_is_accepted(api, world) -> None:
    # curl -d sends application/x-www-form-urlencoded; the body is what counts.
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates",
        data='{"note": "Gửi bằng curl -d", "version": 1}',
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def test_report_on_cancelled_task_is_422(api, world) -> None:
    world.task.status = "cancelled"
    db.session.commit()
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates",
        json={"note": "x", "version": world.task.version},
    )
    assert response.status_code == 422 and "status" in response.json["errors"]


def test_extension_request(api, world) -> None:
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-05-05", "reason": "Chờ số liệu của các xã", "version": 1},
    )
    assert response.status_code == 201
    body = response.json
    assert (body["status"], body["requested_deadline"], body["old_deadline"]) == (
        "pending",
        "2017-05-05",
        "2017-04-20",
    )
    assert body["requested_by"]["full_name"] == "Hà Thị Lan"
    assert body["task"]["id"] == world.task.id and body["task"]["deadline"] == "2017-04-20"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"new_deadline": "31/02/2017", "reason": "x"}, "new_deadline"),
        ({"new_deadline": "2017-02-31", "reason": "x"}, "new_deadline"),
        ({"new_deadline": "2017-5-5", "reason": "x"}, "new_deadline"),
        ({"new_deadline": "20170505", "reason": "x"}, "new_deadline"),
        ({"new_deadline": 20170505, "reason": "x"}, "new_deadline"),
        ({"new_deadline": "", "reason": "x"}, "new_deadline"),
        ({"reason": "x"}, "new_deadline"),
        ({"new_deadline": "2017-04-15", "reason": "x"}, "new_deadline"),  # before the current
        ({"new_deadline": "2017-05-05"}, "reason"),
        ({"new_deadline": "2017-05-05", "reason": "x" * 50_000}, "reason"),
        ({"new_deadline": "2017-05-05", "reason": "x", "version": "v1"}, "version"),
    ],
)
def test_bad_extension_request_is_422(api, world, payload, field) -> None:
    before = _state(world.task.id)
    response = api("lead").post(f"/api/v1/tasks/{world.task.id}/extension-requests", json=payload)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert _state(world.task.id) == before


def test_extension_request_with_stale_version_is_409(api, world) -> None:
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-05-05", "reason": "x", "version": 99},
    )
    assert response.status_code == 409 and response.json["current_version"] == 1


def test_second_pending_request_is_422(api, world) -> None:
    url = f"/api/v1/tasks/{world.task.id}/extension-requests"
    client = api("lead")
    assert client.post(url, json={"new_deadline": "2017-05-05", "reason": "x"}).status_code == 201
    response = client.post(url, json={"new_deadline": "2017-05-09", "reason": "y"})
    assert response.status_code == 422


@pytest.fixture
def pending(world) -> ExtensionRequest:
    request = request_extension(
        world.task, actor=world.lead_user, new_deadline=date(2017, 4, 28), reason="Chờ góp ý"
    )
    db.session.commit()
    return request


def test_approve_with_another_date(api, world, pending) -> None:
    response = api("chair").post(
        f"/api/v1/extension-requests/{pending.id}/decision",
        json={"approve": True, "deadline": "2017-05-02", "comment": "Đồng ý đến 02/5"},
    )
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["approved_deadline"]) == ("approved", "2017-05-02")
    assert body["decided_by"]["full_name"] == "Nguyễn Huy Anh"
    assert body["task"]["deadline"] == "2017-05-02"
    assert body["task"]["original_deadline"] == "2017-04-20"
    detail = api("lead").get(f"/api/v1/tasks/{world.task.id}").json
    assert detail["extension_count"] == 1
    assert [e["kind"] for e in detail["history"]][-2:] == [
        "extension_requested",
        "extension_decided",
    ]


def test_refuse(api, world, pending) -> None:
    url = f"/api/v1/extension-requests/{pending.id}/decision"
    response = api("office").post(url, json={"approve": False})
    assert response.status_code == 422 and "comment" in response.json["errors"]
    response = api("office").post(url, json={"approve": False, "comment": "Không đủ lý do"})
    assert response.status_code == 200
    assert (
        response.json["status"] == "refused" and response.json["task"]["deadline"] == "2017-04-20"
    )


def test_already_decided_is_409(api, world, pending) -> None:
    url = f"/api/v1/extension-requests/{pending.id}/decision"
    assert api("chair").post(url, json={"approve": True}).status_code == 200
    before = _state(world.task.id)
    response = api("office").post(url, json={"approve": False, "comment": "Không"})
    assert response.status_code == 409
    assert response.json["status"] == "approved"
    assert response.json["changed_by"] == "Nguyễn Huy Anh"
    assert _state(world.task.id) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "approve"),
        ({"approve": "yes"}, "approve"),
        ({"approve": 1}, "approve"),
        ({"approve": True, "deadline": "31/02/2017"}, "deadline"),
        ({"approve": True, "deadline": "2017-02-31"}, "deadline"),
        ({"approve": True, "deadline": "2017-03-01"}, "deadline"),  # before the meeting
        ({"approve": True, "comment": 5}, "comment"),
        ({"approve": True, "comment": "x" * 50_000}, "comment"),
    ],
)
def test_bad_decision_is_422(api, world, pending, payload, field) -> None:
    before = _state(world.task.id)
    response = api("chair").post(f"/api/v1/extension-requests/{pending.id}/decision", json=payload)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert _state(world.task.id) == before
    assert db.session.get(ExtensionRequest, pending.id).status == "pending"


def test_concurrent_updates_exactly_one_wins(app, backend, tokens, world, checker) -> None:
    if backend != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises writers anyway")
    url = f"/api/v1/tasks/{world.task.id}/updates"
    barrier = threading.Barrier(4)
    results: list[int] = []

    def report(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            url,
            json={"progress": 10 * n, "note": f"Báo cáo {n}", "version": 1},
            headers={"Authorization": f"Bearer {tokens['lead']}"},
        )
        checker.check("POST", url, response.status_code, response.content_type, response.json)
        results.append(response.status_code)

    threads = [threading.Thread(target=report, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [200, 409, 409, 409]
    db.session.expire_all()
    task = db.session.get(Task, world.task.id)
    assert task.version == 2 and len(task.events) == 2
