"""Private calendar feeds (one revocable secret URL per user), the report tallies and the
indexes of reports looking back."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.time import UTCDateTime
from tracker.extensions import db
from tracker.reports import tallies
from tracker.tasks.models import Task, TaskEvent

if TYPE_CHECKING:
    from tracker.auth.models import User


class CalendarFeed(TimestampMixin, db.Model):
    """A user's iCalendar feed. The URL's token is derived from `nonce` and the app's secret
    key, so the owner can see it again while a copy of the database alone reveals nothing;
    only its hash is looked up."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        """Not revoked."""
        return self.revoked_dt is None


class TaskTally(db.Model):
    """Counted tasks per deadline day and lead unit, kept by triggers on `tasks` (see
    tracker/reports/tallies.py); never written by the application."""

    __tablename__ = tallies.TABLE

    deadline: Mapped[date] = mapped_column(primary_key=True)
    lead_unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    open_count: Mapped[int] = mapped_column(default=0)
    done_on_time: Mapped[int] = mapped_column(default=0)
    done_late: Mapped[int] = mapped_column(default=0)
    extended: Mapped[int] = mapped_column(default=0)


sa.event.listen(db.metadata, "after_create", tallies.install_after_create)


# A report for a period that has ended counts each task as it stood on the period's last day
# (tracker/reports/asof.py): it looks up the tasks of the period completed after their deadline
# and after that day, and the deadline changes recorded after it. Both are few among many rows,
# so each has a partial index of its own; the queries repeat the index's condition so that
# both databases see the index applies.
DONE_LATE = "completed_on > deadline"
DEADLINE_FIELD = "field = 'deadline'"

sa.Index(
    "ix_tasks_done_late",
    Task.deadline,
    Task.completed_on,
    postgresql_where=sa.text(DONE_LATE),
    sqlite_where=sa.text(DONE_LATE),
)
sa.Index(
    "ix_task_events_deadline_changes",
    TaskEvent.created_dt,
    postgresql_where=sa.text(DEADLINE_FIELD),
    sqlite_where=sa.text(DEADLINE_FIELD),
)
