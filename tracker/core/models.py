"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.time import UTCDateTime, now_utc


class TimestampMixin:
    """`created_dt` and `updated_dt`, aware UTC."""

    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)
