"""Hand-down pages: "Việc của tôi", giving a part of a task, a sub-task with its history."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from tracker.auth.models import User
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import (
    Action,
    NotVisible,
    PermissionDenied,
    SubtaskAction,
    can,
    can_break_down,
    can_subtask,
    can_view_breakdown,
    can_view_officer_summary,
    can_view_unit_parts,
    is_lead_member,
    is_subtask_assignee,
    require,
    require_subtask,
)
from tracker.core.time import request_today
from tracker.core.web import apply_errors, format_date
from tracker.extensions import db
from tracker.reports.exports import csv_text
from tracker.subtasks import operations
from tracker.subtasks.forms import (
    SubtaskDecisionForm,
    SubtaskEditForm,
    SubtaskForm,
    SubtaskReportForm,
)
from tracker.subtasks.models import Subtask, SubtaskStatus
from tracker.tasks.models import Task
from tracker.tasks.operations import stale_error as task_stale_error
from tracker.units.models import Unit

bp = Blueprint("subtasks", __name__)


def _load_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404)
    try:
        require(current_user, Action.VIEW, task)
    except NotVisible:
        abort(404)
    return task


def _load_subtask(subtask_id: int, action: SubtaskAction = SubtaskAction.VIEW) -> Subtask:
    subtask = db.session.get(Subtask, subtask_id)
    if subtask is None:
        abort(404)
    try:
        require_subtask(current_user, action, subtask)
    except NotVisible:
        abort(404)
    except PermissionDenied:
        abort(403)
    return subtask


def _version(raw: str | None) -> int:
    # An emptied or tampered version cannot show which state it was drawn from: stale (409).
    try:
        return int(raw) if raw and raw.strip() else -1
    except ValueError:
        return -1


def _flash_stale(stale: StaleVersion, what: str) -> None:
    when = format_date(stale.changed_dt) if stale.changed_dt else ""
    flash(
        _(
            "%(what)s vừa được %(who)s thay đổi lúc %(when)s. Vui lòng xem lại trước khi gửi; "
            "nội dung bạn nhập vẫn được giữ dưới đây.",
            what=what,
            who=stale.changed_by,
            when=when,
        ),
        "error",
    )


# --- the panel on the task page ---------------------------------------------------------


@dataclass(frozen=True)
class UnitParts:
    """A coordinating unit's own parts of the task, shown under that unit only."""

    unit: Unit
    subtasks: list[Subtask]
    rollup: operations.Rollup


def breakdown_for(task: Task) -> dict[str, Any] | None:
    """What the task page's sub-task panel shows to the current user, or None (nothing to
    show). The lead unit's parts and their roll-up go to the lead unit and the managers; the
    parts a coordinating unit gave its officers go under that unit, to its members and the
    managers, and never into the roll-up (the task's result is the lead unit's)."""
    if not can(current_user, Action.VIEW, task):
        return None
    parts = operations.subtasks_of(task.id)
    today = request_today()
    may_break_down = can_break_down(current_user, task) and task.is_open
    lead_view = can_view_breakdown(current_user, task)
    lead_parts = [s for s in parts if not s.is_coordinating] if lead_view else []
    by_unit: dict[int, list[Subtask]] = {}
    for part in parts:
        if part.is_coordinating and can_view_unit_parts(current_user, task, part.unit_id):
            by_unit.setdefault(part.unit_id, []).append(part)
    coordinating = [
        UnitParts(unit, by_unit[unit.id], operations.rollup(by_unit[unit.id], today))
        for unit in sorted(
            (db.session.get(Unit, unit_id) for unit_id in by_unit),
            key=lambda u: u.name_folded,  # type: ignore[union-attr]
        )
        if unit is not None
    ]
    mine_coordinating = may_break_down and not is_lead_member(current_user, task)
    if not lead_parts and not coordinating and not may_break_down:
        return None
    return {
        # The lead unit's breakdown (None: not this viewer's to see, or a coordinating head
        # with nothing given yet).
        "subtasks": lead_parts if lead_view else None,
        "rollup": operations.rollup(lead_parts, today),
        "coordinating": coordinating,
        "today": today,
        "may_break_down": may_break_down,
        # A coordinating unit's head: the button gives a part of the unit's contribution.
        "breaks_down_coordinating": mine_coordinating,
        # The lead unit drafts its report on the parent from its parts (tasks/detail.html's
        # progress form, filled by static/subtasks.js); coordinating parts are not in it.
        "report_text": (
            operations.report_text(lead_parts)
            if lead_parts and can(current_user, Action.REPORT, task)
            else ""
        ),
    }


# --- pages --------------------------------------------------------------------------------


@bp.route("/my-work")
@login_required
def my_work() -> Any:
    """Việc của tôi: the parts given to me; for a unit's head also the parts the unit gave
    and the per-officer view."""
    mine = operations.my_subtasks(current_user)
    given: list[Subtask] = []
    officers: list[operations.OfficerRow] = []
    if current_user.unit_id and can_view_officer_summary(current_user, current_user.unit_id):
        given = operations.unit_subtasks(current_user.unit_id)
        officers = operations.officer_summary(current_user.unit_id, request_today())
    return render_template(
        "subtasks/my_work.html",
        mine=mine,
        given=given,
        officers=officers,
        is_head=current_user.is_unit_head,
        today=request_today(),
        status_label=operations.status_label,
    )


@bp.route("/my-work/officers.csv")
@login_required
def officers_csv() -> Any:
    """The head's per-officer view as CSV (opens in Excel/LibreOffice)."""
    if not current_user.unit_id or not can_view_officer_summary(current_user, current_user.unit_id):
        abort(403)
    rows = operations.officer_summary(current_user.unit_id, request_today())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Cán bộ / đơn vị"),
            _("Số việc được giao"),
            _("Đã hoàn thành"),
            _("Chờ xác nhận"),
            _("Đang thực hiện"),
            _("Quá hạn"),
        ]
    )
    for row in rows:
        # A name a spreadsheet would read as a formula stays text (the reports' one rule).
        writer.writerow(
            [csv_text(row.name), row.total, row.done, row.reported, row.open, row.overdue]
        )
    body = "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=viec-theo-can-bo.csv",
            "Cache-Control": "private, no-store",
        },
    )


def _assignee_choices(unit_id: int) -> list[tuple[str, str]]:
    """The officers of the unit giving the part, then the units under it."""
    choices = [("", _("— Chọn cán bộ hoặc đơn vị —"))]
    choices += [(f"u{u.id}", u.full_name) for u in operations.officer_choices(unit_id)]
    choices += [
        (f"c{u.id}", _("Đơn vị: %(name)s", name=u.name))
        for u in operations.child_unit_choices(unit_id)
    ]
    return choices


def _assignee(value: str | None) -> tuple[User | None, Unit | None]:
    if not value or len(value) < 2 or not value[1:].isdigit():
        return None, None
    if value[0] == "u":
        return db.session.get(User, int(value[1:])), None
    if value[0] == "c":
        return None, db.session.get(Unit, int(value[1:]))
    return None, None


@bp.route("/tasks/<int:task_id>/subtasks/new", methods=["GET", "POST"])
@login_required
def subtask_new(task_id: int) -> Any:
    """The head of the lead unit gives a part of the task to an officer or a child unit."""
    task = _load_task(task_id)
    if not can_break_down(current_user, task):
        abort(403)
    form = SubtaskForm()
    form.assignee.choices = _assignee_choices(current_user.unit_id)
    if request.method == "GET":
        form.version.data = str(task.version)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            assignee, child_unit = _assignee(form.assignee.data)
            try:
                if _version(form.version.data) != task.version:
                    raise task_stale_error(task)
                subtask = operations.create_subtask(
                    task,
                    actor=current_user,
                    content=form.content.data or "",
                    deadline=form.deadline.data,
                    today=request_today(),
                    assignee=assignee,
                    child_unit=child_unit,
                )
                db.session.commit()
            except ValidationError as error:
                db.session.rollback()
                apply_errors(form, error.errors)
            except StaleVersion as stale:
                db.session.rollback()
                _flash_stale(stale, _("Nhiệm vụ"))
                form.version.data = str(stale.current_version)
                status = 409
            else:
                flash(_("Đã giao việc cho %(name)s.", name=subtask.assignee_name), "success")
                if request.form.get("again"):
                    return redirect(url_for("subtasks.subtask_new", task_id=task.id))
                return redirect(url_for("tasks.task_detail", task_id=task.id) + "#subtasks")
    page = render_template(
        "subtasks/form.html",
        form=form,
        task=task,
        # What this head's unit already gave of the task (a coordinating unit's head sees
        # its own parts, not the lead unit's).
        subtasks=[s for s in operations.subtasks_of(task.id) if s.unit_id == current_user.unit_id],
        coordinating=not is_lead_member(current_user, task),
        status_label=operations.status_label,
    )
    return page, status


@bp.route("/subtasks/<int:subtask_id>/edit", methods=["GET", "POST"])
@login_required
def subtask_edit(subtask_id: int) -> Any:
    """The head changes a part still being done: content, assignee, deadline."""
    subtask = _load_subtask(subtask_id, SubtaskAction.MANAGE)
    if subtask.status != SubtaskStatus.OPEN:
        flash(
            _("Chỉ sửa được việc đang thực hiện (việc đã báo cáo: yêu cầu làm lại trước)."), "info"
        )
        return redirect(url_for("subtasks.subtask_detail", subtask_id=subtask.id))
    form = SubtaskEditForm()
    form.assignee.choices = _assignee_choices(subtask.unit_id)
    if request.method == "GET":
        form.assignee.data = (
            f"u{subtask.assignee_id}" if subtask.assignee_id else f"c{subtask.child_unit_id}"
        )
        form.content.data = subtask.content
        form.deadline.data = subtask.deadline
        form.version.data = str(subtask.version)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            assignee, child_unit = _assignee(form.assignee.data)
            try:
                events = operations.edit_subtask(
                    subtask,
                    actor=current_user,
                    content=form.content.data or "",
                    deadline=form.deadline.data,
                    today=request_today(),
                    assignee=assignee,
                    child_unit=child_unit,
                    seen_version=_version(form.version.data),
                )
                db.session.commit()
            except ValidationError as error:
                db.session.rollback()
                apply_errors(form, error.errors)
            except (StaleVersion, StaleDataError) as error:
                db.session.rollback()
                stale = (
                    error if isinstance(error, StaleVersion) else operations.stale_error(subtask)
                )
                _flash_stale(stale, _("Việc"))
                form.version.data = str(stale.current_version)
                status = 409
            else:
                if events:
                    flash(_("Đã sửa việc."), "success")
                else:
                    flash(_("Không có thay đổi nào."), "info")
                return redirect(url_for("subtasks.subtask_detail", subtask_id=subtask.id))
        db.session.refresh(subtask)
    page = render_template(
        "subtasks/edit.html",
        form=form,
        subtask=subtask,
        task=subtask.task,
        may_see_task=can(current_user, Action.VIEW, subtask.task),
    )
    return page, status


def _iso_day(value: str | None) -> str:
    # An edit keeps the deadlines as ISO text; people read dd/mm/yyyy.
    try:
        return format_date(date.fromisoformat(value)) if value else ""
    except ValueError:
        return value or ""


def _render_subtask(subtask: Subtask, **forms: Any) -> Any:
    report_form = forms.get("report_form") or SubtaskReportForm(prefix="report")
    if not report_form.version.data:
        report_form.version.data = str(subtask.version)
    if report_form.progress.data is None and not forms.get("report_form"):
        report_form.progress.data = subtask.progress
    decision_form = forms.get("decision_form") or SubtaskDecisionForm(prefix="decision")
    if not decision_form.version.data:
        decision_form.version.data = str(subtask.version)
    task = subtask.task
    status = SubtaskStatus(subtask.status)
    decisions = []
    if can_subtask(current_user, SubtaskAction.MANAGE, subtask):
        if status == SubtaskStatus.REPORTED:
            decisions.append(("confirm", _("Xác nhận hoàn thành")))
        if status in (SubtaskStatus.REPORTED, SubtaskStatus.DONE):
            decisions.append(("reopen", _("Yêu cầu làm lại")))
        if status != SubtaskStatus.CANCELLED:
            decisions.append(("cancel", _("Huỷ việc")))
    return render_template(
        "subtasks/detail.html",
        subtask=subtask,
        task=task,
        # Officers of a child unit are not members of the lead unit: they read the parent's
        # content here, not on the task page, which stays the lead unit's.
        may_see_task=can(current_user, Action.VIEW, task),
        may_report=(
            can_subtask(current_user, SubtaskAction.REPORT, subtask)
            and status == SubtaskStatus.OPEN
        ),
        decisions=decisions,
        may_edit=(
            can_subtask(current_user, SubtaskAction.MANAGE, subtask)
            and status == SubtaskStatus.OPEN
        ),
        field_labels=operations.FIELD_LABELS,
        iso_day=_iso_day,
        report_form=report_form,
        decision_form=decision_form,
        status_label=operations.status_label,
        event_labels=operations.EVENT_LABELS,
        overdue=subtask.is_overdue(request_today()),
        is_assignee=is_subtask_assignee(current_user, subtask),
    )


@bp.route("/subtasks/<int:subtask_id>")
@login_required
def subtask_detail(subtask_id: int) -> Any:
    """A sub-task, its parent in short, its history and the forms of whoever acts on it."""
    return _render_subtask(_load_subtask(subtask_id))


def _act(subtask: Subtask, form: Any, form_name: str, operation: Any, done: str) -> Any:
    """Validate, run the operation and commit, back to the sub-task; on bad input or a stale
    version, the page again with the form as typed (422 / 409)."""
    status = 422
    if form.validate_on_submit():
        try:
            operation()
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            stale = operations.stale_error(subtask)
            _flash_stale(stale, _("Việc"))
            form.version.data = str(stale.current_version)
            status = 409
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale, _("Việc"))
            form.version.data = str(stale.current_version)
            status = 409
        else:
            flash(done, "success")
            return redirect(url_for("subtasks.subtask_detail", subtask_id=subtask.id))
    db.session.refresh(subtask)
    return _render_subtask(subtask, **{form_name: form}), status


@bp.route("/subtasks/<int:subtask_id>/report", methods=["POST"])
@login_required
def subtask_report(subtask_id: int) -> Any:
    """The assignee reports progress or that the part is done."""
    subtask = _load_subtask(subtask_id, SubtaskAction.REPORT)
    form = SubtaskReportForm(prefix="report")
    done = request.form.get("report-action") == "done"
    return _act(
        subtask,
        form,
        "report_form",
        lambda: operations.report_subtask(
            subtask,
            actor=current_user,
            note=form.note.data or "",
            progress=form.progress.data,
            done=done,
            today=request_today(),
            seen_version=_version(form.version.data),
        ),
        _("Đã gửi báo cáo hoàn thành, chờ trưởng đơn vị xác nhận.")
        if done
        else _("Đã gửi báo cáo tiến độ."),
    )


@bp.route("/subtasks/<int:subtask_id>/decision", methods=["POST"])
@login_required
def subtask_decision(subtask_id: int) -> Any:
    """The head confirms, sends back or cancels a part."""
    subtask = _load_subtask(subtask_id, SubtaskAction.MANAGE)
    form = SubtaskDecisionForm(prefix="decision")
    decision = request.form.get("decision-action", "")
    return _act(
        subtask,
        form,
        "decision_form",
        lambda: operations.decide_subtask(
            subtask,
            actor=current_user,
            decision=decision,
            reason=form.reason.data or "",
            seen_version=_version(form.version.data),
        ),
        _("Đã cập nhật việc."),
    )


def init_app(app: Flask) -> None:
    """Register the pages, the API routes and the task page's panel."""
    from tracker.subtasks import api

    app.register_blueprint(bp)
    api.init_app(app)
    app.jinja_env.globals["subtask_breakdown"] = breakdown_for
    app.jinja_env.globals["subtask_status_label"] = operations.status_label
