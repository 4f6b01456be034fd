"""Breaking a task down, reporting on the parts, and rolling them up; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from tracker.auth.models import Role, User
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import (
    PermissionDenied,
    SubtaskAction,
    assigned_subtasks_clause,
    can_break_down,
    require_subtask,
)
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.subtasks.models import (
    Subtask,
    SubtaskEvent,
    SubtaskEventKind,
    SubtaskStatus,
)
from tracker.tasks.models import OPEN_STATUSES, Task
from tracker.units.models import Unit

MAX_CONTENT_CHARS = 5_000
MAX_NOTE_CHARS = 20_000

STATUS_LABELS = {
    SubtaskStatus.OPEN.value: _l("Đang thực hiện"),
    SubtaskStatus.REPORTED.value: _l("Chờ trưởng đơn vị xác nhận"),
    SubtaskStatus.DONE.value: _l("Đã hoàn thành"),
    SubtaskStatus.CANCELLED.value: _l("Đã huỷ"),
}

EVENT_LABELS = {
    SubtaskEventKind.CREATED.value: _l("Giao việc"),
    SubtaskEventKind.PROGRESS.value: _l("Báo cáo tiến độ"),
    SubtaskEventKind.REPORTED.value: _l("Báo cáo hoàn thành"),
    SubtaskEventKind.CONFIRMED.value: _l("Xác nhận hoàn thành"),
    SubtaskEventKind.REOPENED.value: _l("Yêu cầu làm lại"),
    SubtaskEventKind.CANCELLED.value: _l("Huỷ việc"),
    SubtaskEventKind.EDITED.value: _l("Sửa việc"),
}

FIELD_LABELS = {
    "content": _l("Nội dung công việc"),
    "assignee": _l("Giao cho"),
    "deadline": _l("Thời hạn"),
}


def status_label(status: str) -> str:
    """The sub-task status as people read it."""
    return str(STATUS_LABELS.get(status, status))


def _event(
    subtask: Subtask, actor: User | None, kind: SubtaskEventKind, **fields: object
) -> SubtaskEvent:
    event = SubtaskEvent(
        subtask=subtask, actor=actor, kind=kind.value, created_dt=now_utc(), **fields
    )
    db.session.add(event)
    return event


def stale_error(subtask: Subtask) -> StaleVersion:
    """The "changed by X at HH:MM" error for a sub-task whose version moved on."""
    last = db.session.scalar(
        sa.select(SubtaskEvent)
        .where(SubtaskEvent.subtask_id == subtask.id)
        .order_by(SubtaskEvent.id.desc())
        .limit(1)
    )
    who = last.actor.full_name if last and last.actor else "?"
    return StaleVersion(who, last.created_dt if last else None, subtask.version)


def _check_version(subtask: Subtask, seen_version: int | None) -> None:
    # None only from internal callers (the demo); forms and the API always send one.
    if seen_version is not None and seen_version != subtask.version:
        raise stale_error(subtask)


def officer_choices(unit_id: int) -> list[User]:
    """The active people of the unit a head may give work to (the head included: heads
    sometimes keep a part)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.unit_id == unit_id,
                User.is_active_user.is_(True),
                User.role.in_([Role.UNIT.value, Role.UNIT_HEAD.value]),
            )
            .order_by(User.full_name)
        )
    )


def child_unit_choices(unit_id: int) -> list[Unit]:
    """The active units under `unit_id` (a commune's sections) a head may give work to."""
    return list(
        db.session.scalars(
            sa.select(Unit)
            .where(Unit.parent_id == unit_id, Unit.is_active.is_(True))
            .order_by(Unit.name_folded)
        )
    )


def check_deadline(task: Task, deadline: date | None, today: date) -> str | None:
    """Why `deadline` cannot be a sub-task's deadline under `task`, or None."""
    if deadline is None:
        return _("Vui lòng nhập thời hạn.")
    if task.deadline is not None and deadline > task.deadline:
        return _(
            "Thời hạn không được sau thời hạn của nhiệm vụ (%(day)s).",
            day=task.deadline.strftime("%d/%m/%Y"),
        )
    if deadline < today:
        return _("Thời hạn không được trước ngày hôm nay.")
    return None


def _check_fields(
    unit_id: int,
    content: str,
    assignee: User | None,
    child_unit: Unit | None,
    errors: dict[str, str],
) -> str:
    """Check a part's content and its one assignee (an active officer of `unit_id`, the unit
    giving the part, or an active unit under it); returns the content stripped."""
    content = (content or "").strip()
    if not content:
        errors["content"] = _("Vui lòng nhập nội dung công việc.")
    elif len(content) > MAX_CONTENT_CHARS:
        errors["content"] = _("Nội dung quá dài (tối đa %(n)s ký tự).", n=MAX_CONTENT_CHARS)
    if (assignee is None) == (child_unit is None):
        errors["assignee"] = _("Chọn một cán bộ hoặc một đơn vị trực thuộc.")
    elif assignee is not None and (assignee.unit_id != unit_id or not assignee.is_active_user):
        errors["assignee"] = _("Cán bộ được giao phải là cán bộ của đơn vị giao việc.")
    elif child_unit is not None and (child_unit.parent_id != unit_id or not child_unit.is_active):
        errors["assignee"] = _("Đơn vị được giao phải trực thuộc đơn vị giao việc.")
    return content


def create_subtask(
    task: Task,
    *,
    actor: User,
    content: str,
    deadline: date | None,
    today: date,
    assignee: User | None = None,
    child_unit: Unit | None = None,
) -> Subtask:
    """Give a part of `task` to an officer of the actor's unit or to one of its child units.
    Only the head of the lead unit, or of a coordinating unit for its own contribution, may;
    the deadline may not pass the task's."""
    if not can_break_down(actor, task) or actor.unit_id is None:
        raise PermissionDenied
    errors: dict[str, str] = {}
    if task.status not in OPEN_STATUSES:
        errors["task"] = _("Nhiệm vụ đã kết thúc hoặc tạm hoãn, không thể giao thêm việc.")
    content = _check_fields(actor.unit_id, content, assignee, child_unit, errors)
    problem = check_deadline(task, deadline, today)
    if problem:
        errors["deadline"] = problem
    if errors:
        raise ValidationError(errors)
    subtask = Subtask(
        task=task,
        unit_id=actor.unit_id,
        # A coordinating unit's head hands down its own contribution (phối hợp): its parts
        # stay under that unit and out of the lead unit's roll-up.
        is_coordinating=actor.unit_id != task.lead_unit_id,
        assignee=assignee,
        child_unit=child_unit,
        content=content,
        deadline=deadline,
        status=SubtaskStatus.OPEN.value,
        progress=0,
        created_by=actor,
    )
    db.session.add(subtask)
    _event(subtask, actor, SubtaskEventKind.CREATED)
    db.session.flush()
    from tracker.subtasks import reminders

    # Told at the next pass and on the notifications page, not first by a deadline reminder.
    reminders.notify_assigned(subtask, today, actor)
    return subtask


def edit_subtask(
    subtask: Subtask,
    *,
    actor: User,
    content: str,
    deadline: date | None,
    today: date,
    assignee: User | None = None,
    child_unit: Unit | None = None,
    seen_version: int | None,
) -> list[SubtaskEvent]:
    """The head changes a part still being done: its content, its assignee (an officer of
    the unit that gave it, or a unit under it) or its deadline (bounded as on creation). One
    history entry per field changed; the new assignee is told, and so is the old one
    (subtasks/reminders.py).
    Returns the entries (none when nothing changed)."""
    require_subtask(actor, SubtaskAction.MANAGE, subtask)
    _check_version(subtask, seen_version)
    task = subtask.task
    errors: dict[str, str] = {}
    if subtask.status != SubtaskStatus.OPEN:
        # A part reported done is confirmed or sent back first; a closed one stays as it was.
        raise ValidationError(
            {
                "status": _(
                    "Chỉ sửa được việc đang thực hiện (việc đã báo cáo: yêu cầu làm lại trước)."
                )
            }
        )
    if task.status not in OPEN_STATUSES:
        errors["task"] = _("Nhiệm vụ đã kết thúc hoặc tạm hoãn, không thể sửa việc đã giao.")
    content = _check_fields(subtask.unit_id, content, assignee, child_unit, errors)
    if deadline != subtask.deadline:
        # A deadline left as it was is not judged again: an overdue part can get a new
        # officer, or its content corrected, without being given a new deadline.
        problem = check_deadline(task, deadline, today)
        if problem:
            errors["deadline"] = problem
    if errors:
        raise ValidationError(errors)
    events: list[SubtaskEvent] = []

    def changed(name: str, old: str, new: str) -> None:
        events.append(
            _event(
                subtask, actor, SubtaskEventKind.EDITED, field=name, old_value=old, new_value=new
            )
        )

    moved = (assignee.id if assignee else None, child_unit.id if child_unit else None) != (
        subtask.assignee_id,
        subtask.child_unit_id,
    )
    from tracker.subtasks import reminders

    if moved:
        # Read before any change (a query would flush it, a second version): who had the
        # part, and who of them had not even heard of it yet.
        had_it = reminders.recipients(subtask)
        never_told = reminders.unsent_notices(subtask)
    if content != subtask.content:
        changed("content", subtask.content, content)
        subtask.content = content
    if deadline != subtask.deadline:
        assert deadline is not None  # check_deadline refused None
        changed("deadline", subtask.deadline.isoformat(), deadline.isoformat())
        subtask.deadline = deadline
    if moved:
        old_name = subtask.assignee_name
        subtask.assignee = assignee
        subtask.child_unit = child_unit
        changed("assignee", old_name, subtask.assignee_name)
    if not events:
        return events
    db.session.flush()
    if moved or "deadline" in {e.field for e in events}:
        # What was planned for the old officer or the old deadline no longer holds; the next
        # pass plans what is due now.
        reminders.forget_unsent(subtask)
    if moved:
        reminders.notify_assigned(subtask, today, actor)
        now_with = set(reminders.recipients(subtask))
        reminders.notify_unassigned(
            subtask,
            [p for p in had_it if p not in never_told and p not in now_with],
            today,
            actor,
        )
    return events


def report_subtask(
    subtask: Subtask,
    *,
    actor: User,
    note: str,
    progress: int | None,
    done: bool,
    today: date,
    seen_version: int | None,
) -> SubtaskEvent:
    """The assignee reports progress, or that the part is done (the head then confirms)."""
    require_subtask(actor, SubtaskAction.REPORT, subtask)
    _check_version(subtask, seen_version)
    if subtask.status != SubtaskStatus.OPEN:
        raise ValidationError(
            {"status": _("Việc này không còn ở trạng thái đang thực hiện, không thể báo cáo.")}
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if len(note) > MAX_NOTE_CHARS:
        errors["note"] = _("Nội dung quá dài (tối đa %(n)s ký tự).", n=MAX_NOTE_CHARS)
    if progress is not None and not 0 <= progress <= 100:
        errors["progress"] = _("Tiến độ phải từ 0 đến 100.")
    if done and not note:
        errors["note"] = _("Vui lòng ghi kết quả đã làm.")
    if not done and not note and (progress is None or progress == subtask.progress):
        errors["note"] = _("Vui lòng ghi nội dung báo cáo hoặc thay đổi tiến độ.")
    if errors:
        raise ValidationError(errors)
    if done:
        subtask.status = SubtaskStatus.REPORTED.value
        subtask.progress = 100
        subtask.completed_on = today
    elif progress is not None:
        subtask.progress = progress
    if note:
        subtask.last_note = note
    kind = SubtaskEventKind.REPORTED if done else SubtaskEventKind.PROGRESS
    event = _event(subtask, actor, kind, note=note, progress=subtask.progress)
    db.session.flush()
    return event


DECISIONS = ("confirm", "reopen", "cancel")


def decide_subtask(
    subtask: Subtask, *, actor: User, decision: str, reason: str, seen_version: int | None
) -> SubtaskEvent:
    """The head confirms a part reported done, sends a part back, or cancels it."""
    require_subtask(actor, SubtaskAction.MANAGE, subtask)
    _check_version(subtask, seen_version)
    reason = (reason or "").strip()
    status = SubtaskStatus(subtask.status)
    if decision == "confirm":
        if status != SubtaskStatus.REPORTED:
            raise ValidationError({"decision": _("Chỉ xác nhận được việc đã báo cáo hoàn thành.")})
        subtask.status = SubtaskStatus.DONE.value
        kind = SubtaskEventKind.CONFIRMED
    elif decision == "reopen":
        if status not in (SubtaskStatus.REPORTED, SubtaskStatus.DONE):
            raise ValidationError({"decision": _("Việc này đang được thực hiện.")})
        if not reason:
            raise ValidationError({"reason": _("Vui lòng ghi lý do yêu cầu làm lại.")})
        subtask.status = SubtaskStatus.OPEN.value
        subtask.completed_on = None
        kind = SubtaskEventKind.REOPENED
    elif decision == "cancel":
        if status == SubtaskStatus.CANCELLED:
            raise ValidationError({"decision": _("Việc này đã bị huỷ.")})
        if not reason:
            raise ValidationError({"reason": _("Vui lòng ghi lý do huỷ.")})
        subtask.status = SubtaskStatus.CANCELLED.value
        kind = SubtaskEventKind.CANCELLED
        from tracker.subtasks import reminders

        reminders.forget_unsent(subtask)  # a cancelled part is no longer chased
    else:
        raise ValidationError({"decision": _("Thao tác không hợp lệ.")})
    if len(reason) > MAX_NOTE_CHARS:
        raise ValidationError(
            {"reason": _("Nội dung quá dài (tối đa %(n)s ký tự).", n=MAX_NOTE_CHARS)}
        )
    event = _event(subtask, actor, kind, note=reason, progress=subtask.progress)
    db.session.flush()
    return event


# --- reading --------------------------------------------------------------------------------


def subtasks_of(task_id: int) -> list[Subtask]:
    """A task's sub-tasks, by deadline."""
    return list(
        db.session.scalars(
            sa.select(Subtask)
            .options(selectinload(Subtask.assignee), selectinload(Subtask.child_unit))
            .where(Subtask.task_id == task_id)
            .order_by(Subtask.deadline, Subtask.id)
        )
    )


@dataclass(frozen=True)
class Rollup:
    """What the parent shows of its parts. Counted apart from the official reports: the
    parent's timeliness is judged on the parent's own deadline only."""

    total: int
    done: int
    reported: int
    open: int
    overdue: int
    progress: int  # the mean progress of the parts not cancelled, in percent

    @property
    def all_done(self) -> bool:
        """Every part not cancelled is confirmed."""
        return self.total > 0 and self.done == self.total


def rollup(subtasks: list[Subtask], today: date) -> Rollup:
    """Roll the parts up; cancelled parts do not count."""
    counted = [s for s in subtasks if s.status != SubtaskStatus.CANCELLED]
    total = len(counted)
    return Rollup(
        total=total,
        done=sum(s.status == SubtaskStatus.DONE for s in counted),
        reported=sum(s.status == SubtaskStatus.REPORTED for s in counted),
        open=sum(s.status == SubtaskStatus.OPEN for s in counted),
        overdue=sum(s.is_overdue(today) for s in counted),
        progress=round(sum(s.progress for s in counted) / total) if total else 0,
    )


def report_text(subtasks: list[Subtask]) -> str:
    """The lead unit's report on the parent, drafted from its parts: one line per part, with
    who did it, where it stands and what they last wrote. The unit edits it before sending."""
    lines = []
    for subtask in subtasks:
        if subtask.status == SubtaskStatus.CANCELLED:
            continue
        line = f"- {subtask.content} ({subtask.assignee_name}): {status_label(subtask.status)}"
        if subtask.status == SubtaskStatus.OPEN:
            line += f", {subtask.progress}%"
        if subtask.last_note:
            line += f". {subtask.last_note}"
        lines.append(line)
    return "\n".join(lines)


def my_subtasks(user: User, *, include_closed: bool = False, limit: int = 200) -> list[Subtask]:
    """The sub-tasks given to `user` (or to their unit as a child unit): open ones first,
    by deadline."""
    query = (
        sa.select(Subtask)
        .options(
            selectinload(Subtask.task).selectinload(Task.meeting), selectinload(Subtask.child_unit)
        )
        .where(assigned_subtasks_clause(user))
    )
    if not include_closed:
        query = query.where(
            Subtask.status.in_([s.value for s in (SubtaskStatus.OPEN, SubtaskStatus.REPORTED)])
        )
    return list(db.session.scalars(query.order_by(Subtask.deadline, Subtask.id).limit(limit)))


def unit_subtasks(unit_id: int, *, limit: int = 500) -> list[Subtask]:
    """The open sub-tasks a unit's head gave (for "Việc đã giao")."""
    return list(
        db.session.scalars(
            sa.select(Subtask)
            .options(
                selectinload(Subtask.task).selectinload(Task.meeting),
                selectinload(Subtask.assignee),
                selectinload(Subtask.child_unit),
            )
            .where(
                Subtask.unit_id == unit_id,
                Subtask.status.in_([SubtaskStatus.OPEN.value, SubtaskStatus.REPORTED.value]),
            )
            .order_by(Subtask.deadline, Subtask.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class OfficerRow:
    """One officer's (or child unit's) line of the head's per-officer view."""

    name: str
    total: int
    done: int
    reported: int
    open: int
    overdue: int


def officer_summary(unit_id: int, today: date) -> list[OfficerRow]:
    """Per officer (and child unit) of the unit: the sub-tasks given, done, waiting for
    confirmation, open, overdue. For the unit's head only (core/permissions)."""
    S = Subtask
    status = S.status
    rows = db.session.execute(
        sa.select(
            S.assignee_id,
            S.child_unit_id,
            sa.func.count(),
            sa.func.sum(sa.case((status == SubtaskStatus.DONE.value, 1), else_=0)),
            sa.func.sum(sa.case((status == SubtaskStatus.REPORTED.value, 1), else_=0)),
            sa.func.sum(sa.case((status == SubtaskStatus.OPEN.value, 1), else_=0)),
            sa.func.sum(
                sa.case(
                    (sa.and_(status == SubtaskStatus.OPEN.value, S.deadline < today), 1), else_=0
                )
            ),
        )
        .where(S.unit_id == unit_id, status != SubtaskStatus.CANCELLED.value)
        .group_by(S.assignee_id, S.child_unit_id)
    ).all()
    names = _assignee_names(rows)
    result = [
        OfficerRow(
            name=names[(r[0], r[1])],
            total=int(r[2]),
            done=int(r[3] or 0),
            reported=int(r[4] or 0),
            open=int(r[5] or 0),
            overdue=int(r[6] or 0),
        )
        for r in rows
    ]
    return sorted(result, key=lambda row: (-row.overdue, row.name))


def _assignee_names(rows: Sequence[Any]) -> dict[tuple[int | None, int | None], str]:
    """The officer's or child unit's name of each (assignee_id, child_unit_id) pair."""
    users = {
        u.id: u.full_name
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_([r[0] for r in rows if r[0]]))
        )
    }
    units = {
        u.id: u.name
        for u in db.session.scalars(
            sa.select(Unit).where(Unit.id.in_([r[1] for r in rows if r[1]]))
        )
    }
    return {(r[0], r[1]): users.get(r[0], "") if r[0] else units.get(r[1], "") for r in rows}


@dataclass(frozen=True)
class OfficerPeriodRow:
    """One officer's (or child unit's) line of the dashboard's per-officer view: the parts
    whose deadline falls in the period, each as it stood on the report date."""

    name: str
    given: int
    done_on_time: int
    done_late: int
    open_on_time: int
    open_overdue: int
    # Who the line is about (the reports API names them); not part of the figures.
    assignee_id: int | None = field(default=None, compare=False)
    child_unit_id: int | None = field(default=None, compare=False)

    @property
    def cells(self) -> tuple[int, ...]:
        """The figures in the columns' order (the page, the xlsx/csv/docx exports)."""
        return (self.given, self.done_on_time, self.done_late, self.open_on_time, self.open_overdue)


def officer_period_summary(
    unit_id: int, start: date, end: date, as_of: date, meeting_id: int | None = None
) -> list[OfficerPeriodRow]:
    """Per officer (and child unit) of the unit: the parts with a deadline in [start, end],
    by class on the report date `as_of`, judged on each part's own deadline the way the unit
    report judges a task (tracker/reports/asof.py): a part counts as done only once the head
    confirmed it (as a task once the chair did) and only if it was completed (reported) on or
    before `as_of`; one completed later was still open that day. A part waiting for the
    head's confirmation is open. Cancelled parts are not counted. For the unit's head only
    (core/permissions)."""
    S = Subtask
    done = sa.and_(
        S.status == SubtaskStatus.DONE.value,
        S.completed_on.is_not(None),
        S.completed_on <= as_of,
    )

    def count(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    query = (
        sa.select(
            S.assignee_id,
            S.child_unit_id,
            sa.func.count(),
            count(done, S.completed_on <= S.deadline),
            count(done, S.completed_on > S.deadline),
            count(sa.not_(done), S.deadline >= as_of),
            count(sa.not_(done), S.deadline < as_of),
        )
        .where(
            S.unit_id == unit_id,
            S.status != SubtaskStatus.CANCELLED.value,
            S.deadline.between(start, end),
        )
        .group_by(S.assignee_id, S.child_unit_id)
    )
    if meeting_id is not None:
        query = query.join(Task, Task.id == S.task_id).where(Task.meeting_id == meeting_id)
    rows = db.session.execute(query).all()
    names = _assignee_names(rows)
    result = [
        OfficerPeriodRow(
            names[(r[0], r[1])], *(int(v) for v in r[2:]), assignee_id=r[0], child_unit_id=r[1]
        )
        for r in rows
    ]
    return sorted(result, key=lambda row: (-row.open_overdue, row.name))
