"""Tasks (nhiệm vụ) assigned by a meeting, and everything that happens to them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.text import fold
from tracker.core.time import UTCDateTime, now_utc
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.meetings.models import Meeting
    from tracker.units.models import Unit


class Status(enum.StrEnum):
    """Work status of a task."""

    NEW = "new"  # chưa thực hiện
    IN_PROGRESS = "in_progress"  # đang thực hiện
    SUBMITTED = "submitted"  # chờ xác nhận
    DONE = "done"  # hoàn thành (đã xác nhận)
    RETURNED = "returned"  # thực hiện lại
    PAUSED = "paused"  # tạm hoãn
    CANCELLED = "cancelled"  # huỷ


STATUS_VALUES = frozenset(s.value for s in Status)
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED)
CLOSED_STATUSES = (Status.DONE, Status.CANCELLED)


class Timeliness(enum.StrEnum):
    """The classes official reports count (QĐ 42/2014/QĐ-TTg), plus two for the screen."""

    DONE_ON_TIME = "done_on_time"  # hoàn thành đúng hạn
    DONE_LATE = "done_late"  # hoàn thành quá hạn
    OPEN_ON_TIME = "open_on_time"  # chưa hoàn thành, trong hạn
    OPEN_OVERDUE = "open_overdue"  # chưa hoàn thành, quá hạn
    DUE_SOON = "due_soon"  # sắp đến hạn
    NO_DEADLINE = "no_deadline"  # không thời hạn


task_coordinating_units = sa.Table(
    "task_coordinating_units",
    db.metadata,
    sa.Column("task_id", sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    # A unit's coordinated tasks from the index alone (the lists' "lead or coordinating"
    # condition): with the unit only, the busiest unit of a million-task province read 4,850
    # table pages for its 14,770 task ids (45 ms); with the task id beside it, 43 index pages.
    sa.Index("ix_task_coordinating_units_unit_task", "unit_id", "task_id"),
)


class Task(TimestampMixin, db.Model):
    """One directive: one lead unit (chủ trì), coordinating units (phối hợp), a deadline."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        sa.Index("ix_tasks_lead_unit_status_deadline", "lead_unit_id", "status", "deadline"),
        sa.Index("ix_tasks_status_deadline", "status", "deadline"),
        # Everything the reports count, behind the deadline they select on: the dashboard's
        # per-unit, per-month and per-meeting counts read the index, not the table.
        sa.Index(
            "ix_tasks_report",
            "deadline",
            "status",
            "lead_unit_id",
            "completed_on",
            "extension_count",
            "meeting_id",
        ),
        # Search is `content_folded LIKE '%word%'`: on PostgreSQL a trigram index answers it
        # without reading every row. SQLite has no such index: it reads every task, unless
        # the matches are dense enough to read only a prefix of the list order (below).
        sa.Index(
            "ix_tasks_content_folded_trgm",
            "content_folded",
            postgresql_using="gin",
            postgresql_ops={"content_folded": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The lists' order (deadline, then id; NULLs last on PostgreSQL, first on SQLite): a
        # search with many matches finds the list-order key of the N-th task in it and reads
        # only the tasks up to that key (tasks/search.py).
        sa.Index("ix_tasks_deadline_id", "deadline", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(sa.Text)
    # Diacritic-free copy of the content for search ("noi vu" finds "Nội vụ").
    # Only searched, never shown: deferred, so loading tasks does not carry every text twice.
    content_folded: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    lead_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    deadline: Mapped[date | None] = mapped_column()  # local calendar date; None: ongoing
    original_deadline: Mapped[date | None] = mapped_column()
    is_recurring: Mapped[bool] = mapped_column(default=False)  # "thường xuyên"
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.NEW.value)
    progress: Mapped[int] = mapped_column(default=0)
    # The date the lead unit submitted the result that was confirmed (ngày hoàn thành).
    completed_on: Mapped[date | None] = mapped_column()
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str] = mapped_column(sa.Text, default="")
    source_text: Mapped[str] = mapped_column(sa.Text, default="")  # sentence of the notice
    extension_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_activity_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    # An occurrence of a recurring directive ("báo cáo hằng tháng"): its series and period.
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_series.id", ondelete="SET NULL"), index=True
    )
    period_start: Mapped[date | None] = mapped_column()
    period_label: Mapped[str] = mapped_column(sa.String(40), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="tasks")
    series: Mapped[TaskSeries | None] = relationship(
        foreign_keys=[series_id], back_populates="occurrences"
    )
    lead_unit: Mapped[Unit] = relationship(foreign_keys=[lead_unit_id])
    coordinating_units: Mapped[list[Unit]] = relationship(
        secondary=task_coordinating_units, order_by="Unit.name_folded"
    )
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list[TaskEvent]] = relationship(
        back_populates="task",
        order_by="TaskEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.content_folded = fold(self.content or "")

    @property
    def is_open(self) -> bool:
        """Still to be done (not confirmed, not cancelled, not paused)."""
        return self.status in OPEN_STATUSES

    def timeliness(
        self, today: date, due_soon_days: int = 3, calendar: object = None
    ) -> str | None:
        """The timeliness class of the task on `today` (None when paused or cancelled)."""
        from tracker.tasks.timeliness import classify

        return classify(
            status=self.status,
            deadline=self.deadline,
            completed_on=self.completed_on,
            today=today,
            due_soon_days=due_soon_days,
            calendar=calendar,  # type: ignore[arg-type]
        )

    def days_left(self, today: date) -> int | None:
        """Calendar days until the deadline (negative when overdue), None without deadline."""
        if self.deadline is None:
            return None
        return (self.deadline - today).days

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.status}>"


@sa.event.listens_for(Task.content, "set")
def _refold_task_content(target: Task, value: str, _old: object, _initiator: object) -> None:
    target.content_folded = fold(value or "")


class EventKind(enum.StrEnum):
    """What happened to a task."""

    CREATED = "created"
    CHANGED = "changed"  # a field changed (field, old_value, new_value)
    PROGRESS = "progress"  # a progress report (note, progress, maybe a status change)
    STATUS = "status"  # a status change by a decision (confirm, return, pause, ...)
    COMMENT = "comment"  # a contribution of a coordinating unit
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_DECIDED = "extension_decided"


class TaskEvent(db.Model):
    """One entry of a task's history: who, when, what from, what to, why."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    kind: Mapped[str] = mapped_column(sa.String(32))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    progress: Mapped[int | None] = mapped_column()

    task: Mapped[Task] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ExtensionStatus(enum.StrEnum):
    """Where an extension request stands."""

    PENDING = "pending"  # chờ quyết định
    APPROVED = "approved"  # đồng ý gia hạn
    REFUSED = "refused"  # không đồng ý


class ExtensionRequest(db.Model):
    """A lead unit's request for a later deadline (gia hạn), and the decision on it."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    old_deadline: Mapped[date | None] = mapped_column()
    requested_deadline: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(
        sa.String(16), default=ExtensionStatus.PENDING.value, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_deadline: Mapped[date | None] = mapped_column()
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")

    task: Mapped[Task] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Frequency(enum.StrEnum):
    """How often a recurring directive comes due."""

    MONTHLY = "monthly"  # hằng tháng
    QUARTERLY = "quarterly"  # hằng quý
    YEARLY = "yearly"  # hằng năm


class TaskSeries(TimestampMixin, db.Model):
    """The rule of a recurring directive ("định kỳ báo cáo hằng tháng trước ngày 25"); each
    period is an ordinary task (an occurrence) created ahead of time from the template task."""

    __tablename__ = "task_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The task whose content and units each new occurrence copies (the first occurrence).
    # use_alter: tasks and series refer to each other.
    template_task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="SET NULL", use_alter=True)
    )
    frequency: Mapped[str] = mapped_column(sa.String(16))
    # Monthly: day of the month; quarterly: day of the quarter's last month; yearly: day of
    # `month`. Clamped to the month's length (31 means "the last day").
    day: Mapped[int] = mapped_column()
    month: Mapped[int | None] = mapped_column()  # yearly only
    # When set, the deadline is this many days after the period ends instead of `day`
    # ("báo cáo quý trước ngày 15 của tháng đầu quý sau": 15).
    offset_days: Mapped[int | None] = mapped_column()
    start_on: Mapped[date] = mapped_column()
    end_on: Mapped[date | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # post_update: the series row is written first, then pointed at its template task.
    template_task: Mapped[Task | None] = relationship(
        foreign_keys=[template_task_id], post_update=True
    )
    occurrences: Mapped[list[Task]] = relationship(
        foreign_keys=[Task.series_id], back_populates="series", order_by="Task.period_start"
    )
    created_by: Mapped[User | None] = relationship()


# Running the occurrence job twice must not create a period twice.
# The trigram operators come from the pg_trgm extension, created (once per database) before
# the table so that `create_all()` works as well as the migration.
sa.event.listen(
    Task.__table__,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
sa.Index("uq_tasks_series_period", Task.series_id, Task.period_start, unique=True)


class TaskAttachment(db.Model):
    """A file attached to a task (a report, a result, a contribution), stored under a random
    name in the upload folder."""

    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    # The history entry (progress report, submission, comment) the file came with.
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_events.id", ondelete="SET NULL"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(127))

    task: Mapped[Task] = relationship()
    event: Mapped[TaskEvent | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
