"""Drafts of tasks read from a notice, kept until the office confirms them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.time import UTCDateTime
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.meetings.models import Meeting


class NoticeDraft(TimestampMixin, db.Model):
    """The reader's proposals for one meeting's notice, as the reviewer edits them.

    Nothing becomes a task before confirmation; the draft survives a closed tab.
    """

    __tablename__ = "notice_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft|confirmed
    text: Mapped[str] = mapped_column(sa.Text)  # the normalised text the offsets refer to
    header: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    confirmed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship()
    created_by: Mapped[User | None] = relationship()
