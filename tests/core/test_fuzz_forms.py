"""Arbitrary text at every form of the foundation: never a 500, never markup, errors named."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import Task

VIETNAMESE = "Phòng Nội vụ chủ trì xây dựng kế hoạch cải cách hành chính trước ngày 15/4/2017"
NASTY = [
    "<script>alert(1)</script>",
    "'; DROP TABLE tasks; --",
    "\x00\x01\x1f\x7f",
    unicodedata.normalize("NFD", VIETNAMESE),
    "&lt;b&gt;",
    "{{ 7*7 }}",
    "\u202e\u200b",
]
texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(NASTY),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=50)),
)
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _no_markup(page: str, value: str) -> None:
    if "<script>" in value:
        assert "<script>alert(1)</script>" not in page


@SETTINGS
@given(title=texts, place=texts, notice=texts, day=texts)
def test_meeting_form(login, world, title, place, notice, day) -> None:
    client = login(world.office)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Meeting))
    response = client.post(
        "/meetings/new",
        data={
            "title": title,
            "held_on": day,
            "place": place,
            "chair_id": "0",
            "notice_text": notice,
        },
    )
    assert response.status_code in (200, 302)
    page = response.get_data(as_text=True)
    if response.status_code == 200:
        assert 'class="error"' in page  # the refusal names its field
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == before
    _no_markup(page, title + place + notice)


@SETTINGS
@given(content=texts, deadline=texts, lead=st.one_of(texts, st.just("1")))
def test_task_form(login, world, content, deadline, lead) -> None:
    client = login(world.office)
    response = client.post(
        f"/meetings/{world.meeting.id}/tasks/new",
        data={
            "content": content,
            "lead_unit_id": lead,
            "deadline": deadline,
            "responsible_id": "0",
        },
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        task = db.session.scalar(sa.select(Task).order_by(Task.id.desc()))
        page = login(world.office).get(f"/tasks/{task.id}").get_data(as_text=True)
        _no_markup(page, content)
        # The only scripts are the app's own files (base.html loads static/review.js).
        assert page.count("<script") == page.count('<script src="/static/')


@SETTINGS
@given(note=texts, progress=texts, version=texts)
def test_progress_form(login, world, note, progress, version) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": note,
            "progress-progress": progress,
            "progress-version": version,
        },
    )
    assert response.status_code in (302, 409, 422)  # 409: a version not the task's is stale
    page = client.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    _no_markup(page, note)


@SETTINGS
@given(username=texts, password=texts)
def test_login_form(client, world, username, password) -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code in (200, 429)


@SETTINGS
@given(name=texts, aliases=texts, short=texts)
def test_unit_form(login, world, name, aliases, short) -> None:
    response = login(world.admin).post(
        "/admin/units/new",
        data={
            "name": name,
            "short_name": short,
            "kind": "department",
            "parent_id": "0",
            "aliases": aliases,
        },
    )
    assert response.status_code in (200, 302)
    listing = login(world.admin).get("/admin/units/").get_data(as_text=True)
    _no_markup(listing, name + aliases)


def test_one_megabyte_of_text(login, world) -> None:
    big = ("Nội dung rất dài " * 70_000)[:1_000_000]
    response = login(world.lead_user).post(
        f"/tasks/{world.task.id}/progress", data={"progress-note": big}
    )
    assert response.status_code == 422
    assert "Tối đa" in response.get_data(as_text=True)


def test_nul_characters_never_reach_the_database(login, world) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Báo cáo\x00 có ký tự rỗng",
            "progress-version": str(world.task.version),
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.task)
    assert world.task.events[-1].note == "Báo cáo có ký tự rỗng"


def test_nul_in_query_arguments(login, world) -> None:
    assert login(world.chair).get("/tasks/?q=k%00e&unit=%00").status_code == 200
