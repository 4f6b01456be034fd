"""Meetings (cuộc họp) and the conclusion notices (thông báo kết luận) issued after them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.tasks.models import Task
    from tracker.units.models import Unit

meeting_attendees = sa.Table(
    "meeting_attendees",
    db.metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Meeting(TimestampMixin, db.Model):
    """A meeting chaired by a chair or vice-chair, whose conclusions become tasks."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    held_on: Mapped[date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Notice fields: one conclusion notice per meeting, as offices issue them.
    notice_number: Mapped[str] = mapped_column(sa.String(60), default="")  # "45/TB-UBND"
    notice_issued_on: Mapped[date | None] = mapped_column()
    notice_signer: Mapped[str] = mapped_column(sa.String(120), default="")
    notice_text: Mapped[str] = mapped_column(sa.Text, default="")

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    attending_units: Mapped[list[Unit]] = relationship(
        secondary=meeting_attendees, order_by="Unit.name_folded"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="meeting", order_by="Task.id", cascade="all, delete-orphan"
    )

    @property
    def notice_label(self) -> str:
        """ "45/TB-UBND ngày 05/04/2017", or empty without a notice."""
        if not self.notice_number:
            return ""
        if self.notice_issued_on:
            return f"{self.notice_number} ({self.notice_issued_on:%d/%m/%Y})"
        return self.notice_number

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.held_on}>"
