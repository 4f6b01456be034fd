"""Reminder rules, the delivery table that makes every reminder happen once, preferences."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.time import UTCDateTime, now_utc
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.tasks.models import Task
    from tracker.units.models import Unit


class ReminderKind(enum.StrEnum):
    """Why a person is told about a task."""

    # Planned by the daily rules, sent in the digest.
    DUE_SOON = "due_soon"  # sắp đến hạn
    DUE_TODAY = "due_today"  # đến hạn hôm nay
    OVERDUE = "overdue"  # quá hạn
    ESCALATION = "escalation"  # quá hạn lâu, báo lãnh đạo và văn phòng
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # chờ xác nhận kết quả
    EXTENSION_PENDING = "extension_pending"  # đề nghị gia hạn chờ quyết định
    # Derived from the task history, sent at once.
    ASSIGNED = "assigned"  # được giao nhiệm vụ
    RETURNED = "returned"  # bị trả lại
    EXTENSION_DECIDED = "extension_decided"  # đã quyết định gia hạn
    RESULT_SUBMITTED = "result_submitted"  # đơn vị báo cáo hoàn thành, chờ xác nhận
    EXTENSION_REQUESTED = "extension_requested"  # đơn vị đề nghị gia hạn
    CONFIRMED = "confirmed"  # kết quả được xác nhận hoàn thành


SCHEDULED_KINDS = (
    ReminderKind.DUE_SOON,
    ReminderKind.DUE_TODAY,
    ReminderKind.OVERDUE,
    ReminderKind.ESCALATION,
    ReminderKind.AWAITING_CONFIRMATION,
    ReminderKind.EXTENSION_PENDING,
)
EVENT_KINDS = (
    ReminderKind.ASSIGNED,
    ReminderKind.RETURNED,
    ReminderKind.EXTENSION_DECIDED,
    ReminderKind.RESULT_SUBMITTED,
    ReminderKind.EXTENSION_REQUESTED,
    ReminderKind.CONFIRMED,
)


class Audience(enum.StrEnum):
    """In which capacity the recipient is told."""

    LEAD = "lead"  # đơn vị chủ trì
    COORDINATING = "coordinating"  # đơn vị phối hợp, để biết
    MANAGER = "manager"  # lãnh đạo chủ trì cuộc họp, văn phòng


class DeliveryStatus(enum.StrEnum):
    """Where a planned reminder stands."""

    PENDING = "pending"  # waiting for its time (or for a retry)
    # A webhook reminder being posted. An e-mail reminder in flight is marked sent with an
    # open DeliveryClaim (the admin's "sending" list shows those).
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # given up after the maximum number of tries
    SKIPPED = "skipped"  # no longer relevant when its time came (done, extended, stale)
    IN_APP = "in_app"  # shown in the application only: the recipient has no e-mail address


# The statuses the pass and the admin's lists look rows up by. The two status indexes hold
# only these rows: a reminder marked sent (nearly every row, tens of thousands a busy
# morning) then writes no entry into them, where each update otherwise adds one to every
# index (on SQLite to the two whose columns changed), and the indexes stay the size of what
# is still to do rather than of the history. SQLite: a busy morning's pass at 100,000 tasks
# spent 1.45-1.75 s in its statements with full indexes, 0.75-1.05 s with these.
LOOKED_UP_STATUSES = (
    DeliveryStatus.PENDING.value,
    DeliveryStatus.SENDING.value,
    DeliveryStatus.FAILED.value,
    DeliveryStatus.SKIPPED.value,
)
_LOOKED_UP = sa.text(f"status IN ({', '.join(repr(s) for s in LOOKED_UP_STATUSES)})")
# The status index leaves pending rows to the recipient index. PostgreSQL's statistics are
# often taken when nothing is pending (autovacuum after the morning's messages went out), so
# it estimates "status = 'pending'" at one row; with both indexes holding pending rows it then
# found one recipient's due reminders by walking every pending row of the morning and
# filtering on the recipient: 1.5 s per person instead of a few milliseconds (a morning at
# 100,000 tasks took minutes). With pending rows only in the recipient index there is no such
# choice; the pass's few questions about all due rows (who has any) scan that index whole.
LISTED_STATUSES = tuple(s for s in LOOKED_UP_STATUSES if s != DeliveryStatus.PENDING.value)
_LISTED = sa.text(f"status IN ({', '.join(repr(s) for s in LISTED_STATUSES)})")


def _any_of(statuses: tuple[str, ...]) -> sa.TextClause:
    """The same condition for SQLite, which uses a partial index for a query with one of the
    index's OR-ed terms among its own (`status = ?` with the value bound counts), not for
    an IN list."""
    return sa.text(" OR ".join(f"status = '{status}'" for status in statuses))


class EventMode(enum.StrEnum):
    """How a person wants event e-mails (assigned, returned, extension decided)."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class ReminderSettings(db.Model):
    """The admin's reminder rules; one row (absent until first saved: defaults apply)."""

    __tablename__ = "reminder_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    days_before: Mapped[int] = mapped_column(default=3)
    on_deadline_day: Mapped[bool] = mapped_column(default=True)
    overdue_every: Mapped[int] = mapped_column(default=2)
    escalate_after: Mapped[int] = mapped_column(default=5)
    confirmation_after: Mapped[int] = mapped_column(default=2)
    extension_reminders: Mapped[bool] = mapped_column(default=True)
    digest_time: Mapped[str] = mapped_column(sa.String(5), default="07:30")  # local HH:MM
    max_attempts: Mapped[int] = mapped_column(default=5)
    retry_minutes: Mapped[int] = mapped_column(default=5)  # first wait; doubles each try
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class ReminderState(db.Model):
    """Bookkeeping of the passes; one row."""

    __tablename__ = "reminder_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Task history entries up to this id have been turned into event notifications.
    last_event_id: Mapped[int] = mapped_column(default=0)
    # The local day whose scheduled reminders have been planned.
    planned_day: Mapped[date | None] = mapped_column()
    last_pass_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(db.Model):
    """One reminder to one person about one task on one local day: an in-app notification
    and, when the person has an address, part of an e-mail.

    The unique key is what makes planning idempotent and sending happen once.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "task_id", "kind", "day"),
        sa.Index(
            "ix_reminder_deliveries_status_send_after",
            "status",
            "send_after_dt",
            postgresql_where=_LISTED,
            sqlite_where=_any_of(LISTED_STATUSES),
        ),
        sa.Index("ix_reminder_deliveries_task_kind", "task_id", "kind"),
        # A pass claims one recipient's due rows at a time. (No index on claim_token: the
        # claimed rows are found as status 'sending', a few hundred at most, and every claim
        # and every sent message rewrote an entry of that index for each reminder.)
        sa.Index(
            "ix_reminder_deliveries_recipient_status",
            "recipient_id",
            "status",
            "send_after_dt",
            postgresql_where=_LOOKED_UP,
            sqlite_where=_any_of(LOOKED_UP_STATUSES),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    day: Mapped[date] = mapped_column()  # local date the reminder is for
    audience: Mapped[str] = mapped_column(sa.String(16))
    # The task's deadline when planned: a later extension makes the reminder irrelevant.
    deadline: Mapped[date | None] = mapped_column()
    is_digest: Mapped[bool] = mapped_column(default=True)
    send_after_dt: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(sa.String(200))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    recipient: Mapped[User] = relationship()
    task: Mapped[Task] = relationship()

    @property
    def is_unread(self) -> bool:
        """Not yet opened in the application."""
        return self.read_dt is None


# Index for the unread count in every page header.
sa.Index("ix_reminder_deliveries_recipient_read", Delivery.recipient_id, Delivery.read_dt)


class DeliveryClaim(db.Model):
    """A message a pass is handing to the mail server right now.

    A pass marks a message's reminders sent before it sends it (each reminder is written
    twice, planned and sent, instead of three times with a "sending" mark between) and keeps
    this row until the mail server has answered. A refused message turns its reminders back
    to pending; a row older than the claim lease belongs to a pass that died mid-send, and
    its reminders are offered again. So these rows are the messages in flight: a few at a
    time, none when no pass runs."""

    __tablename__ = "reminder_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The claim token written on the message's reminders, with their recipient.
    token: Mapped[str] = mapped_column(sa.String(36), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The one reminder a single message carries; None: the digest (the token's digest rows).
    delivery_id: Mapped[int | None] = mapped_column()
    message_id: Mapped[str] = mapped_column(sa.String(200))
    claimed_dt: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationPreference(db.Model):
    """A person's choices; absent means the defaults."""

    __tablename__ = "reminder_preferences"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    event_mode: Mapped[str] = mapped_column(sa.String(16), default=EventMode.IMMEDIATE.value)


class TaskMute(db.Model):
    """A coordinating member who no longer wants reminders about one task."""

    __tablename__ = "reminder_mutes"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class UnitWebhook(db.Model):
    """Where a unit's reminders are also POSTed (a chat bot bridge), signed with `secret`."""

    __tablename__ = "reminder_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(128))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    unit: Mapped[Unit] = relationship()


class WebhookDelivery(db.Model):
    """One reminder about one task POSTed to one unit's webhook on one local day."""

    __tablename__ = "reminder_webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("webhook_id", "task_id", "kind", "day"),
        sa.Index("ix_reminder_webhook_deliveries_status_send_after", "status", "send_after_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reminder_webhooks.id", ondelete="CASCADE")
    )
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    day: Mapped[date] = mapped_column()
    deadline: Mapped[date | None] = mapped_column()
    send_after_dt: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    webhook: Mapped[UnitWebhook] = relationship()
    task: Mapped[Task] = relationship()
