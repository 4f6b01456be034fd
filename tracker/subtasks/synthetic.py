"""Sub-tasks for the synthetic province of `tracker bench`: a share of the tasks broken down
into parts for the lead unit's officers, so an officer's lists are measured at scale."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.subtasks.models import Subtask, SubtaskStatus
from tracker.tasks.models import CLOSED_STATUSES, Task


def break_down(today: date, share: float = 0.2, parts: int = 3, seed: int = 2025) -> int:
    """Give `parts` sub-tasks of `share` of the tasks (every n-th by id) to officers of their
    lead unit; does nothing when sub-tasks exist already. Returns the number of sub-tasks."""
    existing = db.session.scalar(sa.select(sa.func.count(Subtask.id))) or 0
    if existing:
        return int(existing)
    rng = random.Random(seed)
    members: dict[int, list[int]] = {}
    for user_id, unit_id in db.session.execute(
        sa.select(User.id, User.unit_id).where(
            User.role.in_([Role.UNIT.value, Role.UNIT_HEAD.value]), User.unit_id.is_not(None)
        )
    ):
        members.setdefault(unit_id, []).append(user_id)
    step = max(1, round(1 / share))
    closed = {s.value for s in CLOSED_STATUSES}
    created = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    rows: list[dict[str, object]] = []
    count = 0
    query = sa.select(Task.id, Task.lead_unit_id, Task.deadline, Task.status).where(
        Task.id % step == 0
    )
    for task_id, unit_id, deadline, status in db.session.execute(query):
        people = members.get(unit_id)
        if not people:
            continue
        for k in range(parts):
            due = deadline or today + timedelta(days=30)
            due = due - timedelta(days=rng.randrange(0, 10))
            if status in closed:
                part_status = SubtaskStatus.DONE.value
            else:
                part_status = rng.choice(
                    [SubtaskStatus.OPEN.value] * 3
                    + [SubtaskStatus.REPORTED.value, SubtaskStatus.DONE.value]
                )
            rows.append(
                {
                    "task_id": task_id,
                    "unit_id": unit_id,
                    "assignee_id": people[(task_id + k) % len(people)],
                    "content": f"Phần việc {k + 1} của nhiệm vụ {task_id}",
                    "deadline": due,
                    "status": part_status,
                    "progress": 100 if part_status != SubtaskStatus.OPEN.value else 30,
                    "last_note": "",
                    "version": 1,
                    "created_dt": created,
                    "updated_dt": created,
                }
            )
        if len(rows) >= 5000:
            db.session.execute(sa.insert(Subtask), rows)
            count += len(rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Subtask), rows)
        count += len(rows)
    db.session.commit()
    return count


def busiest_officer() -> str:
    """The username of the officer with the most open sub-tasks."""
    user_id = db.session.execute(
        sa.select(Subtask.assignee_id, sa.func.count())
        .where(Subtask.status == SubtaskStatus.OPEN.value, Subtask.assignee_id.is_not(None))
        .group_by(Subtask.assignee_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()[0]
    return str(db.session.scalar(sa.select(User.username).where(User.id == user_id)))
