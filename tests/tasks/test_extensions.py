"""Extensions (gia hạn): requests by the lead unit, decisions by the chair or office, scoring
against the original or the current deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import NotVisible, PermissionDenied
from tracker.extensions import db
from tracker.tasks import operations as ops
from tracker.tasks.extensions import decide_extension, pending_request, request_extension
from tracker.tasks.models import ExtensionRequest, Task, Timeliness
from tracker.tasks.timeliness import (
    classify,
    scoring_deadline,
    scoring_deadline_column,
    timeliness_clause,
)

ROLES = ["lead_user", "coord_user", "other_user", "chair", "office", "admin"]


def _request(world, **kw):
    values = {"new_deadline": date(2017, 5, 5), "reason": "Chờ số liệu của tỉnh"}
    values.update(kw)
    return request_extension(world.task, actor=world.lead_user, **values)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_request(world, who) -> None:
    actor = getattr(world, who)
    if who == "lead_user":
        request = request_extension(
            world.task, actor=actor, new_deadline=date(2017, 5, 5), reason="Lý do"
        )
        assert request.status == "pending" and request.old_deadline == date(2017, 4, 20)
        return
    expected = NotVisible if who == "other_user" else PermissionDenied
    with pytest.raises(expected):
        request_extension(world.task, actor=actor, new_deadline=date(2017, 5, 5), reason="Lý do")
    assert pending_request(world.task) is None


@pytest.mark.parametrize("who", ROLES)
def test_who_may_decide(world, who) -> None:
    request = _request(world)
    actor = getattr(world, who)
    if who in ("chair", "office", "admin"):
        decide_extension(request, actor=actor, approve=True)
        assert world.task.deadline == date(2017, 5, 5)
        return
    expected = NotVisible if who == "other_user" else PermissionDenied
    with pytest.raises(expected):
        decide_extension(request, actor=actor, approve=True)
    assert request.status == "pending" and world.task.deadline == date(2017, 4, 20)


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"new_deadline": None}, "new_deadline", "Vui lòng nhập thời hạn đề nghị"),
        ({"new_deadline": date(2017, 4, 20)}, "new_deadline", "phải sau thời hạn hiện tại"),
        ({"new_deadline": date(2017, 4, 15)}, "new_deadline", "phải sau thời hạn hiện tại"),
        ({"reason": "   "}, "reason", "Vui lòng nêu lý do"),
        ({"reason": "x" * 50_000}, "reason", "quá dài"),
    ],
)
def test_bad_requests(world, kw, field, message) -> None:
    with pytest.raises(ValidationError) as error:
        _request(world, **kw)
    assert message in error.value.errors[field]
    assert db.session.scalar(db.select(db.func.count()).select_from(ExtensionRequest)) == 0


def test_request_before_the_meeting_is_refused(world) -> None:
    world.task.deadline = None
    with pytest.raises(ValidationError) as error:
        _request(world, new_deadline=date(2017, 3, 1))
    assert "trước ngày họp" in error.value.errors["new_deadline"]


def test_one_pending_request_at_a_time(world) -> None:
    _request(world)
    with pytest.raises(ValidationError) as error:
        _request(world, new_deadline=date(2017, 5, 10))
    assert "đang chờ quyết định" in error.value.errors["new_deadline"]


def test_request_after_the_deadline_passed(app, world) -> None:
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 25, 2, tzinfo=UTC)
    assert world.task.timeliness(date(2017, 4, 25)) == Timeliness.OPEN_OVERDUE
    request = _request(world)
    decide_extension(request, actor=world.chair, approve=True)
    assert world.task.timeliness(date(2017, 4, 25)) == Timeliness.OPEN_ON_TIME


def test_closed_task_cannot_be_extended(world) -> None:
    ops.post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    with pytest.raises(ValidationError) as error:
        _request(world)
    assert "đã kết thúc" in error.value.errors["status"]


def test_pending_request_on_a_task_closed_meanwhile_can_only_be_refused(world) -> None:
    request = _request(world)
    ops.post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    with pytest.raises(ValidationError):
        decide_extension(request, actor=world.chair, approve=True)
    assert world.task.deadline == date(2017, 4, 20)
    decide_extension(request, actor=world.chair, approve=False, comment="Đã hoàn thành")
    assert request.status == "refused"


def test_approval_keeps_both_deadlines_and_counts(world) -> None:
    first = _request(world)
    decide_extension(first, actor=world.chair, approve=True, deadline=date(2017, 4, 28))
    assert (world.task.original_deadline, world.task.deadline) == (
        date(2017, 4, 20),
        date(2017, 4, 28),
    )
    assert first.approved_deadline == date(2017, 4, 28) and world.task.extension_count == 1
    second = _request(world, new_deadline=date(2017, 5, 15))
    assert second.old_deadline == date(2017, 4, 28)
    decide_extension(second, actor=world.office, approve=True)
    db.session.commit()
    assert world.task.original_deadline == date(2017, 4, 20)
    assert world.task.deadline == date(2017, 5, 15) and world.task.extension_count == 2
    kinds = [(e.kind, e.actor.username, e.old_value, e.new_value) for e in world.task.events]
    assert kinds == [
        ("created", "vanphong", None, None),
        ("extension_requested", "noivu", "2017-04-20", "2017-05-05"),
        ("extension_decided", "chutich", "2017-04-20", "2017-04-28"),
        ("extension_requested", "noivu", "2017-04-28", "2017-05-15"),
        ("extension_decided", "vanphong", "2017-04-28", "2017-05-15"),
    ]


def test_refusal_needs_a_comment_and_changes_nothing(world) -> None:
    request = _request(world)
    with pytest.raises(ValidationError) as error:
        decide_extension(request, actor=world.chair, approve=False)
    assert "comment" in error.value.errors
    decide_extension(request, actor=world.chair, approve=False, comment="Không có căn cứ")
    assert request.status == "refused" and request.decision_comment == "Không có căn cứ"
    assert world.task.deadline == date(2017, 4, 20) and world.task.extension_count == 0
    with pytest.raises(ValidationError) as error:
        decide_extension(request, actor=world.chair, approve=True)
    assert "đã được quyết định" in error.value.errors["status"]
    assert world.task.events[-1].kind == "extension_decided"
    assert world.task.events[-1].note == "Không có căn cứ"


def test_approved_date_must_move_the_deadline_later(world) -> None:
    request = _request(world)
    with pytest.raises(ValidationError) as error:
        decide_extension(request, actor=world.chair, approve=True, deadline=date(2017, 4, 18))
    assert "phải sau thời hạn hiện tại" in error.value.errors["deadline"]
    assert request.status == "pending"


def test_decision_on_a_stale_version(world) -> None:
    request = _request(world)
    seen = world.task.version
    ops.post_progress(world.task, actor=world.lead_user, note="Đang làm", progress=30)
    with pytest.raises(StaleVersion):
        decide_extension(request, actor=world.chair, approve=True, seen_version=seen)
    assert request.status == "pending"


def test_scoring_against_original_or_current(app, world) -> None:
    # Extended from 20/4 to 5/5, submitted 2/5, confirmed: late against the original
    # deadline, on time against the approved one.
    decide_extension(_request(world), actor=world.chair, approve=True)
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 5, 2, 2, tzinfo=UTC)
    ops.post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    db.session.commit()
    task = world.task
    today = date(2017, 5, 10)

    def counted(kind: str, against: str) -> int:
        column = scoring_deadline_column(against)
        clause = timeliness_clause(kind, today, deadline=column)
        return db.session.scalar(db.select(db.func.count()).select_from(Task).where(clause))

    assert counted(Timeliness.DONE_ON_TIME, "current") == 1
    assert counted(Timeliness.DONE_LATE, "current") == 0
    assert counted(Timeliness.DONE_ON_TIME, "original") == 0
    assert counted(Timeliness.DONE_LATE, "original") == 1
    assert scoring_deadline(task, "original") == date(2017, 4, 20)
    assert scoring_deadline(task, "current") == date(2017, 5, 5)
    values = {"status": task.status, "deadline": task.deadline, "completed_on": task.completed_on}
    assert classify(**values, today=today) == Timeliness.DONE_ON_TIME
    assert (
        classify(
            **values, today=today, original_deadline=task.original_deadline, against="original"
        )
        == Timeliness.DONE_LATE
    )
    # The setting decides when no choice is passed; the default is the current deadline.
    assert app.config["TRACKER_SCORE_AGAINST"] == "current"
    assert scoring_deadline(task) == date(2017, 5, 5)
    app.config["TRACKER_SCORE_AGAINST"] = "original"
    assert scoring_deadline(task) == date(2017, 4, 20)
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Task)
            .where(timeliness_clause("done_late", today, deadline=scoring_deadline_column()))
        )
        == 1
    )


def test_open_overdue_against_original(world) -> None:
    decide_extension(_request(world), actor=world.chair, approve=True)
    db.session.commit()
    today = date(2017, 4, 25)

    def ids(against: str) -> list[int]:
        clause = timeliness_clause("open_overdue", today, deadline=scoring_deadline_column(against))
        return list(db.session.scalars(db.select(Task.id).where(clause)))

    assert ids("current") == [] and ids("original") == [world.task.id]


def test_setting_is_validated(monkeypatch, tmp_path) -> None:
    from tracker.config import load_config

    monkeypatch.setenv("TRACKER_SCORE_AGAINST", "original")
    assert load_config(str(tmp_path))["TRACKER_SCORE_AGAINST"] == "original"
    monkeypatch.setenv("TRACKER_SCORE_AGAINST", "sometimes")
    with pytest.raises(RuntimeError):
        load_config(str(tmp_path))
