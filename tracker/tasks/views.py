"""Task pages: a unit's tasks, the task list, a task with its history, and the forms."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.auth.models import Role, User
from tracker.calendar.operations import working_calendar
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import (
    Action,
    NotVisible,
    PermissionDenied,
    can,
    require,
    visible_tasks_clause,
)
from tracker.core.text import fold
from tracker.core.time import request_today
from tracker.core.web import apply_errors, format_date, manager_required
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks import operations
from tracker.tasks.forms import CommentForm, DecisionForm, ProgressForm, TaskForm
from tracker.tasks.models import Status, Task, TaskEvent, Timeliness
from tracker.tasks.timeliness import timeliness_clause
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("tasks", __name__)

TIMELINESS_LABELS = {
    Timeliness.DONE_ON_TIME.value: _l("Hoàn thành đúng hạn"),
    Timeliness.DONE_LATE.value: _l("Hoàn thành quá hạn"),
    Timeliness.OPEN_ON_TIME.value: _l("Chưa hoàn thành, trong hạn"),
    Timeliness.OPEN_OVERDUE.value: _l("Chưa hoàn thành, quá hạn"),
    Timeliness.DUE_SOON.value: _l("Sắp đến hạn"),
    Timeliness.NO_DEADLINE.value: _l("Không thời hạn"),
}

DECISION_LABELS = {
    "confirm": _l("Xác nhận hoàn thành"),
    "return": _l("Trả lại, yêu cầu thực hiện lại"),
    "pause": _l("Tạm hoãn"),
    "resume": _l("Tiếp tục thực hiện"),
    "cancel": _l("Huỷ nhiệm vụ"),
    "reopen": _l("Mở lại"),
}

PER_PAGE = 50


def load_task(task_id: int, action: Action = Action.VIEW) -> Task:
    """The task, if the current user may do `action` with it; 404 when they may not even
    see it, 403 when they see it but may not act."""
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404)
    try:
        require(current_user, action, task)
    except NotVisible:
        abort(404)
    except PermissionDenied:
        abort(403)
    return task


def _due_soon_days() -> int:
    return int(current_app.config.get("TRACKER_DUE_SOON_DAYS", 3))


def timeliness_of(task: Task) -> str | None:
    """The task's timeliness class today, with the deployment's calendar."""
    return task.timeliness(request_today(), _due_soon_days(), working_calendar())


@bp.route("/tasks/mine")
@login_required
def my_tasks() -> Any:
    led, coordinated = operations.unit_task_lists(current_user)
    return render_template("tasks/mine.html", led=led, coordinated=coordinated)


@bp.route("/tasks/")
@login_required
def overview() -> Any:
    args = request.args
    query = (
        sa.select(Task)
        .options(*operations.task_query_options())
        .where(visible_tasks_clause(current_user))
    )
    errors: list[str] = []
    unit_id = args.get("unit", type=int)
    role = args.get("role", "")
    if unit_id:
        if role == "coordinating":
            from tracker.tasks.models import task_coordinating_units as tcu

            query = query.where(
                Task.id.in_(sa.select(tcu.c.task_id).where(tcu.c.unit_id == unit_id))
            )
        elif role == "lead" or not role:
            query = query.where(Task.lead_unit_id == unit_id)
    status = args.get("status", "")
    if status:
        if status in {s.value for s in Status}:
            query = query.where(Task.status == status)
        else:
            errors.append(_("Trạng thái không hợp lệ."))
    timeliness = args.get("timeliness", "")
    if timeliness:
        if timeliness in TIMELINESS_LABELS:
            query = query.where(
                timeliness_clause(timeliness, request_today(), _due_soon_days(), working_calendar())
            )
        else:
            errors.append(_("Tình trạng thời hạn không hợp lệ."))
    meeting_id = args.get("meeting", type=int)
    if meeting_id:
        query = query.where(Task.meeting_id == meeting_id)
    q = args.get("q", "").strip()
    if q:
        for word in fold(q).split()[:10]:
            query = query.where(Task.content_folded.like(f"%{word}%"))
    query = query.order_by(Task.deadline.is_(None), Task.deadline, Task.id)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False, count=True)
    for message in errors:
        flash(message, "error")
    units = active_units() if current_user.sees_all_tasks else []
    return render_template(
        "tasks/list.html",
        page=page,
        units=units,
        filters={
            "unit": unit_id or "",
            "role": role,
            "status": status,
            "timeliness": timeliness,
            "meeting": meeting_id or "",
            "q": q,
        },
        statuses=list(Status),
    )


def _unit_choices(form: TaskForm) -> None:
    units = active_units()
    form.lead_unit_id.choices = [(0, _("— Chọn đơn vị chủ trì —"))] + [
        (u.id, u.name) for u in units
    ]
    form.coordinating_unit_ids.choices = [(u.id, u.name) for u in units]
    people = db.session.scalars(
        sa.select(User)
        .options(selectinload(User.unit))
        .where(User.role == Role.UNIT, User.is_active_user.is_(True), User.unit_id.is_not(None))
        .order_by(User.full_name)
    ).all()
    form.responsible_id.choices = [(0, _("— Không chỉ định —"))] + [
        (u.id, f"{u.full_name} ({u.unit.short_name or u.unit.name})") for u in people if u.unit
    ]


def _form_values(form: TaskForm) -> dict[str, Any]:
    lead = db.session.get(Unit, form.lead_unit_id.data) if form.lead_unit_id.data else None
    coordinating = (
        list(
            db.session.scalars(sa.select(Unit).where(Unit.id.in_(form.coordinating_unit_ids.data)))
        )
        if form.coordinating_unit_ids.data
        else []
    )
    responsible = (
        db.session.get(User, form.responsible_id.data) if form.responsible_id.data else None
    )
    return {
        "content": form.content.data or "",
        "lead_unit": lead,
        "coordinating_units": coordinating,
        "responsible": responsible,
        "deadline": None if form.is_recurring.data else form.deadline.data,
        "is_recurring": bool(form.is_recurring.data),
    }


@bp.route("/meetings/<int:meeting_id>/tasks/new", methods=["GET", "POST"])
@manager_required
def task_new(meeting_id: int) -> Any:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    form = TaskForm()
    _unit_choices(form)
    if form.validate_on_submit():
        try:
            task = operations.create_task(meeting, actor=current_user, **_form_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, _field_names(error.errors))
        else:
            db.session.commit()
            flash(_("Đã giao nhiệm vụ cho %(unit)s.", unit=task.lead_unit.name), "success")
            if request.form.get("another"):
                return redirect(url_for("tasks.task_new", meeting_id=meeting.id))
            return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))
    return render_template("tasks/form.html", form=form, meeting=meeting, task=None)


def _field_names(errors: dict[str, str]) -> dict[str, str]:
    # Operations name the model fields; the form names the inputs.
    rename = {
        "lead_unit": "lead_unit_id",
        "coordinating_units": "coordinating_unit_ids",
        "responsible": "responsible_id",
    }
    return {rename.get(k, k): v for k, v in errors.items()}


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def task_edit(task_id: int) -> Any:
    task = load_task(task_id, Action.EDIT)
    form = TaskForm(obj=task)
    _unit_choices(form)
    if request.method == "GET":
        form.lead_unit_id.data = task.lead_unit_id
        form.coordinating_unit_ids.data = [u.id for u in task.coordinating_units]
        form.responsible_id.data = task.responsible_id or 0
        form.version.data = str(task.version)
    if form.validate_on_submit():
        try:
            operations.edit_task(
                task,
                actor=current_user,
                seen_version=_version(form.version.data),
                reason=form.reason.data or "",
                **_form_values(form),
            )
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, _field_names(error.errors))
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale)
        else:
            flash(_("Đã cập nhật nhiệm vụ."), "success")
            return redirect(url_for("tasks.task_detail", task_id=task.id))
    return render_template("tasks/form.html", form=form, meeting=task.meeting, task=task)


def _version(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1  # a tampered version is stale by definition


def _flash_stale(stale: StaleVersion) -> None:
    when = format_date(stale.changed_dt) if stale.changed_dt else ""
    flash(
        _(
            "Nhiệm vụ vừa được %(who)s thay đổi lúc %(when)s. Vui lòng xem lại trước khi gửi; "
            "nội dung bạn nhập vẫn được giữ dưới đây.",
            who=stale.changed_by,
            when=when,
        ),
        "error",
    )


def _progress_form(task: Task, formdata: Any = None) -> ProgressForm:
    form = ProgressForm(formdata=formdata, prefix="progress")
    # The current status and the ones a report can move to; a choice that no longer fits
    # (the task moved meanwhile) is explained by the operation, after the version check.
    shown = (Status.NEW, task.status) if formdata is not None else (task.status,)
    choices = {str(s): operations.status_label(s) for s in shown}
    for status, name in operations.REPORTABLE_STATUSES.items():
        if formdata is not None or Status(task.status) in operations.TRANSITIONS[name].sources:
            choices[status.value] = operations.status_label(status)
    form.status.choices = list(choices.items())
    if formdata is None:
        form.status.data = task.status
        form.progress.data = task.progress
        form.version.data = str(task.version)
    return form


def _render_detail(task: Task, **forms: Any) -> Any:
    events = db.session.scalars(
        sa.select(TaskEvent)
        .options(selectinload(TaskEvent.actor))
        .where(TaskEvent.task_id == task.id)
        .order_by(TaskEvent.id.desc())
    ).all()
    progress_form = forms.get("progress_form") or _progress_form(task)
    comment_form = forms.get("comment_form") or CommentForm(prefix="comment")
    decision_form = forms.get("decision_form") or DecisionForm(prefix="decision")
    if not decision_form.version.data:
        decision_form.version.data = str(task.version)
    decisions = [
        (name, DECISION_LABELS[name])
        for name, t in operations.TRANSITIONS.items()
        if t.action == Action.DECIDE and Status(task.status) in t.sources
    ]
    return render_template(
        "tasks/detail.html",
        task=task,
        events=events,
        progress_form=progress_form,
        comment_form=comment_form,
        decision_form=decision_form,
        decisions=decisions,
        may_report=can(current_user, Action.REPORT, task),
        may_contribute=can(current_user, Action.CONTRIBUTE, task),
        may_decide=can(current_user, Action.DECIDE, task),
        may_edit=can(current_user, Action.EDIT, task),
    )


@bp.route("/tasks/<int:task_id>")
@login_required
def task_detail(task_id: int) -> Any:
    return _render_detail(load_task(task_id))


@bp.route("/tasks/<int:task_id>/progress", methods=["POST"])
@login_required
def task_progress(task_id: int) -> Any:
    task = load_task(task_id, Action.REPORT)
    form = _progress_form(task, request.form)
    if form.validate_on_submit():
        try:
            operations.post_progress(
                task,
                actor=current_user,
                note=form.note.data or "",
                progress=form.progress.data,
                status=form.status.data,
                seen_version=_version(form.version.data),
            )
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale)
            form.version.data = str(stale.current_version)
        else:
            flash(_("Đã gửi báo cáo tiến độ."), "success")
            return redirect(url_for("tasks.task_detail", task_id=task.id))
    db.session.refresh(task)
    return _render_detail(task, progress_form=form), 422


@bp.route("/tasks/<int:task_id>/comment", methods=["POST"])
@login_required
def task_comment(task_id: int) -> Any:
    task = load_task(task_id, Action.CONTRIBUTE)
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            operations.add_comment(task, actor=current_user, note=form.note.data or "")
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            flash(_("Đã gửi ý kiến."), "success")
            return redirect(url_for("tasks.task_detail", task_id=task.id))
    return _render_detail(task, comment_form=form), 422


@bp.route("/tasks/<int:task_id>/decision", methods=["POST"])
@login_required
def task_decision(task_id: int) -> Any:
    task = load_task(task_id, Action.DECIDE)
    form = DecisionForm(prefix="decision")
    if form.validate_on_submit():
        try:
            operations.change_status(
                task,
                actor=current_user,
                transition_name=form.action.data,
                reason=form.reason.data or "",
                seen_version=_version(form.version.data),
            )
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale)
            form.version.data = str(stale.current_version)
        else:
            flash(_("Đã cập nhật trạng thái nhiệm vụ."), "success")
            return redirect(url_for("tasks.task_detail", task_id=task.id))
    db.session.refresh(task)
    return _render_detail(task, decision_form=form), 422


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
