"""Private iCalendar feeds of a unit's deadlines (RFC 5545), reached by a secret URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.audit import AuditKind, record
from tracker.auth.models import AuditEvent, User
from tracker.core.limits import DATE_MAX
from tracker.core.permissions import visible_tasks_clause
from tracker.core.time import now_utc, to_local
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


def fingerprint(token_hash: str) -> str:
    """A short name for one feed URL in the audit log: the start of its token's SHA-256,
    which tells URLs apart without revealing them (the hash is already in the database)."""
    return token_hash[:8]


def feed_of(user: User) -> CalendarFeed | None:
    """The user's feed, active or revoked, if one was ever made."""
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def feed_token(feed: CalendarFeed) -> str:
    """The secret that goes in the feed's URL."""
    return _token(feed.nonce)


def regenerate_feed(user: User) -> CalendarFeed:
    """Give the user a new feed URL; the previous one stops working."""
    feed = feed_of(user)
    # The audit row names the URL replaced, so a calendar still polling it is traced to its
    # owner although its hash is no longer in calendar_feeds (see `_replaced_feed`).
    replaced = f" replaces token={fingerprint(feed.token_hash)}" if feed is not None else ""
    if feed is None:
        feed = CalendarFeed(user=user)
        db.session.add(feed)
    feed.nonce = secrets.token_hex(32)
    feed.token_hash = _digest(_token(feed.nonce))
    feed.revoked_dt = None
    feed.last_used_dt = None
    db.session.flush()
    record(
        AuditKind.CALENDAR_FEED,
        actor=user,
        detail=f"new URL feed={feed.id} token={fingerprint(feed.token_hash)}{replaced}",
    )
    return feed


def revoke_feed(user: User) -> None:
    """Stop the user's feed URL from working."""
    feed = feed_of(user)
    if feed is not None and feed.revoked_dt is None:
        feed.revoked_dt = now_utc()
        db.session.flush()
        record(
            AuditKind.CALENDAR_FEED,
            actor=user,
            detail=f"revoked feed={feed.id} token={fingerprint(feed.token_hash)}",
        )


def user_for_feed(token: str, now: datetime | None = None) -> User | None:
    """The active owner of an active feed, or None (unknown, revoked, owner deactivated).

    Every outcome goes to the audit log, but at most once per URL, address and local day:
    calendar clients poll every few minutes, and the admin needs who reads which feed from
    where and when, not a row per poll. `last_used_dt` keeps the time of the latest read.
    """
    if not token or len(token) > 100:
        return None
    now = now or now_utc()
    token_hash = _digest(token)
    feed = db.session.scalar(
        sa.select(CalendarFeed)
        .options(joinedload(CalendarFeed.user))
        .where(CalendarFeed.token_hash == token_hash)
    )
    if feed is None:
        _audit_unknown(token_hash, now)
        return None
    if not hmac.compare_digest(_token(feed.nonce), token):
        # The hash matched but the secret key changed since: the URL is dead like an unknown one.
        _audit_unknown(token_hash, now)
        return None
    if feed.revoked_dt is not None:
        outcome = "refused revoked"
    elif not feed.user.is_active:
        outcome = "refused inactive owner"
    else:
        outcome = "read"
    _audit_once(f"{outcome} feed={feed.id} token={fingerprint(token_hash)}", now, actor=feed.user)
    if outcome != "read":
        return None
    feed.last_used_dt = now
    return feed.user


def _address() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def _day_start(now: datetime) -> datetime:
    """The start of `now`'s local day, in UTC: the audit log's window for one feed's reads."""
    local = to_local(now)
    return datetime.combine(local.date(), day_time.min, tzinfo=local.tzinfo).astimezone(UTC)


def _recorded_today(now: datetime, detail: sa.ColumnElement[bool]) -> bool:
    found = db.session.scalar(
        sa.select(AuditEvent.id)
        .where(
            AuditEvent.kind == AuditKind.CALENDAR_FEED.value,
            AuditEvent.created_dt >= _day_start(now),
            AuditEvent.address == _address(),
            detail,
        )
        .limit(1)
    )
    return found is not None


def _audit_once(detail: str, now: datetime, actor: User | None = None) -> None:
    """Record a feed event unless the same one came from the same address today already.
    Two first polls at the same instant may both write: harmless, and no lock is taken."""
    if not _recorded_today(now, AuditEvent.detail == detail):
        record(AuditKind.CALENDAR_FEED, actor=actor, detail=detail)


def _replaced_feed(token_hash: str) -> CalendarFeed | None:
    """The feed whose earlier URL this was, from the audit row written when it was replaced."""
    owner_id = db.session.scalar(
        sa.select(AuditEvent.actor_id)
        .where(
            AuditEvent.kind == AuditKind.CALENDAR_FEED.value,
            AuditEvent.detail.like(f"new URL % replaces token={fingerprint(token_hash)}"),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if owner_id is None:
        return None
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == owner_id))


def _audit_unknown(token_hash: str, now: datetime) -> None:
    """A URL not (or no longer) in calendar_feeds: an old URL its owner replaced, or a guess."""
    fp = fingerprint(token_hash)
    if _recorded_today(now, AuditEvent.detail.like(f"refused % token={fp}")):
        return
    replaced = _replaced_feed(token_hash)
    if replaced is not None:
        record(
            AuditKind.CALENDAR_FEED,
            actor=replaced.user,
            detail=f"refused replaced feed={replaced.id} token={fp}",
        )
        return
    # Guesses are one row per address and day whatever the tokens, so a scan cannot flood
    # the log; the first token tried is kept.
    if not _recorded_today(now, AuditEvent.detail.like("refused unknown %")):
        record(AuditKind.CALENDAR_FEED, detail=f"refused unknown token={fp}")


def recent_feed_events(feed: CalendarFeed, now: datetime, days: int = 30) -> list[AuditEvent]:
    """The feed's reads and refusals of the last `days` days (one per URL, address and day),
    newest first, for its owner's page."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.kind == AuditKind.CALENDAR_FEED.value,
                AuditEvent.actor_id == feed.user_id,
                AuditEvent.created_dt >= now - timedelta(days=days),
                sa.or_(
                    AuditEvent.detail.like(f"read feed={feed.id} %"),
                    AuditEvent.detail.like(f"refused % feed={feed.id} %"),
                ),
            )
            .order_by(AuditEvent.id.desc())
            .limit(50)
        )
    )


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
            # A deadline past 2100 (31/12/9999, stored before dates were bounded) has no day
            # after it to end an event on: left out rather than failing the whole feed.
            Task.deadline <= DATE_MAX,
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
        if task.deadline > DATE_MAX:
            continue  # see feed_tasks
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
