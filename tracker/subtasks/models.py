"""Sub-tasks (việc giao cho cán bộ): a received task broken down inside the lead unit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.time import UTCDateTime, now_utc
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.tasks.models import Task
    from tracker.units.models import Unit


class SubtaskStatus(enum.StrEnum):
    """Where a sub-task stands inside the unit."""

    OPEN = "open"  # đang thực hiện
    REPORTED = "reported"  # đã báo cáo xong, chờ trưởng đơn vị xác nhận
    DONE = "done"  # trưởng đơn vị đã xác nhận
    CANCELLED = "cancelled"  # huỷ


SUBTASK_OPEN_STATUSES = (SubtaskStatus.OPEN, SubtaskStatus.REPORTED)


class Subtask(TimestampMixin, db.Model):
    """A part of a task given by the lead unit's head to one officer of the unit, or to one
    of its child units (a commune's sections). Never counted in the official reports: the
    parent is judged on its own deadline."""

    __tablename__ = "subtasks"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        # Exactly one assignee: an officer or a child unit.
        sa.CheckConstraint("(assignee_id IS NULL) <> (child_unit_id IS NULL)", name="one_assignee"),
        # "Việc của tôi" and `?assignee=me`: an officer's sub-tasks by status and deadline.
        sa.Index("ix_subtasks_assignee_status_deadline", "assignee_id", "status", "deadline"),
        sa.Index("ix_subtasks_child_unit_status", "child_unit_id", "status"),
        # The reminder sweep reads open sub-tasks by deadline.
        sa.Index("ix_subtasks_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    # The unit whose head broke the task down (the lead unit when it was done); its head
    # manages the sub-task even if the task's lead unit changes later.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    child_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    content: Mapped[str] = mapped_column(sa.Text)
    deadline: Mapped[date] = mapped_column()  # local calendar date, never after the parent's
    status: Mapped[str] = mapped_column(sa.String(16), default=SubtaskStatus.OPEN.value)
    progress: Mapped[int] = mapped_column(default=0)
    # The local day the officer reported it done (kept when the head confirms).
    completed_on: Mapped[date | None] = mapped_column()
    last_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Given by the head of a coordinating unit (phối hợp) for its own contribution: shown
    # under that unit only and never rolled up into the lead unit's view of the task.
    is_coordinating: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    task: Mapped[Task] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    child_unit: Mapped[Unit | None] = relationship(foreign_keys=[child_unit_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list[SubtaskEvent]] = relationship(
        back_populates="subtask",
        order_by="SubtaskEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        """Still to be done by the assignee or confirmed by the head."""
        return self.status in SUBTASK_OPEN_STATUSES

    @property
    def assignee_name(self) -> str:
        """The officer's or the child unit's name."""
        if self.assignee is not None:
            return self.assignee.full_name
        return self.child_unit.name if self.child_unit is not None else ""

    def is_overdue(self, today: date) -> bool:
        """Not yet reported done and past its deadline."""
        return self.status == SubtaskStatus.OPEN and self.deadline < today

    def __repr__(self) -> str:
        return f"<Subtask {self.id} of task {self.task_id} {self.status}>"


class SubtaskEventKind(enum.StrEnum):
    """What happened to a sub-task."""

    CREATED = "created"
    PROGRESS = "progress"  # the assignee's report (note, progress)
    REPORTED = "reported"  # the assignee reported it done
    CONFIRMED = "confirmed"  # the head confirmed it
    REOPENED = "reopened"  # the head sent it back
    CANCELLED = "cancelled"
    EDITED = "edited"  # the head changed one field (`field`, `old_value` → `new_value`)


class SubtaskEvent(db.Model):
    """One entry of a sub-task's history."""

    __tablename__ = "subtask_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subtask_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subtasks.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    kind: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    progress: Mapped[int | None] = mapped_column()
    # An edit: which field ("content", "assignee", "deadline") and its values as text (the
    # assignee's name, the deadline as YYYY-MM-DD), like the task history's.
    field: Mapped[str | None] = mapped_column(sa.String(40))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)

    subtask: Mapped[Subtask] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class SubtaskReminderKind(enum.StrEnum):
    """Why someone is told about a sub-task."""

    DUE_SOON = "due_soon"  # to the officer
    OVERDUE = "overdue"  # to the officer
    ESCALATION = "escalation"  # to the unit's head, on the first overdue day
    # To the officer (or child unit) a part was given or moved to: sent by the next pass,
    # at any hour, not kept for the morning's digest; also shown in-app.
    ASSIGNED = "assigned"
    # To the officer (or child unit) a part was moved away from: sent as "assigned".
    UNASSIGNED = "unassigned"


# The notices of a change of hands (sent at any pass, shown on the notifications page), as
# against the reminders of a deadline (sent with the morning's digest).
NOTICE_KINDS = (SubtaskReminderKind.ASSIGNED.value, SubtaskReminderKind.UNASSIGNED.value)


class SubtaskReminder(db.Model):
    """One reminder about one sub-task to one person on one local day: the row that makes
    it happen once, whatever the number of passes."""

    __tablename__ = "subtask_reminders"
    __table_args__ = (
        sa.UniqueConstraint(
            "subtask_id", "recipient_id", "kind", "day", name="uq_subtask_reminder"
        ),
        # The pass looks up what is still to send, by person: only unsent rows are indexed,
        # so the index stays the size of a morning, not of the history.
        sa.Index(
            "ix_subtask_reminders_unsent",
            "recipient_id",
            postgresql_where=sa.text("sent_dt IS NULL"),
            sqlite_where=sa.text("sent_dt IS NULL"),
        ),
        # The notifications page and its unread badge: a person's notices.
        sa.Index("ix_subtask_reminders_recipient_read", "recipient_id", "read_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint above leads with it: no index of its own.
    subtask_id: Mapped[int] = mapped_column(sa.ForeignKey("subtasks.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # The local day it is for; an escalation's is the part's deadline (sent once).
    day: Mapped[date] = mapped_column()
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    # A notice (NOTICE_KINDS) opened on the notifications page; None: unread.
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When it was planned: the notifications page's order among the task notifications.
    created_dt: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=now_utc)

    subtask: Mapped[Subtask] = relationship()

    @property
    def is_unread(self) -> bool:
        """Not yet opened in the application."""
        return self.read_dt is None
