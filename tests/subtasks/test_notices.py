"""The notices of a part given or moved away, through the real SMTP server and on the
notifications page: the officer hears at the next pass whatever the hour, once; the officer a
part leaves hears of it; the head never of their own acts; a part cancelled before the pass
is not written about; each person in their language."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient
from tests.api.openapi_check import OpenApiChecker
from tests.reminders.conftest import local
from tests.subtasks.conftest import TODAY, give
from tracker.api.openapi import openapi_document
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import Subtask, SubtaskReminder


def _messages(smtp):  # type: ignore[no-untyped-def]
    """(recipient, [subtask_id:kind ...]) of each sub-task message received, sorted."""
    return sorted(
        (m.to, str(m.message["X-Tracker-Subtasks"]).split())
        for m in smtp.received
        if m.message["X-Tracker-Subtasks"]
    )


def _message_to(smtp, address):  # type: ignore[no-untyped-def]
    """(subject, body) of the one sub-task message to `address`."""
    (message,) = [
        m.message for m in smtp.received if m.to == address and m.message["X-Tracker-Subtasks"]
    ]
    # The default policy (the test server's) gives the header decoded.
    return str(message["Subject"]), message.get_content()


def _move(part, hd, **kw):  # type: ignore[no-untyped-def]
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
    operations.edit_subtask(part, **values)
    db.session.commit()


def test_a_new_part_is_told_once_at_the_next_pass_in_one_message(
    mail_app, smtp, run, world, hd
) -> None:
    first = give(world, hd)
    second = give(world, hd, content="Tổng hợp số liệu", deadline=TODAY.replace(day=19))
    # 15:00 on Monday, long after the morning's digest, then a second pass a minute later.
    run(local(2017, 4, 10, 15, 0))
    run(local(2017, 4, 10, 15, 1))
    assert _messages(smtp) == [
        ("canbo1@vanho.example", [f"{first.id}:assigned", f"{second.id}:assigned"])
    ]
    subject, body = _message_to(smtp, "canbo1@vanho.example")
    assert subject == "Bạn được giao 2 việc"
    assert "[Được giao việc] Rà soát thủ tục hành chính" in body
    assert "Hạn 18/04/2017; giao cho Cán Bộ Một" in body
    assert f"/subtasks/{first.id}" in body and f"/subtasks/{second.id}" in body
    smtp.received.clear()
    # The next morning's digest: the deadlines (18 and 19 April) are not near, and the
    # notice is not sent again.
    run(local(2017, 4, 11, 7, 35))
    assert _messages(smtp) == []


def test_a_part_given_to_a_child_unit_tells_each_member_and_the_head_hears_nothing(
    mail_app, smtp, run, world, hd
) -> None:
    to_unit = give(world, hd, assignee=None, child_unit=hd.child)
    kept = give(world, hd, assignee=hd.head, content="Việc trưởng phòng giữ lại")
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == [("vanthu@vanho.example", [f"{to_unit.id}:assigned"])]
    # A part the head keeps: no notice of their own act, not even planned.
    assert (
        db.session.scalars(
            db.select(SubtaskReminder).where(SubtaskReminder.subtask_id == kept.id)
        ).all()
        == []
    )


def test_created_on_the_web_and_by_the_api_the_officer_is_told(
    app, mail_app, smtp, run, world, hd, login
) -> None:
    response = login(hd.head).post(
        f"/tasks/{world.task.id}/subtasks/new",
        data={
            "assignee": f"u{hd.officer.id}",
            "content": "Giao trên web",
            "deadline": "18/04/2017",
            "version": "1",
        },
    )
    assert response.status_code == 302
    token = create_api_token(hd.head, "test")
    db.session.commit()
    api = ApiClient(app, OpenApiChecker(openapi_document()), token)
    response = api.post(
        f"/api/v1/tasks/{world.task.id}/subtasks",
        json={
            "child_unit_id": hd.child.id,
            "content": "Giao qua API",
            "deadline": "2017-04-18",
            "version": world.task.version,
        },
    )
    assert response.status_code == 201, response.json
    web, by_api = db.session.scalars(db.select(Subtask).order_by(Subtask.id)).all()
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == [
        ("canbo1@vanho.example", [f"{web.id}:assigned"]),
        ("vanthu@vanho.example", [f"{by_api.id}:assigned"]),
    ]


def test_a_move_tells_the_new_officer_and_the_old_one(mail_app, smtp, run, world, hd) -> None:
    part = give(world, hd)
    run(local(2017, 4, 10, 10, 0))
    assert _messages(smtp) == [("canbo1@vanho.example", [f"{part.id}:assigned"])]
    smtp.received.clear()
    _move(part, hd, assignee=hd.officer2)
    run(local(2017, 4, 10, 15, 0))
    run(local(2017, 4, 10, 15, 1))
    assert _messages(smtp) == [
        ("canbo1@vanho.example", [f"{part.id}:unassigned"]),
        ("canbo2@vanho.example", [f"{part.id}:assigned"]),
    ]
    subject, body = _message_to(smtp, "canbo1@vanho.example")
    assert subject == "1 việc của bạn đã được giao cho người khác"
    assert "- Việc “Rà soát thủ tục hành chính” đã được giao cho người khác." in body
    # No longer theirs: no deadline line and no link to the part.
    assert "Hạn 18/04/2017" not in body and f"/subtasks/{part.id}\n" not in body
    assert _message_to(smtp, "canbo2@vanho.example")[0] == "Bạn được giao 1 việc"
    # The head who moved it: nothing.
    assert not any(m.to == "truongnoivu@vanho.example" for m in smtp.received)


def test_moved_to_a_child_unit_and_back_before_a_pass(mail_app, smtp, run, world, hd) -> None:
    part = give(world, hd)
    run(local(2017, 4, 10, 10, 0))
    smtp.received.clear()
    # To the child unit, then (before any pass) to the second officer: the unit's member
    # never heard of it, so is not told it went elsewhere either.
    _move(part, hd, assignee=None, child_unit=hd.child)
    _move(part, hd, assignee=hd.officer2, child_unit=None)
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == [
        ("canbo1@vanho.example", [f"{part.id}:unassigned"]),
        ("canbo2@vanho.example", [f"{part.id}:assigned"]),
    ]


def test_a_deadline_change_keeps_the_old_officers_notice(mail_app, smtp, run, world, hd) -> None:
    part = give(world, hd)
    run(local(2017, 4, 10, 10, 0))
    smtp.received.clear()
    _move(part, hd, assignee=hd.officer2)
    db.session.refresh(part)
    # A later edit of the deadline drops stale reminders, not the notice to the officer the
    # part left (nor the new one's).
    _move(part, hd, deadline=TODAY.replace(day=14))
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == [
        ("canbo1@vanho.example", [f"{part.id}:unassigned"]),
        ("canbo2@vanho.example", [f"{part.id}:assigned"]),
    ]


def test_a_part_cancelled_before_the_pass_sends_nothing(mail_app, smtp, run, world, hd) -> None:
    cancelled = give(world, hd)
    kept = give(world, hd, content="Việc còn lại")
    operations.decide_subtask(
        cancelled, actor=hd.head, decision="cancel", reason="Giao nhầm", seen_version=1
    )
    db.session.commit()
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == [("canbo1@vanho.example", [f"{kept.id}:assigned"])]


def test_moved_then_cancelled_before_the_pass_sends_nothing(mail_app, smtp, run, world, hd) -> None:
    part = give(world, hd)
    run(local(2017, 4, 10, 10, 0))
    smtp.received.clear()
    _move(part, hd, assignee=hd.officer2)
    db.session.refresh(part)
    operations.decide_subtask(
        part, actor=hd.head, decision="cancel", reason="Không cần nữa", seen_version=part.version
    )
    db.session.commit()
    run(local(2017, 4, 10, 15, 0))
    assert _messages(smtp) == []


@pytest.mark.parametrize(
    ("locale", "given", "moved", "line"),
    [
        (
            "vi",
            "Bạn được giao 1 việc",
            "Thay đổi việc được giao cho bạn",
            "- Việc “Rà soát thủ tục hành chính” đã được giao cho người khác.",
        ),
        (
            "en",
            "You were given 1 part(s)",
            "Changes to the parts given to you",
            "- The part “Rà soát thủ tục hành chính” was given to someone else.",
        ),
    ],
)
def test_messages_in_the_recipients_language(
    mail_app, smtp, run, world, hd, locale, given, moved, line
) -> None:
    hd.officer.locale = locale
    db.session.commit()
    part = give(world, hd)
    run(local(2017, 4, 10, 10, 0))
    assert _message_to(smtp, "canbo1@vanho.example")[0] == given
    smtp.received.clear()
    # In one pass: one part moved away from the officer, another given to them.
    _move(part, hd, assignee=hd.officer2)
    other = give(world, hd, content="Việc mới", assignee=hd.officer)
    run(local(2017, 4, 10, 15, 0))
    subject, body = _message_to(smtp, "canbo1@vanho.example")
    assert subject == moved
    assert line in body
    assert f"/subtasks/{other.id}" in body
    # The head, Vietnamese, is never written to here; the other officer reads Vietnamese.
    assert _message_to(smtp, "canbo2@vanho.example")[0] == "Bạn được giao 1 việc"


# --- in the application ----------------------------------------------------------------------


def test_the_notifications_page_links_to_the_part(world, hd, login) -> None:
    part = give(world, hd, assignee=None, child_unit=hd.child)
    client = login(hd.child_member)
    # The member of the child unit does not see the parent task...
    assert client.get(f"/tasks/{world.task.id}").status_code == 404
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Việc được giao cho bạn" in page and "Rà soát thủ tục hành chính" in page
    notice = db.session.scalar(
        db.select(SubtaskReminder).where(SubtaskReminder.subtask_id == part.id)
    )
    assert f"/notifications/subtask/{notice.id}" in page
    assert '<span class="count">1</span>' in page  # the unread badge counts it
    # ... and the notice opens the part's own page, which they see.
    response = client.get(f"/notifications/subtask/{notice.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/subtasks/{part.id}")
    assert client.get(f"/subtasks/{part.id}").status_code == 200
    db.session.refresh(notice)
    assert notice.read_dt is not None
    assert '<span class="count">' not in client.get("/notifications/").get_data(as_text=True)
    # Someone else's notice is not theirs to open.
    assert login(hd.officer).get(f"/notifications/subtask/{notice.id}").status_code == 404


def test_read_all_marks_the_part_notices_read_and_the_head_has_none(world, hd, login) -> None:
    give(world, hd)
    client = login(hd.officer)
    assert client.post("/notifications/read").status_code == 302
    assert (
        db.session.scalar(
            db.select(db.func.count(SubtaskReminder.id)).where(SubtaskReminder.read_dt.is_(None))
        )
        == 0
    )
    page = login(hd.head).get("/notifications/").get_data(as_text=True)
    assert "Việc được giao cho bạn" not in page
