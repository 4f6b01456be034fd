"""Days the admin declares off or working, on top of weekends and public holidays."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.models import TimestampMixin
from tracker.extensions import db


class CalendarDay(TimestampMixin, db.Model):
    """An exception to the usual calendar: a bridge day off, or a Saturday worked in exchange."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_working: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(sa.String(200), default="")
