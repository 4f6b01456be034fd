"""Reminder pages: a person's notifications and preferences; the admin's rules, webhooks,
failed deliveries and the development outbox; /healthz for monitoring."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.core.errors import ValidationError
from tracker.core.permissions import Action as TaskAction
from tracker.core.permissions import SubtaskAction, can, can_subtask
from tracker.core.web import admin_required, apply_errors
from tracker.extensions import db
from tracker.reminders.forms import PreferencesForm, SettingsForm, WebhookForm
from tracker.reminders.mail import KIND_LABELS, read_outbox, read_outbox_message
from tracker.reminders.models import Delivery, DeliveryStatus, ReminderKind, UnitWebhook
from tracker.reminders.operations import preferences as prefs
from tracker.reminders.operations.counts import status_counts
from tracker.reminders.operations.rules import load_rules, save_rules
from tracker.reminders.passes import in_flight, last_pass_dt
from tracker.subtasks import reminders as subtask_reminders
from tracker.subtasks.models import SubtaskReminder
from tracker.tasks.models import OPEN_STATUSES, Task, task_coordinating_units
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("reminders", __name__)

PER_PAGE = 50

STATUS_LABELS = {
    DeliveryStatus.PENDING.value: _l("Chờ gửi"),
    DeliveryStatus.SENDING.value: _l("Đang gửi"),
    DeliveryStatus.SENT.value: _l("Đã gửi"),
    DeliveryStatus.FAILED.value: _l("Gửi thất bại"),
    DeliveryStatus.SKIPPED.value: _l("Bỏ qua"),
    DeliveryStatus.IN_APP.value: _l("Chỉ trên hệ thống"),
}


@bp.route("/notifications/")
@login_required
def notifications() -> Any:
    page = db.paginate(
        prefs.notifications_query(current_user).options(
            selectinload(Delivery.task).selectinload(Task.lead_unit)
        ),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "reminders/notifications.html",
        page=page,
        kind_labels=KIND_LABELS,
        unread=prefs.unread_count(current_user),
        resolved_kinds=RESOLVED_BY_DONE,
        # Parts given to the person or moved away (hand-down): their own list, linking to
        # the part's page, which an officer of a child unit sees when the task is not theirs.
        part_notices=subtask_reminders.notices_of(current_user) if page.page == 1 else [],
    )


@bp.route("/notifications/subtask/<int:notice_id>")
@login_required
def open_subtask_notice(notice_id: int) -> Any:
    notice = db.session.get(SubtaskReminder, notice_id)
    if notice is None or notice.recipient_id != current_user.id:
        abort(404)
    subtask_reminders.mark_notices_read(current_user, [notice.id])
    db.session.commit()
    if can_subtask(current_user, SubtaskAction.VIEW, notice.subtask):
        return redirect(url_for("subtasks.subtask_detail", subtask_id=notice.subtask_id))
    flash(_("Bạn không còn quyền xem việc này."), "info")
    return redirect(url_for("reminders.notifications"))


# Notifications that asked for something the task's completion settles: shown dimmed, "đã
# xong", once the task is done (an "overdue" notice of a finished task misleads).
RESOLVED_BY_DONE = frozenset(
    {
        ReminderKind.DUE_SOON.value,
        ReminderKind.DUE_TODAY.value,
        ReminderKind.OVERDUE.value,
        ReminderKind.ESCALATION.value,
        ReminderKind.AWAITING_CONFIRMATION.value,
        ReminderKind.RESULT_SUBMITTED.value,
        ReminderKind.ASSIGNED.value,
        ReminderKind.RETURNED.value,
    }
)


@bp.route("/notifications/<int:delivery_id>")
@login_required
def open_notification(delivery_id: int) -> Any:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.recipient_id != current_user.id:
        abort(404)
    prefs.mark_read(current_user, [delivery.id])
    db.session.commit()
    if can(current_user, TaskAction.VIEW, delivery.task):
        return redirect(url_for("tasks.task_detail", task_id=delivery.task_id))
    flash(_("Bạn không còn quyền xem nhiệm vụ này."), "info")
    return redirect(url_for("reminders.notifications"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all() -> Any:
    prefs.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("reminders.notifications"))


def _coordinated_tasks() -> list[Task]:
    """Open tasks the person's unit coordinates (and does not lead): the ones they may mute."""
    if current_user.unit_id is None:
        return []
    coordinated = sa.select(task_coordinating_units.c.task_id).where(
        task_coordinating_units.c.unit_id == current_user.unit_id
    )
    return list(
        db.session.scalars(
            sa.select(Task)
            .where(
                Task.id.in_(coordinated),
                Task.lead_unit_id != current_user.unit_id,
                Task.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .options(selectinload(Task.lead_unit))
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
            .limit(500)
        )
    )


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    form = PreferencesForm()
    if request.method == "GET":
        form.event_mode.data = prefs.event_mode(current_user)
    if form.validate_on_submit():
        try:
            prefs.set_event_mode(current_user, form.event_mode.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu cách nhận thông báo."), "success")
            return redirect(url_for("reminders.preferences"))
    return render_template(
        "reminders/preferences.html",
        form=form,
        tasks=_coordinated_tasks(),
        muted=prefs.muted_task_ids(current_user),
    )


@bp.route("/notifications/mute/<int:task_id>", methods=["POST"])
@login_required
def mute(task_id: int) -> Any:
    task = db.session.get(Task, task_id)
    if task is None or not can(current_user, TaskAction.VIEW, task):
        abort(404)
    muted = request.form.get("muted", "1") == "1"
    if muted and not prefs.can_mute(current_user, task):
        abort(403)
    prefs.set_muted(current_user, task, muted)
    db.session.commit()
    if muted:
        flash(_("Đã tắt nhắc việc cho nhiệm vụ này."), "success")
    else:
        flash(_("Đã bật lại nhắc việc cho nhiệm vụ này."), "success")
    return redirect(url_for("reminders.preferences"))


@bp.route("/admin/reminders", methods=["GET", "POST"])
@admin_required
def settings() -> Any:
    form = SettingsForm()
    if request.method == "GET":
        rules = load_rules()
        for name in (
            "days_before",
            "on_deadline_day",
            "overdue_every",
            "escalate_after",
            "confirmation_after",
            "extension_reminders",
            "max_attempts",
            "retry_minutes",
        ):
            getattr(form, name).data = getattr(rules, name)
        form.digest_time.data = f"{rules.digest_time:%H:%M}"
    if form.validate_on_submit():
        try:
            save_rules({name: field.data for name, field in form._fields.items()})
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu quy tắc nhắc việc."), "success")
            return redirect(url_for("reminders.settings"))
    tally = status_counts()
    counts = tally.counts
    # A reminder in flight is marked sent while its message's claim is open.
    sending = db.session.scalar(sa.select(sa.func.count()).select_from(in_flight().subquery()))
    counts[DeliveryStatus.SENT.value] = max(
        counts.get(DeliveryStatus.SENT.value, 0)
        - (sending - counts.get(DeliveryStatus.SENDING.value, 0)),
        0,
    )
    counts[DeliveryStatus.SENDING.value] = sending
    return render_template(
        "reminders/settings.html",
        form=form,
        counts=counts,
        estimated=tally.estimated,
        status_labels=STATUS_LABELS,
        last_pass=last_pass_dt(),
    )


@bp.route("/admin/reminders/deliveries")
@admin_required
def deliveries() -> Any:
    status = request.args.get("status", DeliveryStatus.FAILED.value)
    if status not in STATUS_LABELS:
        abort(404)
    if status == DeliveryStatus.SENDING.value:
        listed = in_flight()
    else:
        listed = sa.select(Delivery).where(Delivery.status == status)
        if status == DeliveryStatus.SENT.value:
            listed = listed.where(Delivery.id.not_in(in_flight().with_only_columns(Delivery.id)))
    page = db.paginate(
        listed.options(selectinload(Delivery.recipient), selectinload(Delivery.task)).order_by(
            Delivery.id.desc()
        ),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "reminders/deliveries.html",
        page=page,
        status=status,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.route("/admin/reminders/deliveries/<int:delivery_id>/retry", methods=["POST"])
@admin_required
def retry(delivery_id: int) -> Any:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404)
    try:
        prefs.retry_delivery(delivery)
    except ValidationError as error:
        db.session.rollback()
        for message in error.errors.values():
            flash(message, "error")
    else:
        db.session.commit()
        flash(_("Thông báo sẽ được gửi lại ở lượt tiếp theo."), "success")
    return redirect(url_for("reminders.deliveries", status=DeliveryStatus.FAILED.value))


@bp.route("/admin/reminders/webhooks", methods=["GET", "POST"])
@bp.route("/admin/reminders/webhooks/<int:webhook_id>", methods=["GET", "POST"])
@admin_required
def webhooks(webhook_id: int | None = None) -> Any:
    webhook = db.session.get(UnitWebhook, webhook_id) if webhook_id else None
    if webhook_id and webhook is None:
        abort(404)
    form = WebhookForm(obj=webhook)
    form.unit_id.choices = [(0, _("— Chọn đơn vị —"))] + [(u.id, u.name) for u in active_units()]
    if request.method == "GET" and webhook is not None:
        form.secret.data = ""
    if form.validate_on_submit():
        try:
            prefs.save_webhook(
                webhook,
                unit=db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
                url=form.url.data or "",
                secret=form.secret.data or "",
                is_active=bool(form.is_active.data),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu địa chỉ nhận thông báo của đơn vị."), "success")
            return redirect(url_for("reminders.webhooks"))
    listed = db.session.scalars(
        sa.select(UnitWebhook).options(selectinload(UnitWebhook.unit)).order_by(UnitWebhook.id)
    ).all()
    return render_template("reminders/webhooks.html", form=form, webhook=webhook, webhooks=listed)


@bp.route("/admin/reminders/outbox")
@admin_required
def outbox() -> Any:
    return render_template("reminders/outbox.html", messages=read_outbox())


@bp.route("/admin/reminders/outbox/<name>")
@admin_required
def outbox_message(name: str) -> Any:
    try:
        message = read_outbox_message(name)
    except (FileNotFoundError, OSError):
        abort(404)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return render_template("reminders/outbox_message.html", message=message, text=text)


@bp.route("/healthz")
def healthz() -> Any:
    """Database status and the time of the last completed reminder pass, for monitoring."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        last = last_pass_dt()
    except Exception as error:  # any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="error", error=type(error).__name__), 503
    return jsonify(
        status="ok",
        database="ok",
        last_reminder_pass_dt=last.isoformat() if last else None,
    )


def init_app(app: Flask) -> None:
    """Register the pages and the unread count shown in every page's header."""
    app.register_blueprint(bp)

    @app.template_filter("unread")
    def unread_filter(count: int) -> str:
        return f"{prefs.UNREAD_CAP}+" if count > prefs.UNREAD_CAP else str(count)

    @app.context_processor
    def unread_notifications() -> dict[str, Any]:
        if not current_user or not current_user.is_authenticated:
            return {}
        try:
            return {"unread_notifications": prefs.unread_count(current_user)}
        except Exception:  # a header badge must never break a page
            db.session.rollback()
            return {"unread_notifications": 0}
