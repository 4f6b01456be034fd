"""GET /api/v1/tasks and /api/v1/tasks/<id>: fields, filters, pagination, query count."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.factories import make_meeting, make_task
from tests.sql import recorded_statements
from tracker.extensions import db
from tracker.tasks import operations as ops


@pytest.fixture
def tasks(world):
    """Tasks in every timeliness class, on 10/4/2017 (Monday)."""
    w = world
    made = {
        "soon": make_task(
            w.meeting,
            w.office,
            w.noivu,
            content="Báo cáo công tác dân tộc",
            deadline=date(2017, 4, 12),
        ),
        "overdue": make_task(
            w.meeting,
            w.office,
            w.taichinh,
            content="Quyết toán ngân sách xã",
            coordinating_units=[w.noivu],
            deadline=date(2017, 4, 7),
        ),
        "ongoing": make_task(w.meeting, w.office, w.tuphap, content="Tuyên truyền pháp luật"),
    }
    ops.post_progress(made["overdue"], actor=w.coord_user, note="Đang làm", progress=40)
    db.session.commit()
    made["main"] = w.task
    return made


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["items"]]


def test_task_fields(api, world) -> None:
    body = api("lead").get("/api/v1/tasks").json
    assert body["page"] == 1 and body["per_page"] == 50 and body["total"] == 1
    assert body["items"] == [
        {
            "id": world.task.id,
            "meeting_id": world.meeting.id,
            "content": world.task.content,
            "lead_unit": {"id": world.noivu.id, "name": "Phòng Nội vụ"},
            "coordinating_units": [{"id": world.taichinh.id, "name": "Phòng Tài chính - Kế hoạch"}],
            "deadline": "2017-04-20",
            "original_deadline": "2017-04-20",
            "status": "new",
            "timeliness": "open_on_time",
            "progress": 0,
            "version": world.task.version,
            "updated_at": "2017-04-10T02:00:00Z",
        }
    ]


def test_filters(api, world, tasks) -> None:
    client = api("chair")
    get = lambda query: _ids(client.get("/api/v1/tasks" + query))  # noqa: E731
    # Soonest deadline first, tasks without a deadline last.
    assert get("") == [tasks[k].id for k in ("overdue", "soon", "main", "ongoing")]
    assert get(f"?unit={world.noivu.id}") == [tasks["soon"].id, world.task.id]
    assert get(f"?unit={world.noivu.id}&role=lead") == [tasks["soon"].id, world.task.id]
    assert get(f"?unit={world.noivu.id}&role=coordinating") == [tasks["overdue"].id]
    assert get(f"?unit={world.taichinh.id}&role=coordinating") == [world.task.id]
    assert get("?status=in_progress") == [tasks["overdue"].id]
    assert get("?status=new,in_progress") == get("")
    assert get("?status=submitted,done") == []
    assert get("?timeliness=open_overdue") == [tasks["overdue"].id]
    assert get("?timeliness=due_soon") == [tasks["soon"].id]
    assert get("?timeliness=open_on_time") == [tasks["soon"].id, world.task.id]
    assert get("?timeliness=no_deadline") == [tasks["ongoing"].id]
    assert get("?timeliness=done_on_time") == []
    assert get("?due_before=2017-04-12") == [tasks["overdue"].id, tasks["soon"].id]
    assert get(f"?meeting={world.meeting.id}&per_page=2") == get("")[:2]
    assert get("?meeting=999") == []


def test_role_without_unit_means_the_callers_own_unit(api, world, tasks) -> None:
    """Issue 18 §9: `?role=lead` without `unit` lists what the caller's unit leads, not every
    task it may see; without `role`, everything visible."""
    lead = lambda query: _ids(api("lead").get("/api/v1/tasks" + query))  # noqa: E731
    # Phòng Nội vụ leads "soon" and the main task, coordinates "overdue".
    assert lead("?role=lead") == [tasks["soon"].id, world.task.id]
    assert lead("?role=coordinating") == [tasks["overdue"].id]
    assert lead("") == [tasks["overdue"].id, tasks["soon"].id, world.task.id]
    coord = lambda query: _ids(api("coord").get("/api/v1/tasks" + query))  # noqa: E731
    assert coord("?role=lead") == [tasks["overdue"].id]
    assert coord("?role=coordinating") == [world.task.id]
    # The chair's unit (the leadership) leads nothing; without `role` the chair sees all.
    assert _ids(api("chair").get("/api/v1/tasks?role=lead")) == []
    assert len(_ids(api("chair").get("/api/v1/tasks"))) == 4
    # An admin belongs to no unit: a role of no unit is nothing, not everything.
    assert _ids(api("admin").get("/api/v1/tasks?role=coordinating")) == []
    # `unit` still names another unit's side, for those who see it.
    assert _ids(api("chair").get(f"/api/v1/tasks?unit={world.tuphap.id}&role=lead")) == [
        tasks["ongoing"].id
    ]


def test_role_without_unit_is_documented() -> None:
    from tracker.api.openapi import openapi_document

    params = openapi_document()["paths"]["/api/v1/tasks"]["get"]["parameters"]
    role = next(p for p in params if p["name"] == "role")
    assert "caller's own unit" in role["description"] and "default" not in role["schema"]


def test_timeliness_of_each_task(api, tasks) -> None:
    items = api("chair").get("/api/v1/tasks").json["items"]
    assert [t["timeliness"] for t in items] == [
        "open_overdue",
        "due_soon",
        "open_on_time",
        "no_deadline",
    ]


def test_search_ignores_diacritics_and_case(api, tasks) -> None:
    client = api("chair")
    assert _ids(client.get("/api/v1/tasks?q=quyet toan")) == [tasks["overdue"].id]
    assert _ids(client.get("/api/v1/tasks?q=QUYẾT TOÁN ngân")) == [tasks["overdue"].id]
    assert _ids(client.get("/api/v1/tasks?q=phap luat")) == [tasks["ongoing"].id]
    # LIKE wildcards are searched for literally.
    assert _ids(client.get("/api/v1/tasks?q=%25")) == []
    assert _ids(client.get("/api/v1/tasks?q=_")) == []


def test_unit_member_filters_stay_within_what_they_see(api, world, tasks) -> None:
    client = api("other")  # Tư pháp sees only its own task
    assert _ids(client.get("/api/v1/tasks")) == [tasks["ongoing"].id]
    assert _ids(client.get(f"/api/v1/tasks?unit={world.noivu.id}")) == []
    assert _ids(client.get("/api/v1/tasks?q=quyet toan")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("unit=abc", "unit"),
        ("role=boss", "role"),
        ("status=finished", "status"),
        ("status=new,finished", "status"),
        ("status=new,,", "status"),
        ("status=,", "status"),
        # NUL would be dropped (as forms do) and the filter silently become empty.
        ("status=%00", "status"),
        ("status=new%00", "status"),
        ("lang%00=vi", "lang\x00"),
        ("timeliness=late", "timeliness"),
        ("due_before=31/02/2017", "due_before"),
        ("due_before=2017-02-31", "due_before"),
        ("meeting=-3", "meeting"),
        ("meeting=99999999999", "meeting"),
        ("unit=99999999999999999999", "unit"),
        ("page=100000000000000000", "page"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_query_is_422(api, world, query, field) -> None:
    response = api("chair").get(f"/api/v1/tasks?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_pagination(api, world) -> None:
    for n in range(11):
        make_task(world.meeting, world.office, world.noivu, deadline=date(2017, 5, 1 + n))
    db.session.commit()
    client = api("lead")
    first = client.get("/api/v1/tasks?per_page=5").json
    assert (first["total"], first["pages"], len(first["items"])) == (12, 3, 5)
    last = client.get("/api/v1/tasks?per_page=5&page=3").json
    assert len(last["items"]) == 2
    beyond = client.get("/api/v1/tasks?per_page=5&page=40").json
    assert beyond["items"] == [] and beyond["total"] == 12 and beyond["page"] == 40
    everything = client.get("/api/v1/tasks?per_page=200").json["items"]
    pages = [
        t["id"]
        for p in (1, 2, 3)
        for t in client.get(f"/api/v1/tasks?per_page=5&page={p}").json["items"]
    ]
    assert pages == [t["id"] for t in everything] and len(set(pages)) == 12


def test_query_count_does_not_grow_with_page_size(app, api, world) -> None:
    other_meeting = make_meeting(world.office, held_on=date(2017, 4, 5))
    for n in range(120):
        make_task(
            world.meeting if n % 2 else other_meeting,
            world.office,
            [world.noivu, world.taichinh, world.tuphap][n % 3],
            coordinating_units=[world.office_unit, world.leadership],
            deadline=None if n % 7 == 0 else date(2017, 5, 1 + n % 28),
        )
    db.session.commit()
    client = api("chair")
    main_task_id = world.task.id
    statements: list[str] = []

    def queries(per_page: int) -> int:
        db.session.expunge_all()  # nothing cached from an earlier request
        with recorded_statements() as sent:
            response = client.get(f"/api/v1/tasks?per_page={per_page}")
        statements[:] = sent
        assert len(response.json["items"]) == per_page
        assert all(
            len(t["coordinating_units"]) == (1 if t["id"] == main_task_id else 2)
            for t in response.json["items"]
        )
        return len(statements)

    small, large = queries(5), queries(100)
    assert small == large, statements
    assert large <= 7


def test_detail_has_history_and_extension_requests(app, api, world) -> None:
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 11, 3, tzinfo=UTC)
    client = api("lead")
    version = world.task.version
    client.post(
        f"/api/v1/tasks/{world.task.id}/updates",
        json={"progress": 50, "note": "Đã có dự thảo", "version": version},
    )
    client.post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-04-28", "reason": "Chờ góp ý"},
    )
    body = api("coord").get(f"/api/v1/tasks/{world.task.id}").json
    assert body["status"] == "in_progress" and body["progress"] == 50
    assert body["version"] > version and body["updated_at"] == "2017-04-11T03:00:00Z"
    assert [e["kind"] for e in body["history"]] == ["created", "progress", "extension_requested"]
    progress = body["history"][1]
    assert progress["actor"] == {"id": world.lead_user.id, "full_name": "Hà Thị Lan"}
    assert progress["created_at"] == "2017-04-11T03:00:00Z"
    assert (progress["field"], progress["old_value"], progress["new_value"]) == (
        "status",
        "new",
        "in_progress",
    )
    assert progress["note"] == "Đã có dự thảo" and progress["progress"] == 50
    [request] = body["extension_requests"]
    assert request["status"] == "pending" and request["requested_deadline"] == "2017-04-28"
    assert request["old_deadline"] == "2017-04-20" and request["decided_by"] is None
    assert body["extension_count"] == 0 and body["completed_on"] is None
