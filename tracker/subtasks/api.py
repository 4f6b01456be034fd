"""Sub-tasks in the JSON API: POST /api/v1/tasks/<id>/subtasks, the `subtasks` of a task,
`?assignee=me`, and their OpenAPI description (merged by tracker/api/openapi.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from tracker.api.auth import api_user, check_api_query, token_required
from tracker.api.errors import conflict_body, register_api_errors
from tracker.api.inputs import Fields, read_json_object
from tracker.api.serializers import iso_date, iso_datetime, unit_ref, user_ref
from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.limits import MAX_ID
from tracker.core.permissions import (
    Action,
    NotVisible,
    PermissionDenied,
    SubtaskAction,
    assigned_subtasks_clause,
    can_break_down,
    can_view_breakdown,
    can_view_unit_parts,
    is_subtask_assignee,
    require,
    require_subtask,
)
from tracker.core.time import local_zone, today_local
from tracker.extensions import csrf, db
from tracker.subtasks import operations
from tracker.subtasks.models import Subtask, SubtaskStatus
from tracker.tasks.models import Task
from tracker.tasks.operations import stale_error as task_stale_error
from tracker.units.models import Unit

bp = Blueprint("subtasks_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _refuse_unknown_query_parameters() -> Any:
    return check_api_query(frozenset({"lang"}))


register_api_errors(bp)


def subtask_json(subtask: Subtask) -> dict[str, Any]:
    """A sub-task as the API returns it."""
    return {
        "id": subtask.id,
        "task_id": subtask.task_id,
        "unit": unit_ref(subtask.unit),
        "is_coordinating": subtask.is_coordinating,
        "assignee": user_ref(subtask.assignee),
        "child_unit": unit_ref(subtask.child_unit),
        "content": subtask.content,
        "deadline": iso_date(subtask.deadline),
        "status": subtask.status,
        "progress": subtask.progress,
        "completed_on": iso_date(subtask.completed_on),
        "last_note": subtask.last_note or "",
        "version": subtask.version,
        "created_at": iso_datetime(subtask.created_dt),
    }


def subtasks_for(task: Task, user: User) -> list[dict[str, Any]]:
    """The `subtasks` of GET /api/v1/tasks/<id>: the lead unit's breakdown for the lead unit
    and the managers, a coordinating unit's own parts for that unit and the managers, and
    to anyone the parts given to them."""
    lead_view = can_view_breakdown(user, task)
    return [
        subtask_json(s)
        for s in operations.subtasks_of(task.id)
        if (lead_view and not s.is_coordinating)
        or (s.is_coordinating and can_view_unit_parts(user, task, s.unit_id))
        or is_subtask_assignee(user, s)
    ]


def assigned_task_ids(user: User) -> sa.Select[tuple[int]]:
    """For `GET /api/v1/tasks?assignee=me`: the tasks with a part given to `user` (or to
    their unit as a child unit), open or not."""
    return sa.select(Subtask.task_id).where(
        assigned_subtasks_clause(user), Subtask.status != SubtaskStatus.CANCELLED.value
    )


@bp.post("/tasks/<int:task_id>/subtasks")
@token_required
def create_subtask(task_id: int) -> Any:
    """The head of the lead unit gives a part of the task to an officer or a child unit."""
    user = api_user()
    task = db.session.get(Task, task_id) if task_id <= MAX_ID else None
    if task is None:
        raise NotVisible
    require(user, Action.VIEW, task)
    if not can_break_down(user, task):
        raise PermissionDenied
    fields = Fields(
        read_json_object(), ("assignee_id", "child_unit_id", "content", "deadline", "version")
    )
    assignee_id = fields.integer("assignee_id", low=1, high=MAX_ID)
    child_unit_id = fields.integer("child_unit_id", low=1, high=MAX_ID)
    content = fields.string("content", required=True, max_length=operations.MAX_CONTENT_CHARS)
    deadline = fields.date("deadline", required=True)
    version = fields.integer("version", required=True)
    fields.check()
    if version != task.version:
        raise task_stale_error(task)
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    child_unit = db.session.get(Unit, child_unit_id) if child_unit_id else None
    errors = {}
    if assignee_id and assignee is None:
        errors["assignee_id"] = _("Không có cán bộ này.")
    if child_unit_id and child_unit is None:
        errors["child_unit_id"] = _("Không có đơn vị này.")
    if errors:
        raise ValidationError(errors)
    try:
        subtask = operations.create_subtask(
            task,
            actor=user,
            content=content or "",
            deadline=deadline,
            today=today_local(),
            assignee=assignee,
            child_unit=child_unit,
        )
    except ValidationError as error:
        # The operation names the form's single choice "assignee"; the API has two fields.
        if "assignee" in error.errors:
            key = "child_unit_id" if child_unit_id and not assignee_id else "assignee_id"
            error.errors[key] = error.errors.pop("assignee")
        raise
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise task_stale_error(task) from None
    return jsonify(subtask_json(subtask)), 201


def _stale_part(subtask: Subtask) -> Any:
    """The 409 of a part changed since the client read it: who, when, its version now."""
    db.session.rollback()
    error = operations.stale_error(subtask)
    when = (
        error.changed_dt.astimezone(local_zone()).strftime("%H:%M %d/%m/%Y")
        if error.changed_dt
        else "?"
    )
    return conflict_body(
        _(
            "Việc đã được %(who)s thay đổi lúc %(when)s. Vui lòng xem lại trước khi cập nhật.",
            who=error.changed_by,
            when=when,
        ),
        changed_by=error.changed_by,
        changed_at=iso_datetime(error.changed_dt),
        current_version=error.current_version,
    )


@bp.patch("/subtasks/<int:subtask_id>")
@token_required
def update_subtask(subtask_id: int) -> Any:
    """The head of the unit that gave the part changes its content, assignee or deadline,
    or cancels it (`"status": "cancelled"` with a `reason`)."""
    user = api_user()
    subtask = db.session.get(Subtask, subtask_id) if subtask_id <= MAX_ID else None
    if subtask is None:
        raise NotVisible
    require_subtask(user, SubtaskAction.MANAGE, subtask)
    fields = Fields(
        read_json_object(),
        ("assignee_id", "child_unit_id", "content", "deadline", "status", "reason", "version"),
    )
    version = fields.integer("version", required=True)
    status = fields.choice("status", (SubtaskStatus.CANCELLED.value,))
    assignee_id = fields.integer("assignee_id", low=1, high=MAX_ID)
    child_unit_id = fields.integer("child_unit_id", low=1, high=MAX_ID)
    content = fields.string("content", max_length=operations.MAX_CONTENT_CHARS)
    deadline = fields.date("deadline")
    reason = fields.string("reason", max_length=operations.MAX_NOTE_CHARS)
    if assignee_id and child_unit_id:
        fields.errors["child_unit_id"] = _("Chỉ chọn một trong assignee_id và child_unit_id.")
    if status is None and reason is not None:
        fields.errors["reason"] = _("Chỉ dùng khi huỷ việc (status: cancelled).")
    if status is not None:
        # A cancellation changes nothing else: the part is kept as it was, in its history.
        for name in ("assignee_id", "child_unit_id", "content", "deadline"):
            if name in fields.data:
                fields.errors[name] = _("Không sửa được cùng lúc với việc huỷ.")
    fields.check()
    if version != subtask.version:
        return _stale_part(subtask)
    try:
        if status is not None:
            operations.decide_subtask(
                subtask, actor=user, decision="cancel", reason=reason or "", seen_version=version
            )
        else:
            assignee, child_unit = subtask.assignee, subtask.child_unit
            if assignee_id or child_unit_id:
                assignee = db.session.get(User, assignee_id) if assignee_id else None
                child_unit = db.session.get(Unit, child_unit_id) if child_unit_id else None
                if assignee_id and assignee is None:
                    raise ValidationError({"assignee_id": _("Không có cán bộ này.")})
                if child_unit_id and child_unit is None:
                    raise ValidationError({"child_unit_id": _("Không có đơn vị này.")})
            try:
                operations.edit_subtask(
                    subtask,
                    actor=user,
                    content=subtask.content if content is None else content,
                    deadline=deadline or subtask.deadline,
                    today=today_local(),
                    assignee=assignee,
                    child_unit=child_unit,
                    seen_version=version,
                )
            except ValidationError as error:
                if "assignee" in error.errors:
                    key = "child_unit_id" if child_unit_id else "assignee_id"
                    error.errors[key] = error.errors.pop("assignee")
                raise
        db.session.commit()
    except StaleDataError:
        return _stale_part(subtask)
    return jsonify(subtask_json(subtask))


def init_app(app: Flask) -> None:
    """Register the sub-task API routes."""
    app.register_blueprint(bp)


# --- OpenAPI ------------------------------------------------------------------------------

_DATE = {"type": "string", "format": "date", "examples": ["2017-04-18"]}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_SUBTASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "task_id": {"type": "integer"},
    "unit": {
        **_ref("UnitRef"),
        "description": "The unit whose head gave the part: the lead unit, or a coordinating "
        "unit for its own contribution.",
    },
    "is_coordinating": {
        "type": "boolean",
        "description": "Given by a coordinating unit (phối hợp) for its own contribution: "
        "shown to that unit and the managers only, never in the lead unit's roll-up.",
    },
    "assignee": _nullable(_ref("UserRef")),
    "child_unit": _nullable(_ref("UnitRef")),
    "content": {"type": "string"},
    "deadline": _DATE,
    "status": {"type": "string", "enum": [s.value for s in SubtaskStatus]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "completed_on": _nullable(_DATE),
    "last_note": {"type": "string"},
    "version": {"type": "integer"},
    "created_at": {"type": "string", "format": "date-time"},
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Subtask": {
        "type": "object",
        "description": "A part of a task given by the lead unit's head to one officer of the "
        "unit (`assignee`) or to one of its child units (`child_unit`). Not counted in the "
        "official reports: the task is judged on its own deadline.",
        "properties": _SUBTASK_PROPERTIES,
        "required": list(_SUBTASK_PROPERTIES),
        "additionalProperties": False,
    },
    "NewSubtask": {
        "type": "object",
        "description": "Exactly one of `assignee_id` and `child_unit_id`.",
        "properties": {
            "assignee_id": _ID,
            "child_unit_id": _ID,
            "content": {
                "type": "string",
                "minLength": 1,
                "maxLength": operations.MAX_CONTENT_CHARS,
            },
            "deadline": {
                **_DATE,
                "description": "Not before today, not after the task's deadline.",
            },
            "version": {"type": "integer", "description": "The task's version as read."},
        },
        "required": ["content", "deadline", "version"],
        "additionalProperties": False,
    },
}

OPENAPI_SCHEMAS["SubtaskChange"] = {
    "type": "object",
    "description": "Fields left out keep their value. Either a change (content, deadline, "
    "at most one of `assignee_id` and `child_unit_id`) or a cancellation (`status` "
    "`cancelled` with a `reason`), not both. Only a part still being done (`open`) is "
    "changed; any part not cancelled may be cancelled.",
    "properties": {
        "assignee_id": _ID,
        "child_unit_id": _ID,
        "content": {"type": "string", "minLength": 1, "maxLength": operations.MAX_CONTENT_CHARS},
        "deadline": {
            **_DATE,
            "description": "Not after the task's deadline; a new deadline not before today.",
        },
        "status": {"type": "string", "enum": [SubtaskStatus.CANCELLED.value]},
        "reason": {
            "type": "string",
            "maxLength": operations.MAX_NOTE_CHARS,
            "description": "Why the part is cancelled (required with `status`).",
        },
        "version": {"type": "integer", "description": "The part's version as read."},
    },
    "required": ["version"],
    "additionalProperties": False,
}

_LANG_PARAMETER = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["vi", "en"], "default": "vi"},
    "description": "Language of the messages.",
}

# What a write of a part may answer besides its success, in the OpenAPI document.
_WRITE_ERRORS: dict[str, Any] = {
    code: {"$ref": f"#/components/responses/{name}"}
    for code, name in (
        ("401", "Unauthorized"),
        ("403", "Forbidden"),
        ("404", "NotFound"),
        ("409", "Conflict"),
        ("413", "TooLarge"),
        ("422", "ValidationFailed"),
        ("500", "ServerError"),
    )
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/subtasks/{subtask_id}": {
        "patch": {
            "operationId": "updateSubtask",
            "summary": "Change or cancel a part given to an officer or a child unit",
            "description": "Only the head of the unit that gave the part (role `unit_head`). "
            "A new officer must belong to that unit, a child unit must be under it; a new "
            "deadline may not be after the task's nor before today. Each field changed is an "
            "entry of the part's history; a new assignee is notified by the next reminder "
            "pass. A cancelled part is kept (history) and no longer counted in the roll-up.",
            "tags": ["subtasks"],
            "parameters": [
                {
                    "name": "subtask_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                    "description": "The part.",
                },
                _LANG_PARAMETER,
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _ref("SubtaskChange"),
                        "example": {"assignee_id": 13, "deadline": "2017-04-17", "version": 2},
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The part as it is now.",
                    "content": {"application/json": {"schema": _ref("Subtask")}},
                },
                **_WRITE_ERRORS,
            },
        }
    },
    "/api/v1/tasks/{task_id}/subtasks": {
        "post": {
            "operationId": "createSubtask",
            "summary": "Give a part of a task to an officer or a child unit",
            "description": "Only the head (role `unit_head`) of the task's lead unit, or of "
            "one of its coordinating units for that unit's own contribution "
            "(`is_coordinating`). The deadline may not be after the task's; the officer must "
            "belong to the head's unit, the child unit must be under it.",
            "tags": ["subtasks"],
            "parameters": [
                {
                    "name": "task_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                    "description": "The task.",
                },
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["vi", "en"], "default": "vi"},
                    "description": "Language of the messages.",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _ref("NewSubtask"),
                        "example": {
                            "assignee_id": 12,
                            "content": "Rà soát thủ tục hành chính cấp huyện",
                            "deadline": "2017-04-18",
                            "version": 3,
                        },
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "The sub-task.",
                    "content": {"application/json": {"schema": _ref("Subtask")}},
                },
                **_WRITE_ERRORS,
            },
        }
    },
}
