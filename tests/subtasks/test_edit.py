"""Editing a part: the head changes its content, assignee or deadline (bounded as on
creation), with a version check, one history entry per field and a notice to the new
assignee; cancelling it keeps it in the history and out of the roll-up. Operations, web
form, API (PATCH /api/v1/subtasks/<id>, checked against the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import date
from email.header import decode_header, make_header

import pytest

from tests.api.conftest import ApiClient
from tests.api.openapi_check import OpenApiChecker
from tests.reminders.conftest import local
from tests.subtasks.conftest import TODAY, give
from tracker.api.openapi import openapi_document
from tracker.auth.operations import create_api_token
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import NotVisible, PermissionDenied
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import SubtaskEvent, SubtaskReminder


def _edit(part, hd, **kw):  # type: ignore[no-untyped-def]
    values = {
        "actor": hd.head,
        "content": part.content,
        "deadline": part.deadline,
        "today": TODAY,
        "assignee": part.assignee,
        "child_unit": part.child_unit,
        "seen_version": part.version,
    }
    values.update(kw)
    events = operations.edit_subtask(part, **values)
    db.session.commit()
    return events


def _reminders(part):  # type: ignore[no-untyped-def]
    return sorted(
        (r.recipient_id, r.kind, r.day, r.sent_dt is not None)
        for r in db.session.scalars(
            db.select(SubtaskReminder).where(SubtaskReminder.subtask_id == part.id)
        )
    )


# --- operations -----------------------------------------------------------------------------


def test_each_changed_field_is_an_entry_and_the_new_assignee_is_notified(world, hd) -> None:
    part = give(world, hd)
    events = _edit(
        part,
        hd,
        content="Rà soát và công bố thủ tục",
        deadline=date(2017, 4, 14),
        assignee=hd.officer2,
    )
    assert [(e.kind, e.field, e.old_value, e.new_value) for e in events] == [
        ("edited", "content", "Rà soát thủ tục hành chính", "Rà soát và công bố thủ tục"),
        ("edited", "deadline", "2017-04-18", "2017-04-14"),
        ("edited", "assignee", "Cán Bộ Một", "Cán Bộ Hai"),
    ]
    db.session.refresh(part)
    assert (part.content, part.deadline, part.assignee_id, part.version) == (
        "Rà soát và công bố thủ tục",
        date(2017, 4, 14),
        hd.officer2.id,
        2,
    )
    assert all(e.actor_id == hd.head.id for e in events)
    # The new officer only; nothing for the old one.
    assert _reminders(part) == [(hd.officer2.id, "assigned", TODAY, False)]


def test_nothing_changed_writes_nothing(world, hd) -> None:
    part = give(world, hd)
    assert _edit(part, hd) == []
    db.session.refresh(part)
    assert part.version == 1
    assert db.session.scalar(db.select(db.func.count(SubtaskEvent.id))) == 1  # "created"
    # Only the notice of the part being given (create_subtask), none of an edit.
    assert _reminders(part) == [(hd.officer.id, "assigned", TODAY, False)]


def test_moved_to_a_child_unit_notifies_its_members(world, hd) -> None:
    part = give(world, hd)
    events = _edit(part, hd, assignee=None, child_unit=hd.child)
    assert [(e.field, e.old_value, e.new_value) for e in events] == [
        ("assignee", "Cán Bộ Một", "Tổ Văn thư - Lưu trữ")
    ]
    assert _reminders(part) == [(hd.child_member.id, "assigned", TODAY, False)]


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        (date(2017, 4, 21), "Thời hạn không được sau thời hạn của nhiệm vụ (20/04/2017)."),
        (date(2017, 4, 9), "Thời hạn không được trước ngày hôm nay."),
        (None, "Vui lòng nhập thời hạn."),
    ],
)
def test_a_new_deadline_is_bounded_as_on_creation(world, hd, deadline, message) -> None:
    part = give(world, hd)
    with pytest.raises(ValidationError) as raised:
        _edit(part, hd, deadline=deadline)
    assert raised.value.errors == {"deadline": message}
    db.session.rollback()
    db.session.refresh(part)
    assert (part.deadline, part.version) == (date(2017, 4, 18), 1)


def test_an_overdue_part_gets_a_new_officer_without_a_new_deadline(world, hd) -> None:
    part = give(world, hd, deadline=date(2017, 4, 12))
    later = date(2017, 4, 14)  # the part is two days late
    # Yesterday's overdue reminder to the old officer, unsent: no longer his to hear.
    db.session.add(
        SubtaskReminder(subtask_id=part.id, recipient_id=hd.officer.id, kind="overdue", day=later)
    )
    db.session.commit()
    events = _edit(part, hd, today=later, assignee=hd.officer2)
    assert [e.field for e in events] == ["assignee"]
    assert _reminders(part) == [(hd.officer2.id, "assigned", later, False)]
    # A new deadline, though, is not allowed in the past.
    with pytest.raises(ValidationError):
        _edit(part, hd, today=later, deadline=date(2017, 4, 13))


def test_assignee_must_be_of_the_unit_that_gave_the_part(world, hd) -> None:
    part = give(world, hd)
    with pytest.raises(ValidationError) as raised:
        _edit(part, hd, assignee=world.coord_user)
    assert raised.value.errors == {
        "assignee": "Cán bộ được giao phải là cán bộ của đơn vị giao việc."
    }


def test_only_the_head_edits_and_only_an_open_part(world, hd) -> None:
    part = give(world, hd)
    with pytest.raises(PermissionDenied):
        _edit(part, hd, actor=hd.officer, content="Khác")
    with pytest.raises(PermissionDenied):
        _edit(part, hd, actor=world.chair, content="Khác")
    with pytest.raises(NotVisible):
        _edit(part, hd, actor=world.coord_user, content="Khác")
    operations.report_subtask(
        part, actor=hd.officer, note="Xong", progress=None, done=True, today=TODAY, seen_version=1
    )
    db.session.commit()
    with pytest.raises(ValidationError) as raised:
        _edit(part, hd, content="Khác")
    assert "status" in raised.value.errors


def test_a_stale_version_is_refused(world, hd) -> None:
    part = give(world, hd)
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Đang làm",
        progress=40,
        done=False,
        today=TODAY,
        seen_version=1,
    )
    db.session.commit()
    with pytest.raises(StaleVersion) as raised:
        _edit(part, hd, content="Khác", seen_version=1)
    assert (raised.value.changed_by, raised.value.current_version) == ("Cán Bộ Một", 2)


def test_a_cancelled_part_stays_in_the_history_and_out_of_the_rollup(world, hd) -> None:
    kept = give(world, hd)
    dropped = give(world, hd, assignee=hd.officer2, content="Việc thừa")
    db.session.add(
        SubtaskReminder(
            subtask_id=dropped.id, recipient_id=hd.officer2.id, kind="due_soon", day=TODAY
        )
    )
    db.session.commit()
    operations.decide_subtask(
        dropped, actor=hd.head, decision="cancel", reason="Trùng việc", seen_version=1
    )
    db.session.commit()
    parts = operations.subtasks_of(world.task.id)
    assert {p.id for p in parts} == {kept.id, dropped.id}
    rolled = operations.rollup(parts, TODAY)
    assert (rolled.total, rolled.open) == (1, 1)
    assert "Việc thừa" not in operations.report_text(parts)
    assert [e.kind for e in dropped.events] == ["created", "cancelled"]
    assert _reminders(dropped) == []  # no longer chased
    # A cancelled part is not edited again.
    with pytest.raises(ValidationError):
        _edit(dropped, hd, content="Khác")


def test_the_new_assignee_hears_at_the_next_pass_at_any_hour(
    mail_app, smtp, run, world, hd
) -> None:
    part = give(world, hd)
    _edit(part, hd, assignee=hd.officer2)
    # 15:00 on a Monday, long after the morning digest; then a second pass.
    run(local(2017, 4, 10, 15, 0))
    run(local(2017, 4, 10, 15, 1))
    sent = [
        (m.to, str(m.message["X-Tracker-Subtasks"]))
        for m in smtp.received
        if m.message["X-Tracker-Subtasks"]
    ]
    assert sent == [("canbo2@vanho.example", f"{part.id}:assigned")]
    body = smtp.received[-1].message.get_content()
    assert "Được giao việc" in body and f"/subtasks/{part.id}" in body
    subject = str(make_header(decode_header(str(smtp.received[-1].message["Subject"]))))
    assert subject == "Bạn được giao 1 việc"


# --- web ------------------------------------------------------------------------------------


def test_head_edits_on_the_web_and_the_history_says_what_changed(world, hd, login) -> None:
    part = give(world, hd)
    client = login(hd.head)
    detail = client.get(f"/subtasks/{part.id}").get_data(as_text=True)
    assert f"/subtasks/{part.id}/edit" in detail
    form = client.get(f"/subtasks/{part.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="u{hd.officer.id}">Cán Bộ Một<', form)
    assert 'value="2017-04-18"' in form
    response = client.post(
        f"/subtasks/{part.id}/edit",
        data={
            "assignee": f"u{hd.officer2.id}",
            "content": part.content,
            "deadline": "14/04/2017",
            "version": "1",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/subtasks/{part.id}").get_data(as_text=True)
    assert "Sửa việc" in page
    assert "<del>18/04/2017</del> → 14/04/2017" in page
    assert "<del>Cán Bộ Một</del> → Cán Bộ Hai" in page
    # The officer the part left no longer has it; the new one has.
    assert part.content not in login(hd.officer).get("/my-work").get_data(as_text=True)
    assert part.content in login(hd.officer2).get("/my-work").get_data(as_text=True)


def test_web_edit_refusals_keep_the_form_as_typed(world, hd, login) -> None:
    part = give(world, hd)
    client = login(hd.head)
    data = {
        "assignee": f"u{hd.officer.id}",
        "content": "Nội dung mới đã gõ",
        "deadline": "25/04/2017",
        "version": "1",
    }
    late = client.post(f"/subtasks/{part.id}/edit", data=data)
    assert late.status_code == 422
    page = late.get_data(as_text=True)
    assert "Thời hạn không được sau thời hạn của nhiệm vụ (20/04/2017)." in page
    assert "Nội dung mới đã gõ" in page
    stale = client.post(
        f"/subtasks/{part.id}/edit", data={**data, "deadline": "15/04/2017", "version": "0"}
    )
    assert stale.status_code == 409
    assert "Nội dung mới đã gõ" in stale.get_data(as_text=True)
    db.session.refresh(part)
    assert (part.content, part.version) == ("Rà soát thủ tục hành chính", 1)
    # The officer sees the part, not its edit form; the office neither.
    assert login(hd.officer).get(f"/subtasks/{part.id}/edit").status_code == 403
    assert f"/subtasks/{part.id}/edit" not in login(hd.officer).get(
        f"/subtasks/{part.id}"
    ).get_data(as_text=True)
    assert login(world.office).get(f"/subtasks/{part.id}/edit").status_code == 403
    assert login(world.coord_user).get(f"/subtasks/{part.id}/edit").status_code == 404


def test_a_part_reported_done_is_not_edited_on_the_web(world, hd, login) -> None:
    part = give(world, hd)
    operations.report_subtask(
        part, actor=hd.officer, note="Xong", progress=None, done=True, today=TODAY, seen_version=1
    )
    db.session.commit()
    client = login(hd.head)
    assert f"/subtasks/{part.id}/edit" not in client.get(f"/subtasks/{part.id}").get_data(
        as_text=True
    )
    response = client.get(f"/subtasks/{part.id}/edit")
    assert response.status_code == 302 and response.location.endswith(f"/subtasks/{part.id}")


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def api(app, world, hd):  # type: ignore[no-untyped-def]
    """`api(user)`: a client with a token of `user`, every answer checked against the
    OpenAPI document."""
    checker = OpenApiChecker(openapi_document())

    def _api(user):  # type: ignore[no-untyped-def]
        token = create_api_token(user, "test")
        db.session.commit()
        return ApiClient(app, checker, token)

    return _api


def test_api_patch_changes_a_part(world, hd, api) -> None:
    part = give(world, hd)
    response = api(hd.head).patch(
        f"/api/v1/subtasks/{part.id}",
        json={"child_unit_id": hd.child.id, "deadline": "2017-04-13", "version": 1},
    )
    assert response.status_code == 200, response.json
    assert response.json["child_unit"] == {"id": hd.child.id, "name": "Tổ Văn thư - Lưu trữ"}
    assert response.json["assignee"] is None
    assert (response.json["deadline"], response.json["version"]) == ("2017-04-13", 2)
    assert response.json["content"] == "Rà soát thủ tục hành chính"  # left out: kept
    assert _reminders(part) == [(hd.child_member.id, "assigned", TODAY, False)]


def test_api_patch_refusals(world, hd, api) -> None:
    part = give(world, hd)
    url = f"/api/v1/subtasks/{part.id}"
    head = api(hd.head)
    assert api(hd.officer).patch(url, json={"content": "x", "version": 1}).status_code == 403
    assert api(world.chair).patch(url, json={"content": "x", "version": 1}).status_code == 403
    assert api(world.coord_user).patch(url, json={"content": "x", "version": 1}).status_code == 404
    assert head.patch("/api/v1/subtasks/99999", json={"version": 1}).status_code == 404
    stale = head.patch(url, json={"content": "x", "version": 0})
    assert stale.status_code == 409 and stale.json["current_version"] == 1
    late = head.patch(url, json={"deadline": "2017-04-21", "version": 1})
    assert late.status_code == 422 and "deadline" in late.json["errors"]
    both = head.patch(
        url, json={"assignee_id": hd.officer2.id, "child_unit_id": hd.child.id, "version": 1}
    )
    assert both.status_code == 422 and "child_unit_id" in both.json["errors"]
    outsider = head.patch(url, json={"assignee_id": world.coord_user.id, "version": 1})
    assert outsider.status_code == 422 and "assignee_id" in outsider.json["errors"]
    mixed = head.patch(url, json={"status": "cancelled", "content": "x", "version": 1})
    assert mixed.status_code == 422 and "content" in mixed.json["errors"]
    no_version = head.patch(url, json={"content": "x"})
    assert no_version.status_code == 422 and "version" in no_version.json["errors"]
    db.session.refresh(part)
    assert (part.content, part.version) == ("Rà soát thủ tục hành chính", 1)


def test_api_patch_cancels_with_a_reason(world, hd, api) -> None:
    part = give(world, hd)
    url = f"/api/v1/subtasks/{part.id}"
    head = api(hd.head)
    no_reason = head.patch(url, json={"status": "cancelled", "version": 1})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    response = head.patch(url, json={"status": "cancelled", "reason": "Trùng việc", "version": 1})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    detail = api(world.chair).get(f"/api/v1/tasks/{world.task.id}").json
    assert [s["status"] for s in detail["subtasks"]] == ["cancelled"]
