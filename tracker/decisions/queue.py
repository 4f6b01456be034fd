"""The decision queue: submitted results and pending extension requests a chair or office
member may decide, oldest first (issue 18 §2).

A user never sees their own unit's tasks here: they may not judge them
(tracker.core.permissions, Action.JUDGE), so for them nothing waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import (
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    Status,
    Task,
    TaskEvent,
)
from tracker.units.models import Unit

# A queue longer than this is a backlog to work through in the task list, not one page.
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueItem:
    """One decision waiting: a result to confirm or return, or an extension to decide."""

    kind: str  # "result" or "extension"
    task: Task
    since: datetime  # when it was submitted or asked for
    resubmitted: bool = False  # a result submitted again after the chair returned it
    extension: ExtensionRequest | None = None


def _submitted_conditions(user: User) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [Task.status == Status.SUBMITTED.value]
    if user.unit_id is not None:
        conditions.append(Task.lead_unit_id != user.unit_id)
    return conditions


def _extension_conditions(user: User) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [
        ExtensionRequest.status == ExtensionStatus.PENDING.value,
        sa.or_(
            ExtensionRequest.requested_by_id.is_(None),
            ExtensionRequest.requested_by_id != user.id,
        ),
    ]
    if user.unit_id is not None:
        conditions.append(Task.lead_unit_id != user.unit_id)
    return conditions


def waiting_count(user: User) -> int:
    """How many decisions wait for `user`, in one query (the navigation's badge)."""
    results = (
        sa.select(sa.func.count(Task.id)).where(*_submitted_conditions(user)).scalar_subquery()
    )
    extensions = (
        sa.select(sa.func.count(ExtensionRequest.id))
        .join(Task, Task.id == ExtensionRequest.task_id)
        .where(*_extension_conditions(user))
        .scalar_subquery()
    )
    return int(db.session.scalar(sa.select(results + extensions)) or 0)


def _task_options() -> list[object]:
    return [
        selectinload(Task.lead_unit).load_only(Unit.name, Unit.short_name),
        selectinload(Task.meeting).load_only(Meeting.notice_number, Meeting.title),
        selectinload(Task.coordinating_units).load_only(Unit.name, Unit.short_name),
    ]


def waiting_items(user: User) -> list[QueueItem]:
    """The decisions waiting for `user`, oldest first, in a constant number of queries."""
    tasks = db.session.scalars(
        sa.select(Task)
        .options(*_task_options())
        .where(*_submitted_conditions(user))
        .order_by(Task.submitted_dt, Task.id)
        .limit(QUEUE_LIMIT)
    ).all()
    requests = db.session.scalars(
        sa.select(ExtensionRequest)
        .join(Task, Task.id == ExtensionRequest.task_id)
        .options(
            selectinload(ExtensionRequest.task).options(*_task_options()),
            selectinload(ExtensionRequest.requested_by),
        )
        .where(*_extension_conditions(user))
        .order_by(ExtensionRequest.requested_dt, ExtensionRequest.id)
        .limit(QUEUE_LIMIT)
    ).all()
    returned: set[int] = set()
    if tasks:
        # A result submitted again after a return says so: the chair reads what changed.
        returned = set(
            db.session.scalars(
                sa.select(TaskEvent.task_id)
                .where(
                    TaskEvent.task_id.in_([t.id for t in tasks]),
                    TaskEvent.kind == EventKind.STATUS.value,
                    TaskEvent.new_value == Status.RETURNED.value,
                )
                .distinct()
            )
        )
    items = [
        QueueItem(
            "result",
            task,
            task.submitted_dt or task.last_activity_dt,
            resubmitted=task.id in returned,
        )
        for task in tasks
    ] + [QueueItem("extension", r.task, r.requested_dt, extension=r) for r in requests]
    items.sort(key=lambda item: (item.since, item.task.id))
    return items[:QUEUE_LIMIT]
