"""Task rules: the state machine, timeliness, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import NotVisible, PermissionDenied
from tracker.extensions import db
from tracker.tasks import operations as ops
from tracker.tasks.models import Status, Timeliness
from tracker.tasks.timeliness import classify


@pytest.mark.parametrize(
    ("status", "deadline", "completed", "today", "expected"),
    [
        ("done", date(2017, 4, 20), date(2017, 4, 20), date(2017, 5, 1), Timeliness.DONE_ON_TIME),
        ("done", date(2017, 4, 20), date(2017, 4, 21), date(2017, 5, 1), Timeliness.DONE_LATE),
        ("done", None, date(2017, 4, 21), date(2017, 5, 1), Timeliness.DONE_ON_TIME),
        ("in_progress", date(2017, 4, 20), None, date(2017, 4, 20), Timeliness.DUE_SOON),
        ("in_progress", date(2017, 4, 20), None, date(2017, 4, 21), Timeliness.OPEN_OVERDUE),
        ("submitted", date(2017, 4, 20), None, date(2017, 4, 21), Timeliness.OPEN_OVERDUE),
        ("new", date(2017, 5, 20), None, date(2017, 4, 10), Timeliness.OPEN_ON_TIME),
        ("new", None, None, date(2017, 4, 10), Timeliness.NO_DEADLINE),
        # Friday 14/4/2017 + 3 working days = Wednesday 19/4: due soon; 20/4 is not.
        ("new", date(2017, 4, 19), None, date(2017, 4, 14), Timeliness.DUE_SOON),
        ("new", date(2017, 4, 20), None, date(2017, 4, 14), Timeliness.OPEN_ON_TIME),
        ("cancelled", date(2017, 4, 20), None, date(2017, 5, 1), None),
        ("paused", date(2017, 4, 20), None, date(2017, 5, 1), None),
    ],
)
def test_timeliness(status, deadline, completed, today, expected) -> None:
    assert (
        classify(status=status, deadline=deadline, completed_on=completed, today=today) == expected
    )


def test_submit_then_confirm_dates_completion_at_submission(app, world) -> None:
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 20, 9, tzinfo=UTC)  # 16:00 local
    ops.post_progress(
        world.task, actor=world.lead_user, note="Đã trình kế hoạch", status="submitted"
    )
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 24, 2, tzinfo=UTC)
    ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    db.session.commit()
    assert world.task.status == Status.DONE
    assert world.task.completed_on == date(2017, 4, 20)
    assert world.task.result == "Đã trình kế hoạch" and world.task.progress == 100
    assert world.task.timeliness(date(2017, 5, 1)) == Timeliness.DONE_ON_TIME


def test_submission_after_midnight_local_counts_next_day(app, world) -> None:
    # 17:30 UTC on 20/4 is 00:30 on 21/4 in Hanoi: one day late.
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 20, 17, 30, tzinfo=UTC)
    ops.post_progress(world.task, actor=world.lead_user, note="Nộp muộn", status="submitted")
    ops.change_status(world.task, actor=world.office, transition_name="confirm")
    assert world.task.completed_on == date(2017, 4, 21)
    assert world.task.timeliness(date(2017, 5, 1)) == Timeliness.DONE_LATE


def test_return_needs_a_reason_and_reopens_work(world) -> None:
    ops.post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    with pytest.raises(ValidationError) as error:
        ops.change_status(world.task, actor=world.chair, transition_name="return")
    assert "reason" in error.value.errors
    ops.change_status(
        world.task, actor=world.chair, transition_name="return", reason="Bổ sung số liệu"
    )
    assert world.task.status == Status.RETURNED
    ops.post_progress(world.task, actor=world.lead_user, note="Đã bổ sung", status="submitted")
    assert world.task.status == Status.SUBMITTED


# (actor, transition, from status) -> allowed?
ROLES = ["lead_user", "coord_user", "other_user", "chair", "office", "admin"]
DECISIONS = ["confirm", "return", "pause", "resume", "cancel", "reopen"]
START = {
    "confirm": "submitted",
    "return": "submitted",
    "pause": "in_progress",
    "resume": "paused",
    "cancel": "in_progress",
    "reopen": "done",
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("transition", DECISIONS)
def test_decisions_by_role(world, who, transition) -> None:
    world.task.status = START[transition]
    db.session.flush()
    actor = getattr(world, who)
    expected_ok = who in ("chair", "office", "admin")
    if expected_ok:
        ops.change_status(world.task, actor=actor, transition_name=transition, reason="Lý do")
        assert world.task.status == ops.TRANSITIONS[transition].target
    else:
        expected = NotVisible if who == "other_user" else PermissionDenied
        with pytest.raises(expected):
            ops.change_status(world.task, actor=actor, transition_name=transition, reason="Lý do")
        assert world.task.status == START[transition]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("target", ["in_progress", "submitted"])
def test_reporting_by_role(world, who, target) -> None:
    actor = getattr(world, who)
    if who == "lead_user":
        ops.post_progress(world.task, actor=actor, note="Báo cáo", status=target)
        assert world.task.status == target
    else:
        expected = NotVisible if who == "other_user" else PermissionDenied
        with pytest.raises(expected):
            ops.post_progress(world.task, actor=actor, note="Báo cáo", status=target)


def test_illegal_moves_are_refused(world) -> None:
    with pytest.raises(ValidationError):
        ops.post_progress(world.task, actor=world.lead_user, note="x", status="done")
    with pytest.raises(ValidationError):
        ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    with pytest.raises(ValidationError):
        ops.post_progress(world.task, actor=world.lead_user, note="x", status="bogus")
    with pytest.raises(ValidationError):
        ops.change_status(world.task, actor=world.chair, transition_name="bogus")
    assert world.task.status == Status.NEW


def test_stale_version_raises(world) -> None:
    with pytest.raises(StaleVersion) as stale:
        ops.post_progress(
            world.task, actor=world.lead_user, note="x", seen_version=world.task.version - 1
        )
    assert stale.value.changed_by == "Lò Thị Hoa"


def test_every_change_is_recorded(world) -> None:
    ops.post_progress(world.task, actor=world.lead_user, note="Bắt đầu", progress=20)
    ops.add_comment(world.task, actor=world.coord_user, note="Đề nghị bổ sung kinh phí")
    ops.change_status(world.task, actor=world.chair, transition_name="pause", reason="Chờ tỉnh")
    db.session.commit()
    rows = [(e.kind, e.actor.username, e.old_value, e.new_value) for e in world.task.events]
    assert rows == [
        ("created", "vanphong", None, None),
        ("progress", "noivu", "new", "in_progress"),
        ("comment", "tckh", None, None),
        ("status", "chutich", "in_progress", "paused"),
    ]
