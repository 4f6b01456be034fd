"""Private iCalendar feeds of a unit's deadlines (RFC 5545), reached by a secret URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import User
from tracker.core.permissions import visible_tasks_clause
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.reports.models import CalendarFeed
from tracker.tasks.models import Status, Task, task_coordinating_units

# Deadlines older than this stay out of the feed: calendars need not carry years of history.
HISTORY_DAYS = 180


def _token(nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(key, f"calendar-feed:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    """The user's feed, active or revoked, if one was ever made."""
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def feed_token(feed: CalendarFeed) -> str:
    """The secret that goes in the feed's URL."""
    return _token(feed.nonce)


def regenerate_feed(user: User) -> CalendarFeed:
    """Give the user a new feed URL; the previous one stops working."""
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user=user)
        db.session.add(feed)
    feed.nonce = secrets.token_hex(32)
    feed.token_hash = _digest(_token(feed.nonce))
    feed.revoked_dt = None
    feed.last_used_dt = None
    db.session.flush()
    return feed


def revoke_feed(user: User) -> None:
    """Stop the user's feed URL from working."""
    feed = feed_of(user)
    if feed is not None and feed.revoked_dt is None:
        feed.revoked_dt = now_utc()
        db.session.flush()


def user_for_feed(token: str) -> User | None:
    """The active owner of an active feed, or None (unknown, revoked, owner deactivated)."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed)
        .options(joinedload(CalendarFeed.user))
        .where(CalendarFeed.token_hash == _digest(token), CalendarFeed.revoked_dt.is_(None))
    )
    if (
        feed is None
        or not feed.user.is_active
        or not hmac.compare_digest(_token(feed.nonce), token)
    ):
        return None
    feed.last_used_dt = now_utc()
    return feed.user


def feed_tasks(user: User, today: date) -> Sequence[Task]:
    """Tasks with a deadline that the user's unit leads or coordinates."""
    if user.unit_id is None:
        return []
    coordinated = sa.select(task_coordinating_units.c.task_id).where(
        task_coordinating_units.c.unit_id == user.unit_id
    )
    query = (
        sa.select(Task)
        .options(
            joinedload(Task.lead_unit),
            joinedload(Task.meeting),
            selectinload(Task.coordinating_units),
        )
        .where(
            visible_tasks_clause(user),
            sa.or_(Task.lead_unit_id == user.unit_id, Task.id.in_(coordinated)),
            Task.deadline.is_not(None),
            Task.deadline >= today - timedelta(days=HISTORY_DAYS),
            Task.status != Status.CANCELLED.value,
        )
        .order_by(Task.deadline, Task.id)
    )
    return db.session.scalars(query).unique().all()


def _summary(task: Task, lead: bool) -> str:
    role = "Chủ trì" if lead else "Phối hợp"
    done = "✓ " if task.status == Status.DONE else ""
    content = task.content if len(task.content) <= 120 else task.content[:119] + "…"
    return f"{done}[{role}] {content}"


def build_calendar(user: User, tasks: Sequence[Task], base_url: str, now: datetime) -> bytes:
    """The iCalendar document: one all-day event per task on its deadline.

    UIDs stay the same for a task forever; SEQUENCE follows the task's version, which grows
    with every change, so a moved deadline replaces the old event in subscribed calendars.
    """
    from tracker.tasks.operations import status_label

    host = urlsplit(base_url).hostname or "tracker"
    base = base_url.rstrip("/")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Theo doi nhiem vu//tracker//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    unit_name = user.unit.name if user.unit else ""
    calendar.add("x-wr-calname", f"Hạn nhiệm vụ – {unit_name}".strip(" –"))
    calendar.add("x-wr-caldesc", "Thời hạn các nhiệm vụ đơn vị chủ trì hoặc phối hợp")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for task in tasks:
        assert task.deadline is not None
        lead = task.lead_unit_id == user.unit_id
        link = f"{base}/tasks/{task.id}"
        lines = [
            task.content,
            "",
            f"Đơn vị chủ trì: {task.lead_unit.name}",
        ]
        if task.coordinating_units:
            lines.append("Đơn vị phối hợp: " + "; ".join(u.name for u in task.coordinating_units))
        lines.append(f"Văn bản giao: {task.meeting.notice_label or task.meeting.title}")
        lines.append(f"Tình trạng: {status_label(task.status)}")
        if task.extension_count:
            lines.append(f"Đã gia hạn {task.extension_count} lần")
        lines.append(link)
        event = icalendar.Event()
        event.add("uid", f"task-{task.id}@{host}")
        event.add("dtstamp", now)
        event.add("created", task.created_dt)
        event.add("last-modified", task.last_activity_dt)
        event.add("sequence", max(0, task.version - 1))
        event.add("dtstart", task.deadline)
        event.add("dtend", task.deadline + timedelta(days=1))
        event.add("summary", _summary(task, lead))
        event.add("description", "\n".join(lines))
        event.add("url", link)
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
