"""A person's notification choices, muting, reading notifications, unit webhooks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.permissions import is_coordinating_member, is_lead_member
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.reminders.models import (
    Delivery,
    DeliveryStatus,
    EventMode,
    NotificationPreference,
    TaskMute,
    UnitWebhook,
)
from tracker.reminders.webhooks import new_secret, url_problem
from tracker.tasks.models import Task
from tracker.units.models import Unit

# Notifications the person sees: everything planned except what turned out irrelevant.
VISIBLE_STATUSES = tuple(s.value for s in DeliveryStatus if s != DeliveryStatus.SKIPPED)


def event_mode(user: User) -> str:
    """The person's choice for event e-mails."""
    preference = db.session.get(NotificationPreference, user.id)
    return preference.event_mode if preference else EventMode.IMMEDIATE.value


def set_event_mode(user: User, mode: str) -> None:
    """Choose immediate e-mails or the daily digest for events."""
    if mode not in {m.value for m in EventMode}:
        raise ValidationError({"event_mode": _("Lựa chọn không hợp lệ.")})
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id)
        db.session.add(preference)
    preference.event_mode = mode
    db.session.flush()


def can_mute(user: User, task: Task) -> bool:
    """Only a task one's unit coordinates can be muted; the lead unit is always reminded."""
    return is_coordinating_member(user, task) and not is_lead_member(user, task)


def set_muted(user: User, task: Task, muted: bool) -> None:
    """Mute or unmute reminders about `task` for `user`."""
    if muted and not can_mute(user, task):
        raise ValidationError(
            {"task": _("Chỉ có thể tắt nhắc việc đối với nhiệm vụ đơn vị mình phối hợp.")}
        )
    existing = db.session.get(TaskMute, (user.id, task.id))
    if muted and existing is None:
        db.session.add(TaskMute(user_id=user.id, task_id=task.id, created_dt=now_utc()))
    elif not muted and existing is not None:
        db.session.delete(existing)
    db.session.flush()


def muted_task_ids(user: User) -> set[int]:
    """The tasks `user` muted."""
    return set(db.session.scalars(sa.select(TaskMute.task_id).where(TaskMute.user_id == user.id)))


def notifications_query(user: User) -> sa.Select:  # type: ignore[type-arg]
    """The person's notifications, newest first."""
    return (
        sa.select(Delivery)
        .where(Delivery.recipient_id == user.id, Delivery.status.in_(VISIBLE_STATUSES))
        .order_by(Delivery.day.desc(), Delivery.id.desc())
    )


# The badge says "99+" past this: a chair who never opens the list gathers tens of thousands
# of unread reminders a year, and counting them all on every page cost more than the page.
UNREAD_CAP = 99


def unread_count(user: User) -> int:
    """Unread notifications, the task ones and the notices of parts (subtasks/reminders.py),
    each counted up to UNREAD_CAP + 1 (one query)."""
    from tracker.subtasks.reminders import unread_notices

    unread = (
        sa.select(Delivery.id)
        .where(
            Delivery.recipient_id == user.id,
            Delivery.read_dt.is_(None),
            Delivery.status.in_(VISIBLE_STATUSES),
        )
        .limit(UNREAD_CAP + 1)
    )
    tasks = sa.select(sa.func.count()).select_from(unread.subquery()).scalar_subquery()
    # One statement for both: every page's header asks.
    return int(db.session.scalar(sa.select(tasks + unread_notices(user, UNREAD_CAP))) or 0)


def mark_read(user: User, delivery_ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all of them when no ids are given; then the
    notices of parts too)."""
    if delivery_ids is None:
        from tracker.subtasks.reminders import mark_notices_read

        mark_notices_read(user)
    query = sa.update(Delivery).where(Delivery.recipient_id == user.id, Delivery.read_dt.is_(None))
    if delivery_ids is not None:
        query = query.where(Delivery.id.in_(delivery_ids))
    result = db.session.execute(query.values(read_dt=now_utc()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _webhook_url_messages() -> dict[str, str]:
    return {
        "scheme": _("Địa chỉ phải bắt đầu bằng http:// hoặc https://."),
        "spaces": _("Địa chỉ không được chứa dấu cách hay ký tự điều khiển."),
        "host": _("Địa chỉ thiếu tên máy chủ hoặc tên máy chủ không hợp lệ."),
        "port": _("Cổng (port) trong địa chỉ không hợp lệ."),
        "private": _(
            "Không nhận địa chỉ nội bộ (localhost, mạng riêng, link-local). Nếu máy nhận thật "
            "sự nằm trong mạng nội bộ, quản trị hệ thống đặt TRACKER_WEBHOOK_ALLOW_PRIVATE=1."
        ),
    }


def save_webhook(
    webhook: UnitWebhook | None, *, unit: Unit | None, url: str, secret: str, is_active: bool
) -> UnitWebhook:
    """Create or change a unit's webhook."""
    url = (url or "").strip()
    errors: dict[str, str] = {}
    if unit is None:
        errors["unit_id"] = _("Vui lòng chọn đơn vị.")
    problem = url_problem(
        url, allow_private=bool(current_app.config.get("TRACKER_WEBHOOK_ALLOW_PRIVATE"))
    )
    if problem is not None:
        errors["url"] = _webhook_url_messages()[problem]
    if unit is not None:
        other = db.session.scalar(sa.select(UnitWebhook).where(UnitWebhook.unit_id == unit.id))
        if other is not None and other is not webhook:
            errors["unit_id"] = _("Đơn vị này đã có địa chỉ nhận thông báo.")
    if errors:
        raise ValidationError(errors)
    assert unit is not None
    if webhook is None:
        webhook = UnitWebhook(unit_id=unit.id, secret=secret.strip() or new_secret())
        db.session.add(webhook)
    elif secret.strip():
        webhook.secret = secret.strip()
    webhook.unit_id = unit.id
    webhook.url = url
    webhook.is_active = is_active
    db.session.flush()
    return webhook


def retry_delivery(delivery: Delivery) -> None:
    """Offer a failed delivery again at the next pass (the admin's decision)."""
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError({"status": _("Chỉ gửi lại được thông báo gửi thất bại.")})
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempts = 0
    delivery.send_after_dt = now_utc()
    db.session.flush()
