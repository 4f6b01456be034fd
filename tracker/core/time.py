"""Time: aware UTC storage, local calendar dates, and a clock that tests can fix."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so it is re-attached)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them without an offset so they sort.
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_zone() -> ZoneInfo:
    """The deployment's time zone (TRACKER_TIMEZONE)."""
    name = current_app.config["TRACKER_TIMEZONE"] if has_app_context() else "Asia/Ho_Chi_Minh"
    return ZoneInfo(name)


def now_utc() -> datetime:
    """The current time as an aware UTC datetime. Tests fix it with TRACKER_FIXED_NOW."""
    if has_app_context():
        fixed = current_app.config.get("TRACKER_FIXED_NOW")
        if fixed is not None:
            return fixed
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in the deployment's time zone."""
    return now_utc().astimezone(local_zone()).date()


def to_local(value: datetime) -> datetime:
    """An aware datetime shown in the deployment's time zone."""
    return value.astimezone(local_zone())


def request_today() -> date:
    """Today's local date, computed once per request."""
    if not has_app_context():
        return datetime.now(UTC).date()
    if "today" not in g:
        g.today = today_local()
    return g.today
