"""Ids past the database's integers (found by walking the app as a probe would): every route
with an `<int:…>` part and the list filters answer 404 or a message, never a 500 from the
database overflowing (SQLite: OverflowError; PostgreSQL: integer out of range)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tracker.auth.operations import create_api_token
from tracker.core.limits import MAX_ID
from tracker.extensions import db

HUGE = 99_999_999_999_999_999_999


def _routes_with_ids(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        if any(isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments):
            yield rule


def test_every_route_refuses_an_id_past_the_database(app, world, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.chair)
    token = create_api_token(world.chair, "probe")
    db.session.commit()
    rules = list(_routes_with_ids(app))
    assert len(rules) >= 15  # the routes of tasks, meetings, sub-tasks, users, units, the API ...
    for rule in rules:
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(HUGE))
        url = url.replace("<", "").replace(">", "")  # other parts (a format) as their names
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code == 404, f"{url}: {response.status_code}"
    # The largest id the database holds is still an id (nothing there: 404 all the same).
    assert client.get(f"/tasks/{MAX_ID}").status_code == 404
    assert client.get(f"/tasks/{world.task.id}").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"meeting={HUGE}", "Cuộc họp không hợp lệ."),
        (f"unit={HUGE}", "Đơn vị không hợp lệ."),
        ("unit=-3", "Đơn vị không hợp lệ."),
        ("meeting=abc", "Cuộc họp không hợp lệ."),
    ],
)
def test_the_task_list_says_which_filter_is_wrong(login, world, query, message) -> None:  # type: ignore[no-untyped-def]
    client = login(world.chair)
    response = client.get(f"/tasks/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert world.task.content in page  # the other filters still apply; nothing is lost
    download = client.get(f"/tasks/export.xlsx?{query}")
    assert download.status_code == 302 and "/tasks/?" in download.headers["Location"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (f"unit={HUGE}", 404, "Mã đơn vị không hợp lệ."),
        (f"meeting={HUGE}", 404, "Mã cuộc họp không hợp lệ."),
        (f"view=officers&unit={HUGE}", 404, "Mã đơn vị không hợp lệ."),
        # A year of twenty digits made the picker list every year up to it (a 500).
        (f"part=Q1&year={HUGE}", 400, "không hợp lệ"),
    ],
)
def test_the_report_refuses_filters_past_the_database(login, world, query, status, message) -> None:  # type: ignore[no-untyped-def]
    client = login(world.chair)
    for path in ("/reports/", "/reports/export.xlsx"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status, f"{path}?{query}"
        assert message in response.get_data(as_text=True)


def test_forms_with_ids_past_the_database(login, world) -> None:  # type: ignore[no-untyped-def]
    # The notice review's lead of a row (a 500 on confirm before), the task form's units and
    # the admin's user and unit forms: a form page with its message, nothing created.
    import sqlalchemy as sa

    from tests.notices.test_review_views import _form_from, _read
    from tracker.notices.models import NoticeDraft
    from tracker.tasks.models import Task

    office = login(world.office)
    _read(office, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    tasks_before = db.session.scalar(sa.select(sa.func.count()).select_from(Task))
    form = _form_from(draft, **{"row-0-lead": str(HUGE), "action": "confirm"})
    response = office.post(f"/meetings/{world.meeting.id}/notice/review", data=form)
    assert response.status_code == 200
    assert "#row-0" in response.get_data(as_text=True)  # the banner points at the row to fix
    task_form = {"content": "Việc thử", "lead_unit_id": str(HUGE), "deadline": "2017-05-01"}
    assert office.post(f"/meetings/{world.meeting.id}/tasks/new", data=task_form).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == tasks_before
    admin = login(world.admin)
    user_form = {"unit_id": str(HUGE), "role": "unit", "full_name": "Hà Thị Lan"}
    assert admin.post(f"/admin/users/{world.lead_user.id}", data=user_form).status_code == 200
    unit_form = {"parent_id": str(HUGE), "name": "Phòng Nội vụ", "kind": "department"}
    assert admin.post(f"/admin/units/{world.noivu.id}", data=unit_form).status_code == 200
