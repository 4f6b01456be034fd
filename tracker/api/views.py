"""The JSON API (/api/v1): tasks, progress reports, extension requests, the OpenAPI document.

Views parse the request and call one operation; permissions are decided by
tracker.core.permissions and the operations, and errors become JSON by the handlers below.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.api.auth import api_user, check_api_query, token_required
from tracker.api.errors import conflict_body, register_api_errors, stale_answer
from tracker.api.inputs import (
    Fields,
    parse_date,
    raw_query,
    read_json_object,
)
from tracker.api.openapi import openapi_document
from tracker.api.serializers import (
    event_json,
    extension_json,
    iso_date,
    iso_datetime,
    task_json,
)
from tracker.calendar.operations import working_calendar
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.limits import MAX_ID
from tracker.core.permissions import (
    Action,
    NotVisible,
    PermissionDenied,
    can_see_decisions,
    require,
    require_decide_request,
    visible_tasks_clause,
)
from tracker.core.text import fold
from tracker.core.time import today_local
from tracker.decisions.queue import waiting_items
from tracker.extensions import csrf, db
from tracker.reminders.instant import notify_task_now
from tracker.subtasks.api import assigned_task_ids, subtasks_for
from tracker.tasks.extensions import decide_extension, request_extension
from tracker.tasks.models import (
    STATUS_VALUES,
    ExtensionRequest,
    ExtensionStatus,
    Task,
    TaskEvent,
    Timeliness,
    task_coordinating_units,
)
from tracker.tasks.operations import MAX_NOTE_CHARS, post_progress
from tracker.tasks.timeliness import timeliness_clause

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY_CHARS = 200
ROLES = ("lead", "coordinating")
TIMELINESS_VALUES = tuple(t.value for t in Timeliness)
# Offsets bounded within a 64-bit integer.
MAX_PAGE = 1_000_000


# --- errors -------------------------------------------------------------------------------


register_api_errors(bp)


@bp.errorhandler(StaleDataError)
def _stale_row(error: StaleDataError) -> Any:
    # Two writers passed the version check at once; the database let only one through.
    db.session.rollback()
    args = request.view_args or {}
    task_id = args.get("task_id")
    if task_id is None and args.get("request_id") is not None:
        task_id = db.session.scalar(
            sa.select(ExtensionRequest.task_id).where(ExtensionRequest.id == args["request_id"])
        )
    task = db.session.get(Task, task_id) if task_id else None
    last = (
        db.session.scalar(
            sa.select(TaskEvent)
            .where(TaskEvent.task_id == task.id)
            .order_by(TaskEvent.id.desc())
            .limit(1)
        )
        if task
        else None
    )
    who = last.actor.full_name if last and last.actor else "?"
    return stale_answer(
        StaleVersion(who, last.created_dt if last else None, task.version if task else 0)
    )


# Query parameters each endpoint reads; anything else is a mistake worth telling the client
# about (`?statuss=new` would otherwise silently list every task). `lang` is read by i18n.
LIST_PARAMS = frozenset(
    {
        "unit",
        "role",
        "status",
        "timeliness",
        "meeting",
        "due_before",
        "q",
        "page",
        "per_page",
        "assignee",
    }
)
COMMON_PARAMS = frozenset({"lang"})


@bp.before_request
def _refuse_unknown_query_parameters() -> Any:
    known = COMMON_PARAMS | (LIST_PARAMS if request.endpoint == "api.list_tasks" else frozenset())
    return check_api_query(known)


# --- helpers ------------------------------------------------------------------------------


def _had_nul(name: str) -> bool:
    """Whether query argument `name` arrived with a NUL character (dropped since)."""
    return any("\x00" in value for value in raw_query().get(name, []))


def _load_task(task_id: int, action: Action, *, for_update: bool = False) -> Task:
    """The task, if the token's user may do `action` with it (NotVisible / PermissionDenied
    otherwise). Checked before the body is read, so that nobody learns from a 422 that a task
    they may not see exists."""
    task = (
        db.session.get(
            Task, task_id, with_for_update=for_update or None, populate_existing=for_update
        )
        if task_id <= MAX_ID
        else None
    )
    if task is None:
        raise NotVisible
    require(api_user(), action, task)
    return task


def _task_detail(task: Task) -> dict[str, Any]:
    events = db.session.scalars(
        sa.select(TaskEvent)
        .options(selectinload(TaskEvent.actor))
        .where(TaskEvent.task_id == task.id)
        .order_by(TaskEvent.id)
    ).all()
    requests = db.session.scalars(
        sa.select(ExtensionRequest)
        .options(
            selectinload(ExtensionRequest.requested_by), selectinload(ExtensionRequest.decided_by)
        )
        .where(ExtensionRequest.task_id == task.id)
        .order_by(ExtensionRequest.id)
    ).all()
    return {
        **task_json(task),
        "completed_on": iso_date(task.completed_on),
        "result": task.result or "",
        "extension_count": task.extension_count,
        "history": [event_json(e) for e in events],
        "extension_requests": [extension_json(r) for r in requests],
        "subtasks": subtasks_for(task, api_user()),
    }


def _int_arg(
    errors: dict[str, str], name: str, default: int | None, low: int, high: int | None = None
) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("Giá trị phải là một số nguyên.")
        return default
    if value < low or (high is not None and value > high):
        errors[name] = (
            _("Giá trị phải từ %(low)s đến %(high)s.", low=low, high=high)
            if high is not None
            else _("Giá trị phải từ %(low)s trở lên.", low=low)
        )
        return default
    return value


# --- endpoints ----------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/tasks")
@token_required
def list_tasks() -> Any:
    """The tasks the token's user may see, filtered and paginated."""
    args = request.args
    errors: dict[str, str] = {}
    page = _int_arg(errors, "page", 1, 1, MAX_PAGE) or 1
    per_page = _int_arg(errors, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    unit_id = _int_arg(errors, "unit", None, 1, MAX_ID)
    meeting_id = _int_arg(errors, "meeting", None, 1, MAX_ID)
    # An empty value is refused like any other value the document does not allow.
    role = args.get("role")
    if role is not None and role not in ROLES:
        errors["role"] = _("Giá trị phải là lead hoặc coordinating.")
    # As the document's pattern: empty, or statuses separated by single commas ("new,," and
    # "," are refused, not read as "new" and nothing).
    raw_statuses = args.get("status") or ""
    statuses = raw_statuses.split(",") if raw_statuses else []
    # NUL characters are dropped from every argument (tracker/core/requests.py): a status
    # made of them must not turn into "no filter".
    if any(s not in STATUS_VALUES for s in statuses) or _had_nul("status"):
        errors["status"] = _("Trạng thái không hợp lệ.")
    timeliness = args.get("timeliness")
    if timeliness is not None and timeliness not in TIMELINESS_VALUES:
        errors["timeliness"] = _("Tình trạng thời hạn không hợp lệ.")
    due_before = None
    if "due_before" in args:
        due_before = parse_date(args["due_before"])
        if due_before is None:
            errors["due_before"] = _("Ngày không hợp lệ (cần dạng YYYY-MM-DD).")
    assignee = args.get("assignee")
    if assignee is not None and assignee != "me":
        errors["assignee"] = _("Giá trị phải là me.")
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        errors["q"] = _("Từ khoá quá dài (tối đa %(n)s ký tự).", n=MAX_QUERY_CHARS)
    if errors:
        raise ValidationError(errors)

    conditions: list[sa.ColumnElement[bool]] = [visible_tasks_clause(api_user())]
    # `role` names the side of `unit`, by default the caller's own unit (issue 18 §9):
    # `?role=lead` is "what my unit leads". Without `role`, `unit` means "leads" as before;
    # without both, everything visible. A caller without a unit has no side: nothing.
    role_unit = unit_id if unit_id is not None else api_user().unit_id
    if unit_id is not None and role is None:
        role = "lead"
    if role is not None and role_unit is None:
        conditions.append(sa.false())
    elif role is not None:
        if role == "lead":
            conditions.append(Task.lead_unit_id == role_unit)
        else:
            conditions.append(
                Task.id.in_(
                    sa.select(task_coordinating_units.c.task_id).where(
                        task_coordinating_units.c.unit_id == role_unit
                    )
                )
            )
    if assignee == "me":
        # Tasks with a part given to the user (tracker/subtasks): an officer's own work.
        conditions.append(Task.id.in_(assigned_task_ids(api_user())))
    if statuses:
        conditions.append(Task.status.in_(statuses))
    if timeliness is not None:
        due_soon_days = int(current_app.config.get("TRACKER_DUE_SOON_DAYS", 3))
        conditions.append(
            timeliness_clause(timeliness, today_local(), due_soon_days, working_calendar())
        )
    if meeting_id is not None:
        conditions.append(Task.meeting_id == meeting_id)
    if due_before is not None:
        conditions.append(Task.deadline <= due_before)
    for word in fold(q).split()[:10]:
        conditions.append(Task.content_folded.contains(word, autoescape=True))

    total = db.session.scalar(sa.select(sa.func.count(Task.id)).where(*conditions)) or 0
    tasks = db.session.scalars(
        sa.select(Task)
        # Units in two more queries, whatever the page size.
        .options(selectinload(Task.lead_unit), selectinload(Task.coordinating_units))
        .where(*conditions)
        .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    today = today_local()
    return jsonify(
        items=[task_json(t, today) for t in tasks],
        page=page,
        per_page=per_page,
        total=total,
        pages=math.ceil(total / per_page),
    )


@bp.get("/decisions")
@token_required
def list_decisions() -> Any:
    """The decision queue of the chair or the office, oldest first."""
    user = api_user()
    if not can_see_decisions(user):
        raise PermissionDenied
    items = waiting_items(user)
    today = today_local()
    return jsonify(
        items=[
            {
                "kind": item.kind,
                "since": iso_datetime(item.since),
                "resubmitted": item.resubmitted,
                "task": task_json(item.task, today),
                "extension": extension_json(item.extension) if item.extension else None,
            }
            for item in items
        ],
        total=len(items),
    )


@bp.get("/tasks/<int:task_id>")
@token_required
def get_task(task_id: int) -> Any:
    """One task with its history and extension requests."""
    task = _load_task(task_id, Action.VIEW)
    return jsonify(_task_detail(task))


@bp.post("/tasks/<int:task_id>/updates")
@token_required
def post_update(task_id: int) -> Any:
    """A progress report of the lead unit: note, progress, maybe a new status."""
    task = _load_task(task_id, Action.REPORT, for_update=True)
    fields = Fields(read_json_object(), ("status", "progress", "note", "version"))
    status = fields.choice("status", STATUS_VALUES)
    progress = fields.integer("progress", low=0, high=100)
    note = fields.string("note", max_length=MAX_NOTE_CHARS)
    version = fields.integer("version", required=True)
    fields.check()
    post_progress(
        task,
        actor=api_user(),
        note=note or "",
        progress=progress,
        status=status,
        seen_version=version,
    )
    db.session.commit()
    notify_task_now(task.id)
    return jsonify(_task_detail(task))


@bp.post("/tasks/<int:task_id>/extension-requests")
@token_required
def post_extension_request(task_id: int) -> Any:
    """The lead unit asks for a later deadline."""
    task = _load_task(task_id, Action.REQUEST_EXTENSION, for_update=True)
    fields = Fields(read_json_object(), ("new_deadline", "reason", "version"))
    new_deadline = fields.date("new_deadline", required=True)
    reason = fields.string("reason", max_length=MAX_NOTE_CHARS)
    version = fields.integer("version")
    fields.check()
    extension = request_extension(
        task, actor=api_user(), new_deadline=new_deadline, reason=reason or "", seen_version=version
    )
    db.session.commit()
    notify_task_now(task.id)
    return jsonify({**extension_json(extension), "task": task_json(task)}), 201


@bp.post("/extension-requests/<int:request_id>/decision")
@token_required
def post_extension_decision(request_id: int) -> Any:
    """The chair or the office approves (maybe with another date) or refuses a request."""
    extension = (
        db.session.get(ExtensionRequest, request_id, with_for_update=True, populate_existing=True)
        if request_id <= MAX_ID
        else None
    )
    if extension is None:
        raise NotVisible
    task = _load_task(extension.task_id, Action.DECIDE, for_update=True)
    # Nobody decides their own request, nor their unit's (before saying it was decided).
    require_decide_request(api_user(), task, extension.requested_by_id)
    if extension.status != ExtensionStatus.PENDING:
        response = conflict_body(
            _("Đề nghị gia hạn này đã được quyết định."),
            status=extension.status,
            changed_by=extension.decided_by.full_name if extension.decided_by else None,
            changed_at=iso_datetime(extension.decided_dt),
            current_version=task.version,
        )
        db.session.rollback()
        return response
    fields = Fields(read_json_object(), ("approve", "deadline", "comment"))
    approve = fields.boolean("approve", required=True)
    deadline = fields.date("deadline")
    comment = fields.string("comment", max_length=MAX_NOTE_CHARS)
    fields.check()
    decide_extension(
        extension, actor=api_user(), approve=bool(approve), deadline=deadline, comment=comment or ""
    )
    db.session.commit()
    notify_task_now(task.id)
    return jsonify({**extension_json(extension), "task": task_json(task)})


def init_app(app: Flask) -> None:
    """Register the API blueprint."""
    app.register_blueprint(bp)
