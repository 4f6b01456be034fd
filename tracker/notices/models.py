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
    # What the text came from: "text" (pasted or a file with text) or "scan" (recognised by
    # OCR from a photo or a PDF without a text layer; the pages are kept for the review).
    source_kind: Mapped[str] = mapped_column(sa.String(16), default="text", server_default="text")

    meeting: Mapped[Meeting] = relationship()
    created_by: Mapped[User | None] = relationship()
    pages: Mapped[list[NoticeDraftPage]] = relationship(
        back_populates="draft",
        cascade="all, delete-orphan",
        order_by="NoticeDraftPage.number",
        passive_deletes=True,
    )


class NoticeDraftPage(db.Model):
    """One page image of a scanned notice, as it was recognised, shown beside the text."""

    __tablename__ = "notice_draft_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notice_drafts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]  # from 1
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)  # JPEG, upright, at most 1600 px
    width: Mapped[int]
    height: Mapped[int]
    rotation: Mapped[int] = mapped_column(default=0)  # degrees the scan was turned clockwise
    confidence: Mapped[float | None] = mapped_column(sa.Float)  # mean word confidence 0..1
    text: Mapped[str] = mapped_column(sa.Text, default="")  # what was read on this page
    doubtful_words: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    draft: Mapped[NoticeDraft] = relationship(back_populates="pages")
