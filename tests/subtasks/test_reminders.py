"""Sub-task reminders through a real SMTP server: to the officer before the deadline and when
overdue, to the unit's head on the first overdue day (before the chair hears of the parent),
once per day whatever the number of passes."""

from __future__ import annotations

from datetime import date

from tests.reminders.conftest import local
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import SubtaskReminder


def _subtask_messages(smtp):  # type: ignore[no-untyped-def]
    """(recipient, [subtask_id:kind ...]) of each sub-task message received."""
    return sorted(
        (m.to, str(m.message["X-Tracker-Subtasks"]).split())
        for m in smtp.received
        if m.message["X-Tracker-Subtasks"]
    )


def _creation_notices_go_out(run, smtp) -> None:  # type: ignore[no-untyped-def]
    """The pass after the parts were given (3 April) sends their "you were given" notices
    (tests/subtasks/test_notices.py): these tests count the deadline reminders after it."""
    run(local(2017, 4, 3, 15, 0))
    assert {k.split(":")[1] for _to, kinds in _subtask_messages(smtp) for k in kinds} == {
        "assigned"
    }
    smtp.received.clear()


def test_officer_reminded_head_escalated_once(mail_app, smtp, run, world, hd) -> None:
    soon = operations.create_subtask(
        world.task,
        actor=hd.head,
        content="Rà soát thủ tục",
        deadline=date(2017, 4, 12),
        today=date(2017, 4, 3),
        assignee=hd.officer,
    )
    late = operations.create_subtask(
        world.task,
        actor=hd.head,
        content="Tổng hợp số liệu",
        deadline=date(2017, 4, 7),
        today=date(2017, 4, 3),
        assignee=hd.officer2,
    )
    far = operations.create_subtask(
        world.task,
        actor=hd.head,
        content="Lưu hồ sơ",
        deadline=date(2017, 4, 20),
        today=date(2017, 4, 3),
        assignee=None,
        child_unit=hd.child,
    )
    db.session.commit()
    _creation_notices_go_out(run, smtp)

    run(local(2017, 4, 10, 7, 0))  # before the digest time: nothing yet
    assert _subtask_messages(smtp) == []

    run(local(2017, 4, 10, 7, 35))
    assert _subtask_messages(smtp) == [
        ("canbo1@vanho.example", [f"{soon.id}:due_soon"]),
        ("canbo2@vanho.example", [f"{late.id}:overdue"]),
        ("truongnoivu@vanho.example", [f"{late.id}:escalation"]),
    ]
    head_mail = next(
        m
        for m in smtp.received
        if m.to == "truongnoivu@vanho.example" and m.message["X-Tracker-Subtasks"]
    )
    body = head_mail.message.get_content()
    assert "Tổng hợp số liệu" in body and "Cán Bộ Hai" in body and "07/04/2017" in body
    assert f"/subtasks/{late.id}" in body
    # The chair hears nothing of a part: the parent is not late.
    assert not any(m.to == "chutich@vanho.example" for m in smtp.received)

    smtp.received.clear()
    run(local(2017, 4, 10, 8, 0))  # a second pass the same day sends nothing again
    assert _subtask_messages(smtp) == []

    run(local(2017, 4, 11, 7, 35))
    # Overdue every second day (the admin's rule), escalated once; due soon again.
    assert _subtask_messages(smtp) == [("canbo1@vanho.example", [f"{soon.id}:due_soon"])]
    smtp.received.clear()
    run(local(2017, 4, 12, 7, 35))
    assert _subtask_messages(smtp) == [
        ("canbo1@vanho.example", [f"{soon.id}:due_soon"]),
        ("canbo2@vanho.example", [f"{late.id}:overdue"]),
    ]
    # The far part: nothing but the notice of its being given, on 3 April.
    assert {
        (r.kind, r.day)
        for r in db.session.scalars(
            db.select(SubtaskReminder).where(SubtaskReminder.subtask_id == far.id)
        )
    } == {("assigned", date(2017, 4, 3))}


def test_reported_parts_are_not_chased_and_refusals_are_retried(
    mail_app, smtp, run, world, hd
) -> None:
    done = operations.create_subtask(
        world.task,
        actor=hd.head,
        content="Đã xong",
        deadline=date(2017, 4, 11),
        today=date(2017, 4, 3),
        assignee=hd.officer2,
    )
    chased = operations.create_subtask(
        world.task,
        actor=hd.head,
        content="Còn làm",
        deadline=date(2017, 4, 11),
        today=date(2017, 4, 3),
        assignee=hd.officer,
    )
    operations.report_subtask(
        done,
        actor=hd.officer2,
        note="Xong",
        progress=None,
        done=True,
        today=date(2017, 4, 5),
        seen_version=done.version,
    )
    db.session.commit()
    _creation_notices_go_out(run, smtp)
    # Refuse every message of the first pass (task reminders and sub-task ones alike).
    smtp.refuse = 100
    run(local(2017, 4, 10, 7, 35))
    assert _subtask_messages(smtp) == []
    row = db.session.scalar(
        db.select(SubtaskReminder).where(
            SubtaskReminder.subtask_id == chased.id, SubtaskReminder.kind == "due_soon"
        )
    )
    assert row.sent_dt is None and row.attempts == 1
    smtp.refuse = 0
    run(local(2017, 4, 10, 7, 45))
    assert _subtask_messages(smtp) == [("canbo1@vanho.example", [f"{chased.id}:due_soon"])]
