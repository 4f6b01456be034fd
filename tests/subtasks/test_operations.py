"""Breaking a task down: who may, the deadline bound, reporting, confirming, the roll-up."""

from __future__ import annotations

from datetime import date

import pytest

from tests.subtasks.conftest import TODAY, give
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import PermissionDenied
from tracker.extensions import db
from tracker.reports.operations import make_scope, unit_summary
from tracker.reports.periods import Period
from tracker.subtasks import operations
from tracker.subtasks.models import SubtaskStatus
from tracker.tasks.operations import change_status, post_progress


def test_head_breaks_down_a_task_for_officers_and_a_child_unit(world, hd) -> None:
    one = give(world, hd)
    two = give(world, hd, assignee=hd.officer2, content="Tổng hợp số liệu")
    three = give(world, hd, assignee=None, child_unit=hd.child, content="Lưu hồ sơ")
    parts = operations.subtasks_of(world.task.id)
    assert [p.id for p in parts] == [one.id, two.id, three.id]
    assert {p.assignee_name for p in parts} == {"Cán Bộ Một", "Cán Bộ Hai", "Tổ Văn thư - Lưu trữ"}
    assert all(p.unit_id == world.noivu.id and p.status == "open" for p in parts)
    assert [e.kind for e in one.events] == ["created"]
    assert one.events[0].actor_id == hd.head.id


@pytest.mark.parametrize("who", ["officer", "lead_user", "coord_user", "office", "chair"])
def test_only_the_lead_units_head_breaks_down(world, hd, who) -> None:
    actor = getattr(hd, who, None) or getattr(world, who)
    with pytest.raises(PermissionDenied):
        give(world, hd, actor=actor)


def test_a_head_of_another_unit_may_not(world, hd) -> None:
    from tests.factories import make_user
    from tracker.auth.models import Role

    # Phòng Tư pháp neither leads nor coordinates the task (a coordinating unit's head hands
    # down its own contribution: test_coordinating.py).
    other_head = make_user(Role.UNIT_HEAD, world.tuphap, "truongtuphap")
    with pytest.raises(PermissionDenied):
        give(world, hd, actor=other_head)


def test_the_deadline_is_bounded_by_the_parents(world, hd) -> None:
    assert world.task.deadline == date(2017, 4, 20)
    give(world, hd, deadline=date(2017, 4, 20))  # the parent's own day is allowed
    with pytest.raises(ValidationError) as late:
        give(world, hd, deadline=date(2017, 4, 21))
    assert "20/04/2017" in late.value.errors["deadline"]
    with pytest.raises(ValidationError) as past:
        give(world, hd, deadline=date(2017, 4, 9))
    assert "deadline" in past.value.errors
    with pytest.raises(ValidationError) as missing:
        give(world, hd, deadline=None)
    assert "deadline" in missing.value.errors


def test_assignees_must_be_the_lead_units_officers_or_child_units(world, hd) -> None:
    for kw in (
        {"assignee": world.coord_user},  # another unit's officer
        {"assignee": world.inactive_user},  # left the unit
        {"assignee": None, "child_unit": world.taichinh},  # not under the lead unit
        {"assignee": None},  # nobody
        {"assignee": hd.officer, "child_unit": hd.child},  # both
    ):
        with pytest.raises(ValidationError) as error:
            give(world, hd, **kw)
        assert "assignee" in error.value.errors
        db.session.rollback()


def test_a_closed_task_is_not_broken_down(world, hd) -> None:
    change_status(
        world.task, actor=world.office, transition_name="cancel", reason="Không còn phù hợp"
    )
    db.session.commit()
    with pytest.raises(ValidationError) as error:
        give(world, hd)
    assert "task" in error.value.errors


def test_officer_reports_head_confirms_or_reopens(world, hd) -> None:
    part = give(world, hd)
    with pytest.raises(PermissionDenied):  # not theirs
        operations.report_subtask(
            part,
            actor=hd.officer2,
            note="x",
            progress=10,
            done=False,
            today=TODAY,
            seen_version=part.version,
        )
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Đã rà soát 10 thủ tục",
        progress=40,
        done=False,
        today=TODAY,
        seen_version=part.version,
    )
    db.session.commit()
    assert (part.status, part.progress, part.last_note) == ("open", 40, "Đã rà soát 10 thủ tục")
    with pytest.raises(StaleVersion):
        operations.report_subtask(
            part,
            actor=hd.officer,
            note="cũ",
            progress=50,
            done=False,
            today=TODAY,
            seen_version=1,
        )
    with pytest.raises(ValidationError) as no_result:
        operations.report_subtask(
            part,
            actor=hd.officer,
            note="",
            progress=None,
            done=True,
            today=TODAY,
            seen_version=part.version,
        )
    assert "note" in no_result.value.errors
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Đã rà soát xong 25 thủ tục",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=part.version,
    )
    db.session.commit()
    assert (part.status, part.progress, part.completed_on) == ("reported", 100, TODAY)
    with pytest.raises(PermissionDenied):  # the officer does not confirm their own work
        operations.decide_subtask(
            part, actor=hd.officer, decision="confirm", reason="", seen_version=part.version
        )
    with pytest.raises(ValidationError) as no_reason:
        operations.decide_subtask(
            part, actor=hd.head, decision="reopen", reason="", seen_version=part.version
        )
    assert "reason" in no_reason.value.errors
    operations.decide_subtask(
        part,
        actor=hd.head,
        decision="reopen",
        reason="Thiếu 2 thủ tục",
        seen_version=part.version,
    )
    db.session.commit()
    assert (part.status, part.completed_on) == ("open", None)
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Bổ sung đủ",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=part.version,
    )
    operations.decide_subtask(
        part, actor=hd.head, decision="confirm", reason="", seen_version=part.version
    )
    db.session.commit()
    assert part.status == SubtaskStatus.DONE
    assert [e.kind for e in part.events] == [
        "created",
        "progress",
        "reported",
        "reopened",
        "reported",
        "confirmed",
    ]


def test_child_unit_members_report_on_their_units_part(world, hd) -> None:
    part = give(world, hd, assignee=None, child_unit=hd.child)
    operations.report_subtask(
        part,
        actor=hd.child_member,
        note="Đã lưu",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=part.version,
    )
    db.session.commit()
    assert part.status == "reported"
    assert [s.id for s in operations.my_subtasks(hd.child_member)] == [part.id]


def test_rollup_and_the_drafted_report(world, hd) -> None:
    one = give(world, hd, content="Rà soát thủ tục", deadline=date(2017, 4, 12))
    two = give(world, hd, assignee=hd.officer2, content="Tổng hợp số liệu")
    three = give(world, hd, content="Việc thừa")
    operations.report_subtask(
        one,
        actor=hd.officer,
        note="Xong 25 thủ tục",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=one.version,
    )
    operations.decide_subtask(
        one, actor=hd.head, decision="confirm", reason="", seen_version=one.version
    )
    operations.report_subtask(
        two,
        actor=hd.officer2,
        note="Đã có số liệu 3 xã",
        progress=50,
        done=False,
        today=TODAY,
        seen_version=two.version,
    )
    operations.decide_subtask(
        three, actor=hd.head, decision="cancel", reason="Trùng", seen_version=three.version
    )
    db.session.commit()
    parts = operations.subtasks_of(world.task.id)
    rolled = operations.rollup(parts, TODAY)
    assert (rolled.total, rolled.done, rolled.open, rolled.overdue, rolled.progress) == (
        2,
        1,
        1,
        0,
        75,
    )
    # Two days later the second part is still on time; on 19/4 it is overdue.
    assert operations.rollup(parts, date(2017, 4, 19)).overdue == 1
    text = operations.report_text(parts)
    assert text.splitlines() == [
        "- Rà soát thủ tục (Cán Bộ Một): Đã hoàn thành. Xong 25 thủ tục",
        "- Tổng hợp số liệu (Cán Bộ Hai): Đang thực hiện, 50%. Đã có số liệu 3 xã",
    ]


def test_the_parents_timeliness_and_official_counts_do_not_change(world, hd) -> None:
    scope = make_scope(Period(date(2017, 4, 1), date(2017, 4, 30)), today=date(2017, 4, 25))
    before = unit_summary(scope)
    part = give(world, hd)
    operations.report_subtask(
        part,
        actor=hd.officer,
        note="Xong",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=part.version,
    )
    operations.decide_subtask(
        part, actor=hd.head, decision="confirm", reason="", seen_version=part.version
    )
    db.session.commit()
    db.session.refresh(world.task)
    # Every part done: the task is still open and, after its deadline, overdue.
    assert world.task.status == "new" and world.task.version == 1
    assert world.task.timeliness(date(2017, 4, 25)) == "open_overdue"
    assert unit_summary(scope) == before
    # The lead unit still reports on the parent itself.
    post_progress(
        world.task,
        actor=world.lead_user,
        note="Xong",
        progress=100,
        status="submitted",
        seen_version=1,
    )
    db.session.commit()
    assert world.task.status == "submitted"


def test_a_unit_head_must_belong_to_a_unit(app) -> None:
    from tracker.auth.operations import create_user, set_role

    with pytest.raises(ValidationError) as error:
        create_user(username="truong", full_name="Trưởng", password="x" * 12, role="unit_head")
    assert "unit_id" in error.value.errors
    from tests.factories import make_user
    from tracker.auth.models import Role

    admin_like = make_user(Role.OFFICE, None, "vp")
    with pytest.raises(ValidationError):
        set_role(admin_like, "unit_head")
