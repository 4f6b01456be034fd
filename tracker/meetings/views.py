"""Meeting pages: list, record, edit, and the meeting with its tasks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.permissions import can_view_meeting, visible_tasks_clause
from tracker.core.text import fold
from tracker.core.web import apply_errors, manager_required
from tracker.extensions import db
from tracker.meetings import operations
from tracker.meetings.forms import MeetingForm
from tracker.meetings.models import Meeting, meeting_attendees
from tracker.tasks.models import Task
from tracker.tasks.operations import task_query_options
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


@bp.route("/")
@login_required
def meeting_list() -> Any:
    q = request.args.get("q", "").strip()
    query = sa.select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())
    if not current_user.sees_all_tasks:
        attended = sa.select(meeting_attendees.c.meeting_id).where(
            meeting_attendees.c.unit_id == current_user.unit_id
        )
        involved = sa.select(Task.meeting_id).where(visible_tasks_clause(current_user))
        query = query.where(sa.or_(Meeting.id.in_(attended), Meeting.id.in_(involved)))
    if q:
        words = [w for w in fold(q).split() if w]
        for word in words:
            query = query.where(
                sa.or_(
                    sa.func.lower(Meeting.title).contains(q.lower(), autoescape=True),
                    Meeting.notice_number.icontains(word, autoescape=True),
                    # Only tasks the user may see: a match in another unit's task would tell
                    # them the meeting holds it.
                    Meeting.id.in_(
                        sa.select(Task.meeting_id).where(
                            Task.content_folded.contains(word, autoescape=True),
                            visible_tasks_clause(current_user),
                        )
                    ),
                )
            )
    page = db.paginate(query, per_page=30, error_out=False)
    counts = _task_counts([m.id for m in page.items])
    return render_template("meetings/list.html", page=page, q=q, counts=counts)


def _task_counts(meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    if not meeting_ids:
        return {}
    rows = db.session.execute(
        sa.select(Task.meeting_id, Task.status, sa.func.count())
        .where(Task.meeting_id.in_(meeting_ids), visible_tasks_clause(current_user))
        .group_by(Task.meeting_id, Task.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for meeting_id, status, n in rows:
        counts.setdefault(meeting_id, {})[status] = n
    return counts


def _prepare(form: MeetingForm) -> None:
    form.chair_id.choices = [(0, _("— Chọn người chủ trì —"))] + [
        (u.id, u.full_name) for u in operations.chairs()
    ]
    form.attending_unit_ids.choices = [(u.id, u.name) for u in active_units()]


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@manager_required
def meeting_edit(meeting_id: int | None = None) -> Any:
    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting_id and meeting is None:
        abort(404)
    form = MeetingForm(obj=meeting)
    _prepare(form)
    if request.method == "GET":
        if meeting is not None:
            form.chair_id.data = meeting.chair_id or 0
            form.attending_unit_ids.data = [u.id for u in meeting.attending_units]
        elif current_user.is_chair:
            form.chair_id.data = current_user.id
    if form.validate_on_submit():
        chair = db.session.get(User, form.chair_id.data) if form.chair_id.data else None
        units = (
            db.session.scalars(
                sa.select(Unit).where(Unit.id.in_(form.attending_unit_ids.data))
            ).all()
            if form.attending_unit_ids.data
            else []
        )
        try:
            saved = operations.save_meeting(
                meeting,
                actor=current_user,
                title=form.title.data,
                held_on=form.held_on.data,
                place=form.place.data or "",
                chair=chair,
                attending_units=list(units),
                notice_number=form.notice_number.data or "",
                notice_issued_on=form.notice_issued_on.data,
                notice_signer=form.notice_signer.data or "",
                notice_text=form.notice_text.data or "",
            )
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu cuộc họp."), "success")
            return redirect(url_for("meetings.meeting_detail", meeting_id=saved.id))
    return render_template("meetings/form.html", form=form, meeting=meeting)


@bp.route("/<int:meeting_id>")
@login_required
def meeting_detail(meeting_id: int) -> Any:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_view_meeting(current_user, meeting):
        abort(404)
    tasks = db.session.scalars(
        sa.select(Task)
        .options(*task_query_options(), selectinload(Task.responsible))
        .where(Task.meeting_id == meeting.id, visible_tasks_clause(current_user))
        .order_by(Task.id)
    ).all()
    return render_template("meetings/detail.html", meeting=meeting, tasks=tasks)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
