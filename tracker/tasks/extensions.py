"""Extensions (gia hạn): the lead unit asks for a later deadline, the chair or office decides."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.limits import date_in_range, date_range_message, is_blank
from tracker.core.permissions import Action, require, require_decide_request
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.tasks.models import (
    CLOSED_STATUSES,
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    Task,
)
from tracker.tasks.operations import MAX_NOTE_CHARS, _check_version, _event


def pending_request(task: Task) -> ExtensionRequest | None:
    """The task's undecided request, if any."""
    return db.session.scalar(
        sa.select(ExtensionRequest).where(
            ExtensionRequest.task_id == task.id,
            ExtensionRequest.status == ExtensionStatus.PENDING,
        )
    )


def request_extension(
    task: Task,
    *,
    actor: User,
    new_deadline: date | None,
    reason: str,
    seen_version: int | None = None,
) -> ExtensionRequest:
    """Ask for `new_deadline`, before or after the current deadline has passed."""
    require(actor, Action.REQUEST_EXTENSION, task)
    _check_version(task, seen_version)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if task.status in CLOSED_STATUSES:
        errors["status"] = _("Nhiệm vụ đã kết thúc, không thể xin gia hạn.")
    if new_deadline is None:
        errors["new_deadline"] = _("Vui lòng nhập thời hạn đề nghị.")
    elif not date_in_range(new_deadline):
        errors["new_deadline"] = date_range_message()
    elif task.deadline is not None and new_deadline <= task.deadline:
        errors["new_deadline"] = _(
            "Thời hạn đề nghị phải sau thời hạn hiện tại (%(day)s).",
            day=f"{task.deadline:%d/%m/%Y}",
        )
    elif new_deadline < task.meeting.held_on:
        errors["new_deadline"] = _("Thời hạn không thể trước ngày họp.")
    if is_blank(reason):
        errors["reason"] = _("Vui lòng nêu lý do xin gia hạn.")
    elif len(reason) > MAX_NOTE_CHARS:
        errors["reason"] = _("Lý do quá dài.")
    if not errors and pending_request(task) is not None:
        errors["new_deadline"] = _("Đã có một đề nghị gia hạn đang chờ quyết định.")
    if errors:
        raise ValidationError(errors)
    assert new_deadline is not None
    request = ExtensionRequest(
        task=task,
        requested_by=actor,
        requested_dt=now_utc(),
        old_deadline=task.deadline,
        requested_deadline=new_deadline,
        reason=reason,
    )
    db.session.add(request)
    _event(
        task,
        actor,
        EventKind.EXTENSION_REQUESTED,
        field="deadline",
        old_value=task.deadline.isoformat() if task.deadline else None,
        new_value=new_deadline.isoformat(),
        note=reason,
    )
    task.last_activity_dt = now_utc()
    db.session.flush()
    return request


def decide_extension(
    request: ExtensionRequest,
    *,
    actor: User,
    approve: bool,
    deadline: date | None = None,
    comment: str = "",
    seen_version: int | None = None,
) -> ExtensionRequest:
    """Approve (optionally with another date) or refuse an extension request."""
    task = request.task
    # Never the person who asked, nor anyone of the unit that leads the task.
    require_decide_request(actor, task, request.requested_by_id)
    _check_version(task, seen_version)
    comment = (comment or "").strip()
    errors: dict[str, str] = {}
    if request.status != ExtensionStatus.PENDING:
        errors["status"] = _("Đề nghị gia hạn này đã được quyết định.")
    elif approve and task.status in CLOSED_STATUSES:
        # A closed task's timeliness is settled; moving its deadline now would rewrite it.
        errors["status"] = _("Nhiệm vụ đã kết thúc, không thể gia hạn; chỉ có thể không đồng ý.")
    new_deadline = (deadline or request.requested_deadline) if approve else None
    if not date_in_range(new_deadline):
        errors["deadline"] = date_range_message()
    elif new_deadline is not None and new_deadline < task.meeting.held_on:
        errors["deadline"] = _("Thời hạn không thể trước ngày họp.")
    elif new_deadline is not None and task.deadline is not None and new_deadline <= task.deadline:
        errors["deadline"] = _(
            "Thời hạn gia hạn phải sau thời hạn hiện tại (%(day)s).",
            day=f"{task.deadline:%d/%m/%Y}",
        )
    if not approve and not comment:
        errors["comment"] = _("Vui lòng nêu lý do không đồng ý gia hạn.")
    if len(comment) > MAX_NOTE_CHARS:
        errors["comment"] = _("Ý kiến quá dài.")
    if errors:
        raise ValidationError(errors)
    request.status = (ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED).value
    request.decided_by = actor
    request.decided_dt = now_utc()
    request.decision_comment = comment
    old = task.deadline
    if approve:
        request.approved_deadline = new_deadline
        if task.original_deadline is None:
            task.original_deadline = old
        task.deadline = new_deadline
        task.extension_count += 1
    task.last_activity_dt = now_utc()
    _event(
        task,
        actor,
        EventKind.EXTENSION_DECIDED,
        field="deadline" if approve else None,
        old_value=old.isoformat() if approve and old else None,
        new_value=new_deadline.isoformat() if new_deadline else None,
        note=comment,
    )
    db.session.flush()
    return request
