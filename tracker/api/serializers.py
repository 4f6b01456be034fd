"""Tasks, history entries and extension requests as the JSON the API returns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import current_app

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.time import today_local
from tracker.tasks.models import ExtensionRequest, Task, TaskEvent
from tracker.units.models import Unit


def iso_datetime(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a trailing Z, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_date(value: date | None) -> str | None:
    """A calendar date as YYYY-MM-DD, or None."""
    return value.isoformat() if value else None


def unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    """A unit as {id, name}."""
    return {"id": unit.id, "name": unit.name} if unit else None


def user_ref(user: User | None) -> dict[str, Any] | None:
    """A user as {id, full_name}."""
    return {"id": user.id, "full_name": user.full_name} if user else None


def task_json(task: Task, today: date | None = None) -> dict[str, Any]:
    """A task as listed: its units, deadlines, status and timeliness on `today`."""
    today = today or today_local()
    due_soon_days = int(current_app.config.get("TRACKER_DUE_SOON_DAYS", 3))
    return {
        "id": task.id,
        "meeting_id": task.meeting_id,
        "content": task.content,
        "lead_unit": unit_ref(task.lead_unit),
        "coordinating_units": [unit_ref(u) for u in task.coordinating_units],
        "deadline": iso_date(task.deadline),
        "original_deadline": iso_date(task.original_deadline),
        "status": task.status,
        "timeliness": task.timeliness(today, due_soon_days, working_calendar()),
        "progress": task.progress,
        "version": task.version,
        "updated_at": iso_datetime(task.updated_dt),
    }


def event_json(event: TaskEvent) -> dict[str, Any]:
    """One history entry: who did what, when, from what to what, why."""
    return {
        "id": event.id,
        "kind": event.kind,
        "actor": user_ref(event.actor),
        "created_at": iso_datetime(event.created_dt),
        "field": event.field,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "note": event.note or "",
        "progress": event.progress,
    }


def extension_json(request: ExtensionRequest) -> dict[str, Any]:
    """An extension request and, once decided, the decision."""
    return {
        "id": request.id,
        "task_id": request.task_id,
        "status": request.status,
        "requested_by": user_ref(request.requested_by),
        "requested_at": iso_datetime(request.requested_dt),
        "old_deadline": iso_date(request.old_deadline),
        "requested_deadline": iso_date(request.requested_deadline),
        "reason": request.reason,
        "decided_by": user_ref(request.decided_by),
        "decided_at": iso_datetime(request.decided_dt),
        "approved_deadline": iso_date(request.approved_deadline),
        "decision_comment": request.decision_comment or "",
    }
