"""The lifecycle as a table: every role × every transition × every starting status."""

from __future__ import annotations

import pytest

from tracker.core.errors import ValidationError
from tracker.core.permissions import NotVisible, PermissionDenied
from tracker.extensions import db
from tracker.tasks import operations as ops

STATUSES = ["new", "in_progress", "submitted", "done", "returned", "paused", "cancelled"]
OPEN = {"new", "in_progress", "submitted", "returned"}

# Written out by hand from the issue, independently of operations.TRANSITIONS:
# transition -> (who may, from which statuses, to which status)
LIFECYCLE = {
    "start": ("lead", {"new"}, "in_progress"),
    "submit": ("lead", {"new", "in_progress", "returned"}, "submitted"),
    "confirm": ("manager", {"submitted"}, "done"),
    "return": ("manager", {"submitted"}, "returned"),
    "pause": ("manager", OPEN, "paused"),
    "resume": ("manager", {"paused"}, "in_progress"),
    "cancel": ("manager", OPEN | {"paused"}, "cancelled"),
    "reopen": ("manager", {"done", "cancelled"}, "in_progress"),
}
ROLES = {
    "lead_user": "lead",
    "coord_user": "coordinating",
    "other_user": "unrelated",
    "chair": "manager",
    "office": "manager",
    "admin": "manager",
}


def test_table_covers_the_machine() -> None:
    assert set(LIFECYCLE) == set(ops.TRANSITIONS)


@pytest.mark.parametrize("who", sorted(ROLES))
@pytest.mark.parametrize("transition", sorted(LIFECYCLE))
def test_role_transition_status(world, who, transition) -> None:
    allowed_role, sources, target = LIFECYCLE[transition]
    actor = getattr(world, who)
    role = ROLES[who]
    for status in STATUSES:
        world.task.status = status
        world.task.completed_on = None
        db.session.flush()
        before_events = len(world.task.events)
        call = lambda: ops.change_status(  # noqa: E731
            world.task, actor=actor, transition_name=transition, reason="Lý do ghi rõ"
        )
        if role == "unrelated":
            with pytest.raises(NotVisible):
                call()
        elif role != allowed_role:
            with pytest.raises(PermissionDenied):
                call()
        elif status not in sources:
            with pytest.raises(ValidationError):
                call()
        else:
            call()
            assert world.task.status == target, (who, transition, status)
            assert world.task.events[-1].old_value == status
            assert world.task.events[-1].new_value == target
            continue
        assert world.task.status == status, (who, transition, status)
        assert len(world.task.events) == before_events


@pytest.mark.parametrize("transition", ["return", "pause", "cancel", "reopen"])
def test_reasons_are_required(world, transition) -> None:
    world.task.status = sorted(LIFECYCLE[transition][1])[0]
    db.session.flush()
    with pytest.raises(ValidationError) as error:
        ops.change_status(world.task, actor=world.office, transition_name=transition, reason=" ")
    assert "reason" in error.value.errors


def test_completion_date_survives_only_while_done(app, world) -> None:
    from datetime import UTC, date, datetime

    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 18, 3, tzinfo=UTC)
    ops.post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 27, 3, tzinfo=UTC)
    ops.change_status(world.task, actor=world.chair, transition_name="confirm")
    assert world.task.completed_on == date(2017, 4, 18)
    ops.change_status(world.task, actor=world.chair, transition_name="reopen", reason="Sai số")
    assert world.task.completed_on is None and world.task.status == "in_progress"
