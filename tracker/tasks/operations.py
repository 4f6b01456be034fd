"""The business rules of tasks: creating, editing, reporting progress and moving the status.

Operations change objects and flush; they never commit (the request or the job does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import load_only, selectinload

from tracker.auth.models import User
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.limits import date_in_range, date_range_message, is_blank
from tracker.core.permissions import Action, require, visible_tasks_clause
from tracker.core.text import normalize
from tracker.core.time import local_zone, now_utc
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.attachments import Upload, attach_files
from tracker.tasks.models import STATUS_VALUES, EventKind, Status, Task, TaskEvent
from tracker.units.models import Unit

MAX_CONTENT_CHARS = 20_000
MAX_NOTE_CHARS = 20_000

STATUS_LABELS = {
    Status.NEW: _l("Chưa thực hiện"),
    Status.IN_PROGRESS: _l("Đang thực hiện"),
    Status.SUBMITTED: _l("Chờ xác nhận"),
    Status.DONE: _l("Hoàn thành"),
    Status.RETURNED: _l("Thực hiện lại"),
    Status.PAUSED: _l("Tạm hoãn"),
    Status.CANCELLED: _l("Đã huỷ"),
}


@dataclass(frozen=True)
class Transition:
    """A move of the work status: from which statuses, to which, by whom, whether a reason
    must be given."""

    name: str
    sources: frozenset[Status]
    target: Status
    action: Action
    needs_reason: bool = False


_OPEN = frozenset({Status.NEW, Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED})

# The lifecycle as offices run it: the lead unit works and submits; the chair or the office
# confirms, returns, pauses, cancels or reopens.
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("start", frozenset({Status.NEW}), Status.IN_PROGRESS, Action.REPORT),
        Transition(
            "submit",
            frozenset({Status.NEW, Status.IN_PROGRESS, Status.RETURNED}),
            Status.SUBMITTED,
            Action.REPORT,
        ),
        # Judged, not merely decided: never by the unit that submitted the result.
        Transition("confirm", frozenset({Status.SUBMITTED}), Status.DONE, Action.JUDGE),
        Transition("return", frozenset({Status.SUBMITTED}), Status.RETURNED, Action.JUDGE, True),
        Transition("pause", _OPEN, Status.PAUSED, Action.DECIDE, True),
        Transition("resume", frozenset({Status.PAUSED}), Status.IN_PROGRESS, Action.DECIDE),
        Transition("cancel", _OPEN | {Status.PAUSED}, Status.CANCELLED, Action.DECIDE, True),
        Transition(
            "reopen",
            frozenset({Status.DONE, Status.CANCELLED}),
            Status.IN_PROGRESS,
            Action.DECIDE,
            True,
        ),
    )
}

# Statuses a lead unit may set in a progress report, and the transition each means.
REPORTABLE_STATUSES = {
    Status.IN_PROGRESS: "start",
    Status.SUBMITTED: "submit",
}


def status_label(status: str) -> str:
    """The status as users read it, in their language."""
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return status


def _event(task: Task, actor: User | None, kind: EventKind, **fields: object) -> TaskEvent:
    event = TaskEvent(task=task, actor=actor, kind=kind.value, created_dt=now_utc(), **fields)
    db.session.add(event)
    return event


def stale_error(task: Task) -> StaleVersion:
    """The "changed by X at HH:MM" error for `task` as the database has it now: for a version
    the user saw that is no longer current, and for a concurrent write that made the flush
    fail (StaleDataError; roll back first, so the task is read again)."""
    last = db.session.scalar(
        sa.select(TaskEvent)
        .where(TaskEvent.task_id == task.id)
        .order_by(TaskEvent.id.desc())
        .limit(1)
    )
    who = last.actor.full_name if last and last.actor else "?"
    return StaleVersion(who, last.created_dt if last else None, task.version)


def _check_version(task: Task, seen_version: int | None) -> None:
    if seen_version is None or seen_version == task.version:
        return
    raise stale_error(task)


def _check_task_fields(
    *,
    meeting: Meeting,
    content: str,
    lead_unit: Unit | None,
    coordinating_units: list[Unit],
    responsible: User | None,
    deadline: date | None,
) -> None:
    errors: dict[str, str] = {}
    if is_blank(content):
        errors["content"] = _("Vui lòng nhập nội dung nhiệm vụ.")
    elif len(content) > MAX_CONTENT_CHARS:
        errors["content"] = _(
            "Nội dung nhiệm vụ quá dài (tối đa %(n)s ký tự).", n=f"{MAX_CONTENT_CHARS:,}"
        )
    if lead_unit is None:
        errors["lead_unit"] = _("Vui lòng chọn đơn vị chủ trì.")
    elif any(u.id == lead_unit.id for u in coordinating_units):
        errors["coordinating_units"] = _(
            "Đơn vị chủ trì (%(unit)s) không thể đồng thời là đơn vị phối hợp.",
            unit=lead_unit.name,
        )
    if responsible is not None and (lead_unit is None or responsible.unit_id != lead_unit.id):
        errors["responsible"] = _("Người phụ trách phải thuộc đơn vị chủ trì.")
    if not date_in_range(deadline):
        # Also what the notice reader and the Excel import propose: 31/12/9999 broke every
        # calendar feed holding it.
        errors["deadline"] = date_range_message()
    elif deadline is not None and meeting.held_on and deadline < meeting.held_on:
        errors["deadline"] = _(
            "Thời hạn không thể trước ngày họp (%(day)s).", day=f"{meeting.held_on:%d/%m/%Y}"
        )
    if errors:
        raise ValidationError(errors)


def create_task(
    meeting: Meeting,
    *,
    actor: User,
    content: str,
    lead_unit: Unit | None,
    coordinating_units: list[Unit] | None = None,
    responsible: User | None = None,
    deadline: date | None = None,
    is_recurring: bool = False,
    source_text: str = "",
) -> Task:
    """Assign a new task of `meeting`."""
    content = normalize(content)
    coordinating = _unique(coordinating_units or [])
    _check_task_fields(
        meeting=meeting,
        content=content,
        lead_unit=lead_unit,
        coordinating_units=coordinating,
        responsible=responsible,
        deadline=deadline,
    )
    task = Task(
        meeting=meeting,
        content=content,
        lead_unit=lead_unit,
        coordinating_units=coordinating,
        responsible=responsible,
        deadline=deadline,
        original_deadline=deadline,
        is_recurring=is_recurring,
        source_text=source_text,
        created_by=actor,
        status=Status.NEW.value,
        progress=0,
        last_activity_dt=now_utc(),
    )
    db.session.add(task)
    _event(task, actor, EventKind.CREATED)
    db.session.flush()
    return task


def _unique(units: list[Unit]) -> list[Unit]:
    seen: dict[int, Unit] = {}
    for unit in units:
        seen.setdefault(unit.id, unit)
    return list(seen.values())


def _describe(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Unit | User):
        return value.name if isinstance(value, Unit) else value.full_name
    if isinstance(value, list):
        return ", ".join(_describe(v) for v in value)
    return str(value)


def edit_task(
    task: Task,
    *,
    actor: User,
    seen_version: int | None,
    content: str,
    lead_unit: Unit | None,
    coordinating_units: list[Unit],
    responsible: User | None,
    deadline: date | None,
    is_recurring: bool = False,
    reason: str = "",
) -> Task:
    """Change what was assigned (chair and office only); every changed field goes to history."""
    require(actor, Action.EDIT, task)
    _check_version(task, seen_version)
    content = normalize(content)
    coordinating = _unique(coordinating_units)
    _check_task_fields(
        meeting=task.meeting,
        content=content,
        lead_unit=lead_unit,
        coordinating_units=coordinating,
        responsible=responsible,
        deadline=deadline,
    )
    changes = {
        "content": (task.content, content),
        "lead_unit": (task.lead_unit, lead_unit),
        "coordinating_units": (
            sorted(task.coordinating_units, key=lambda u: u.id),
            sorted(coordinating, key=lambda u: u.id),
        ),
        "responsible": (task.responsible, responsible),
        "deadline": (task.deadline, deadline),
        "is_recurring": (task.is_recurring, is_recurring),
    }
    changed = False
    for field, (old, new) in changes.items():
        if _describe(old) == _describe(new):
            continue
        changed = True
        _event(
            task,
            actor,
            EventKind.CHANGED,
            field=field,
            old_value=_describe(old),
            new_value=_describe(new),
            note=reason,
        )
    if not changed:
        return task
    if task.original_deadline is None and task.deadline is None:
        task.original_deadline = deadline
    task.content = content
    task.lead_unit = lead_unit  # type: ignore[assignment]
    task.coordinating_units = coordinating
    task.responsible = responsible
    task.deadline = deadline
    task.is_recurring = is_recurring
    task.last_activity_dt = now_utc()
    db.session.flush()
    return task


def post_progress(
    task: Task,
    *,
    actor: User,
    note: str,
    progress: int | None = None,
    status: str | None = None,
    seen_version: int | None = None,
    attachments: Iterable[Upload] = (),
) -> Task:
    """A progress report by the lead unit: a note, the percentage done, maybe a new status,
    and files (a submission's result documents)."""
    require(actor, Action.REPORT, task)
    _check_version(task, seen_version)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if is_blank(note):
        errors["note"] = _("Vui lòng nhập nội dung báo cáo tiến độ.")
    elif len(note) > MAX_NOTE_CHARS:
        errors["note"] = _("Nội dung quá dài (tối đa %(n)s ký tự).", n=f"{MAX_NOTE_CHARS:,}")
    if progress is not None and not 0 <= progress <= 100:
        errors["progress"] = _("Tiến độ phải từ 0 đến 100%.")
    transition: Transition | None = None
    if status and status != task.status:
        name = REPORTABLE_STATUSES.get(Status(status)) if status in STATUS_VALUES else None
        candidate = TRANSITIONS.get(name) if name else None
        if candidate is None or Status(task.status) not in candidate.sources:
            errors["status"] = _(
                "Không thể chuyển từ “%(old)s” sang “%(new)s”.",
                old=status_label(task.status),
                new=status_label(status),
            )
        else:
            transition = candidate
    elif task.status in (Status.PAUSED, Status.CANCELLED, Status.DONE):
        errors["status"] = _(
            "Nhiệm vụ đang ở trạng thái “%(status)s”, không nhận báo cáo tiến độ.",
            status=status_label(task.status),
        )
    if errors:
        raise ValidationError(errors)
    old_status = task.status
    if transition is None and task.status == Status.NEW and (progress or 0) > 0:
        transition = TRANSITIONS["start"]
    if transition is not None:
        _apply(task, transition, actor)
    if transition is not None and transition.target == Status.SUBMITTED:
        task.result = note
        progress = 100
    if progress is not None:
        task.progress = progress
    task.last_activity_dt = now_utc()
    event = _event(
        task,
        actor,
        EventKind.PROGRESS,
        note=note,
        progress=task.progress,
        old_value=old_status if task.status != old_status else None,
        new_value=task.status if task.status != old_status else None,
        field="status" if task.status != old_status else None,
    )
    db.session.flush()
    if attachments:
        attach_files(task, attachments, actor=actor, event=event)
    return task


def _apply(task: Task, transition: Transition, actor: User) -> None:
    task.status = transition.target.value
    if transition.target == Status.SUBMITTED:
        task.submitted_dt = now_utc()
    elif transition.target == Status.DONE:
        submitted = task.submitted_dt or now_utc()
        # The completion date is the day the confirmed result was submitted, not the day of
        # the chair's confirmation.
        task.completed_on = submitted.astimezone(local_zone()).date()
        task.progress = 100
    elif transition.name in ("return", "reopen"):
        task.completed_on = None


def change_status(
    task: Task,
    *,
    actor: User,
    transition_name: str,
    reason: str = "",
    seen_version: int | None = None,
) -> Task:
    """A decision of the chair or office: confirm, return, pause, resume, cancel, reopen."""
    transition = TRANSITIONS.get(transition_name)
    if transition is None:
        raise ValidationError({"action": _("Thao tác không hợp lệ.")})
    require(actor, transition.action, task)
    _check_version(task, seen_version)
    reason = (reason or "").strip()
    if Status(task.status) not in transition.sources:
        raise ValidationError(
            {
                "action": _(
                    "Không thể thực hiện thao tác này khi nhiệm vụ đang ở trạng thái “%(status)s”.",
                    status=status_label(task.status),
                )
            }
        )
    if transition.needs_reason and is_blank(reason):
        raise ValidationError({"reason": _("Vui lòng nêu lý do.")})
    if len(reason) > MAX_NOTE_CHARS:
        raise ValidationError({"reason": _("Lý do quá dài.")})
    old_status = task.status
    _apply(task, transition, actor)
    task.last_activity_dt = now_utc()
    _event(
        task,
        actor,
        EventKind.STATUS,
        field="status",
        old_value=old_status,
        new_value=task.status,
        note=reason,
    )
    db.session.flush()
    return task


def add_comment(
    task: Task, *, actor: User, note: str, attachments: Iterable[Upload] = ()
) -> TaskEvent:
    """A contribution of a lead or coordinating unit, with optional files, that does not move
    the status."""
    require(actor, Action.CONTRIBUTE, task)
    note = (note or "").strip()
    if is_blank(note):
        raise ValidationError({"note": _("Vui lòng nhập nội dung ý kiến.")})
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError(
            {"note": _("Nội dung quá dài (tối đa %(n)s ký tự).", n=MAX_NOTE_CHARS)}
        )
    event = _event(task, actor, EventKind.COMMENT, note=note)
    db.session.flush()
    if attachments:
        attach_files(task, attachments, actor=actor, event=event)
    return event


def task_query_options() -> list[object]:
    """Eager loads for the task tables (tracker.tasks.views.task_rows), so a page costs a
    constant number of queries, reading only the columns the rows print: the meetings' notice
    texts (pages of text each) and the tasks' source sentences and results were read and
    converted for every row and never shown."""
    return [
        load_only(
            Task.content,
            Task.period_label,
            Task.deadline,
            Task.is_recurring,
            Task.status,
            Task.progress,
            Task.completed_on,
            Task.extension_count,
            Task.meeting_id,
            Task.lead_unit_id,
            Task.version,
        ),
        selectinload(Task.lead_unit).load_only(Unit.name, Unit.short_name),
        selectinload(Task.coordinating_units).load_only(Unit.name, Unit.short_name),
        selectinload(Task.meeting).load_only(Meeting.notice_number, Meeting.title),
    ]


# A unit's page shows closed (done, cancelled) tasks this long after their last change; older
# ones are in the paginated task list. Years of closed tasks made the page hundreds of rows
# (574 rows, 190 ms, about a third of the server's time in the load test: docs/load-test.md).
RECENTLY_CLOSED_DAYS = 30


# The unit's page lists this many of each kind, most urgent first, and links to the full
# (paginated) list for the rest: a department leading hundreds of open tasks got a page of
# 600 KB that took 150 ms of CPU to draw.
UNIT_PAGE_LIMIT = 100


@dataclass
class TaskSection:
    """The first tasks of one list of the unit's page, and how many it has in all."""

    tasks: list[Task]
    total: int

    @property
    def truncated(self) -> bool:
        """More tasks than are shown."""
        return self.total > len(self.tasks)


def unit_task_lists(user: User, *, coordinated: bool = True) -> tuple[TaskSection, TaskSection]:
    """The open and recently closed tasks a unit member's unit leads, then those it
    coordinates: the first UNIT_PAGE_LIMIT of each, and their number.

    Open tasks first, soonest deadline first; tasks without a deadline last. A closed task
    stays RECENTLY_CLOSED_DAYS after its last activity.
    """
    if user.unit_id is None:
        return TaskSection([], 0), TaskSection([], 0)
    order = (Task.deadline.is_(None), Task.deadline, Task.id)
    closed_since = now_utc() - timedelta(days=RECENTLY_CLOSED_DAYS)
    conditions = [
        visible_tasks_clause(user),
        sa.or_(
            Task.status.not_in([Status.DONE, Status.CANCELLED]),
            Task.last_activity_dt >= closed_since,
        ),
    ]
    closed_last = sa.case((Task.status.in_([Status.DONE, Status.CANCELLED]), 1), else_=0)
    sections = []
    sides = [Task.lead_unit_id == user.unit_id]
    if coordinated:  # a manager's page does not list them (every task it does not lead)
        sides.append(Task.lead_unit_id != user.unit_id)
    for side in sides:
        tasks = db.session.scalars(
            sa.select(Task)
            .options(*task_query_options())
            .where(*conditions, side)
            .order_by(closed_last, *order)
            .limit(UNIT_PAGE_LIMIT)
        ).all()
        total = len(tasks)
        if total == UNIT_PAGE_LIMIT:
            total = db.session.scalar(
                sa.select(sa.func.count()).select_from(Task).where(*conditions, side)
            )
        sections.append(TaskSection(list(tasks), int(total or 0)))
    if len(sections) == 1:
        sections.append(TaskSection([], 0))
    return sections[0], sections[1]


@dataclass(frozen=True)
class UnitLoad:
    """One lead unit's open work, for the managers' overview."""

    unit_id: int
    name: str
    open: int
    overdue: int
    submitted: int


def units_overview(today: date) -> list[UnitLoad]:
    """Per lead unit with open tasks: how many are open, overdue on `today`, and submitted
    for confirmation (one grouped query), most overdue first. What a chair or the office
    looks at instead of a unit member's "tasks we coordinate"."""
    working = [Status.NEW.value, Status.IN_PROGRESS.value, Status.RETURNED.value]
    open_statuses = [*working, Status.SUBMITTED.value]
    overdue = sa.func.sum(
        sa.case((sa.and_(Task.status.in_(working), Task.deadline < today), 1), else_=0)
    )
    submitted = sa.func.sum(sa.case((Task.status == Status.SUBMITTED.value, 1), else_=0))
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, sa.func.count(Task.id), overdue, submitted)
        .join(Unit, Unit.id == Task.lead_unit_id)
        .where(Task.status.in_(open_statuses))
        .group_by(Unit.id, Unit.name)
        .order_by(overdue.desc(), Unit.name)
    ).all()
    return [UnitLoad(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0)) for r in rows]
