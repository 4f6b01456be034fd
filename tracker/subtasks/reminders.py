"""Reminders about sub-tasks, run by each reminder pass after the task reminders: before the
deadline and when overdue to the officer; on the first overdue day to the unit's head too,
who hears of it before the chair does (the chair's escalation is about the parent, days
after the parent's own deadline).

Kept apart from the task reminders' delivery table: a sub-task is not a task, and its
reminders are few. A `subtask_reminders` row (unique per sub-task, person, kind and day; an
escalation's day is the part's deadline, so it happens once) makes each happen once whatever
the number of passes, planned with INSERT ... ON CONFLICT DO NOTHING. Messages are claimed a
hundred people at a time by marking their rows sent before they go out, and un-marked when the
server refuses one, so two passes never both send a message (a pass that dies in between
loses those people's messages of the day; the next reminder follows).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from tracker.auth.models import Role, User
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.reminders.mail import Mailer, MailError
from tracker.reminders.operations.rules import Clock, Rules
from tracker.subtasks.models import (
    NOTICE_KINDS,
    Subtask,
    SubtaskReminder,
    SubtaskReminderKind,
    SubtaskStatus,
)
from tracker.tasks.models import OPEN_STATUSES, Task
from tracker.units.models import Unit

log = logging.getLogger("tracker.reminders")


def _insert_ignoring_duplicates(rows: list[dict[str, object]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: a row another pass (or an earlier one) planned
    stands, without a failed transaction."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SubtaskReminder.__table__
    inserted = 0
    for start in range(0, len(rows), 2000):
        result = db.session.execute(
            insert(table).on_conflict_do_nothing(),
            rows[start : start + 2000],
            execution_options={"preserve_rowcount": True},
        )
        inserted += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    return inserted


def plan(clock: Clock, rules: Rules) -> int:
    """Add today's sub-task reminders that are not there yet; returns how many."""
    today = clock.today
    horizon = today + timedelta(days=max(rules.days_before, 0))
    # Columns, not objects: at 100,000 tasks with a fifth broken down, tens of thousands of
    # open parts are due or overdue on a morning.
    parts = db.session.execute(
        sa.select(
            Subtask.id,
            Subtask.unit_id,
            Subtask.assignee_id,
            Subtask.child_unit_id,
            Subtask.deadline,
        )
        .join(Task, Task.id == Subtask.task_id)
        .where(
            Subtask.status == SubtaskStatus.OPEN.value,
            Subtask.deadline <= horizon,
            # A paused, cancelled or confirmed parent: its parts are not chased.
            Task.status.in_([s.value for s in OPEN_STATUSES]),
        )
    ).all()
    if not parts:
        return 0
    units = {p.child_unit_id for p in parts if p.child_unit_id} | {p.unit_id for p in parts}
    active: set[int] = set()
    unit_members: dict[int, list[int]] = defaultdict(list)
    heads: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id, role in db.session.execute(
        sa.select(User.id, User.unit_id, User.role).where(
            User.unit_id.in_(units), User.is_active_user.is_(True)
        )
    ):
        active.add(user_id)
        unit_members[unit_id].append(user_id)
        if role == Role.UNIT_HEAD:
            heads[unit_id].append(user_id)
    rows: list[dict[str, object]] = []

    def add(subtask_id: int, recipient_id: int, kind: SubtaskReminderKind, day: date) -> None:
        rows.append(
            {
                "subtask_id": subtask_id,
                "recipient_id": recipient_id,
                "kind": kind.value,
                "day": day,
                "attempts": 0,
            }
        )

    for part in parts:
        if part.assignee_id is not None:
            # An officer who left the unit (or was deactivated) is not written to.
            assignees = [part.assignee_id] if part.assignee_id in active else []
        else:
            assignees = unit_members.get(part.child_unit_id, [])
        days_left = (part.deadline - today).days
        if days_left >= 0:
            if days_left > 0 or rules.on_deadline_day:
                for person in assignees:
                    add(part.id, person, SubtaskReminderKind.DUE_SOON, today)
            continue
        if (-days_left - 1) % max(rules.overdue_every, 1) == 0:
            for person in assignees:
                add(part.id, person, SubtaskReminderKind.OVERDUE, today)
        # Once per part and head: the row's day is the part's deadline, not today, so the
        # unique constraint keeps the first one (the first overdue day a pass ran, even when
        # that was after a weekend).
        for head in heads.get(part.unit_id, []):
            add(part.id, head, SubtaskReminderKind.ESCALATION, part.deadline)
    inserted = _insert_ignoring_duplicates(rows)
    db.session.commit()
    return inserted


def _recipients(subtask: Subtask) -> list[int]:
    """Who is written to about a part: its officer, or the active members of its child unit."""
    if subtask.assignee_id is not None:
        active = subtask.assignee is not None and subtask.assignee.is_active_user
        return [subtask.assignee_id] if active else []
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.unit_id == subtask.child_unit_id, User.is_active_user.is_(True)
            )
        )
    )


def recipients(subtask: Subtask) -> list[int]:
    """The people a part is with now (its officer, or its child unit's active members):
    read before a move, to tell them after it."""
    return _recipients(subtask)


def unsent_notices(subtask: Subtask) -> set[int]:
    """Who has an "assigned" notice of the part not sent yet: moved on before the pass, they
    never heard of it, and are not told it went to someone else either."""
    return set(
        db.session.scalars(
            sa.select(SubtaskReminder.recipient_id).where(
                SubtaskReminder.subtask_id == subtask.id,
                SubtaskReminder.kind == SubtaskReminderKind.ASSIGNED.value,
                SubtaskReminder.sent_dt.is_(None),
            )
        )
    )


def forget_unsent(subtask: Subtask) -> None:
    """Drop what was planned for a part and not sent yet, but an "assigned" notice to whoever
    has it now and a "moved away" notice to whoever does not: after a new officer, a new
    deadline or a cancellation the rest no longer holds (the next pass plans again what is
    due). A cancelled part keeps nothing: nobody hears of it any more. Flushes, never
    commits."""
    unsent = sa.and_(SubtaskReminder.subtask_id == subtask.id, SubtaskReminder.sent_dt.is_(None))
    if subtask.status == SubtaskStatus.CANCELLED:
        db.session.execute(sa.delete(SubtaskReminder).where(unsent))
        return
    keep = _recipients(subtask)
    db.session.execute(
        sa.delete(SubtaskReminder).where(
            unsent,
            sa.not_(
                sa.or_(
                    sa.and_(
                        SubtaskReminder.kind == SubtaskReminderKind.ASSIGNED.value,
                        SubtaskReminder.recipient_id.in_(keep),
                    ),
                    sa.and_(
                        SubtaskReminder.kind == SubtaskReminderKind.UNASSIGNED.value,
                        SubtaskReminder.recipient_id.not_in(keep),
                    ),
                )
            ),
        )
    )


def _notices(
    subtask: Subtask, people: list[int], kind: SubtaskReminderKind, today: date, actor: User | None
) -> int:
    # The head is not told of what they did themselves (a part a head keeps, say).
    skip = actor.id if actor is not None else None
    rows: list[dict[str, object]] = [
        {
            "subtask_id": subtask.id,
            "recipient_id": person,
            "kind": kind.value,
            "day": today,
            "attempts": 0,
            "created_dt": now_utc(),
        }
        for person in people
        if person != skip
    ]
    return _insert_ignoring_duplicates(rows)


def notify_assigned(subtask: Subtask, today: date, actor: User | None = None) -> int:
    """Plan the notice to the officer (or child unit) a part was just given or moved to, but
    `actor`; the next pass sends it, at whatever hour (`remind`), and the notifications page
    shows it at once. Flushes, never commits; returns how many."""
    return _notices(subtask, _recipients(subtask), SubtaskReminderKind.ASSIGNED, today, actor)


def notify_unassigned(
    subtask: Subtask, people: list[int], today: date, actor: User | None = None
) -> int:
    """Plan the notice to `people` (but `actor`), who had the part until it was moved to
    someone else; sent as `notify_assigned`'s. Flushes, never commits; returns how many."""
    return _notices(subtask, people, SubtaskReminderKind.UNASSIGNED, today, actor)


def _sendable(today: date, only_assigned: bool = False) -> sa.ColumnElement[bool]:
    """Today's reminders, and escalations (dated by the part's deadline) and "assigned"
    notices not yet sent: a reminder of a past day that never went out is stale, the other
    two are not. `only_assigned`: the notices alone (outside the digest hours)."""
    news = SubtaskReminder.kind.in_(NOTICE_KINDS)
    if only_assigned:
        return news
    return sa.or_(
        SubtaskReminder.day == today,
        SubtaskReminder.kind == SubtaskReminderKind.ESCALATION.value,
        news,
    )


# People whose reminders one statement claims: few statements for a busy morning's hundreds
# of officers, and a pass that dies loses at most this many people's messages of the day.
CLAIM_BATCH = 100


def _claim(
    recipient_ids: list[int], today: date, rules: Rules, only_assigned: bool = False
) -> list[tuple[int, int]]:
    """Mark the unsent reminders of these people sent, and return (id, recipient) of each:
    only one pass gets them."""
    claimed = db.session.execute(
        sa.update(SubtaskReminder)
        .where(
            SubtaskReminder.recipient_id.in_(recipient_ids),
            SubtaskReminder.sent_dt.is_(None),
            _sendable(today, only_assigned),
            SubtaskReminder.attempts < rules.max_attempts,
        )
        .values(sent_dt=now_utc(), attempts=SubtaskReminder.attempts + 1)
        .returning(SubtaskReminder.id, SubtaskReminder.recipient_id)
    ).all()
    db.session.commit()
    return [(row[0], row[1]) for row in claimed]


@dataclass(frozen=True)
class Line:
    """One part in a message."""

    subtask_id: int
    kind: str
    content: str
    deadline: date
    progress: int
    assignee: str


KIND_ORDER = {
    SubtaskReminderKind.ESCALATION.value: 0,
    SubtaskReminderKind.ASSIGNED.value: 1,
    SubtaskReminderKind.UNASSIGNED.value: 2,
    SubtaskReminderKind.OVERDUE.value: 3,
    SubtaskReminderKind.DUE_SOON.value: 4,
}


def _lines(ids: list[int]) -> dict[int, list[Line]]:
    """The claimed reminders with what their message prints, by recipient; one query."""
    assignee = aliased(User)
    child = aliased(Unit)
    result: dict[int, list[Line]] = defaultdict(list)
    for start in range(0, len(ids), 2000):
        rows = db.session.execute(
            sa.select(
                SubtaskReminder.recipient_id,
                SubtaskReminder.subtask_id,
                SubtaskReminder.kind,
                Subtask.content,
                Subtask.deadline,
                Subtask.progress,
                sa.func.coalesce(assignee.full_name, child.name, ""),
            )
            .join(Subtask, Subtask.id == SubtaskReminder.subtask_id)
            .outerjoin(assignee, assignee.id == Subtask.assignee_id)
            .outerjoin(child, child.id == Subtask.child_unit_id)
            .where(SubtaskReminder.id.in_(ids[start : start + 2000]))
        ).all()
        for recipient_id, *fields in rows:
            result[recipient_id].append(Line(*fields))
    return result


def compose(recipient: User, lines: list[Line]) -> MIMEText:
    """One message to one person about their parts of the day."""
    base = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    sender = current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost"
    lines = sorted(lines, key=lambda x: (KIND_ORDER.get(x.kind, 9), x.deadline, x.subtask_id))
    with force_locale(recipient.locale or "vi"):
        labels = {
            SubtaskReminderKind.DUE_SOON.value: _("Sắp đến hạn"),
            SubtaskReminderKind.OVERDUE.value: _("Quá hạn"),
            SubtaskReminderKind.ESCALATION.value: _("Cán bộ chưa hoàn thành việc được giao"),
            SubtaskReminderKind.ASSIGNED.value: _("Được giao việc"),
        }
        if any(x.kind == SubtaskReminderKind.ESCALATION for x in lines):
            subject = _("Nhắc việc: %(n)d việc giao cán bộ quá hạn", n=len(lines))
        elif all(x.kind == SubtaskReminderKind.ASSIGNED for x in lines):
            subject = _("Bạn được giao %(n)d việc", n=len(lines))
        elif all(x.kind == SubtaskReminderKind.UNASSIGNED for x in lines):
            subject = _("%(n)d việc của bạn đã được giao cho người khác", n=len(lines))
        elif all(x.kind in NOTICE_KINDS for x in lines):
            subject = _("Thay đổi việc được giao cho bạn")
        else:
            subject = _("Nhắc việc: %(n)d việc được giao cần chú ý", n=len(lines))
        text = [_("Kính gửi %(name)s,", name=recipient.full_name), ""]
        for line in lines:
            if line.kind == SubtaskReminderKind.UNASSIGNED:
                # No longer theirs: no deadline to keep, no page to open (they may not see it).
                moved = _("Việc “%(content)s” đã được giao cho người khác.", content=line.content)
                text.append(f"- {moved}")
                continue
            text.append(f"- [{labels.get(line.kind, line.kind)}] {line.content}")
            detail = _(
                "Hạn %(day)s; giao cho %(who)s; tiến độ %(p)d%%.",
                day=line.deadline.strftime("%d/%m/%Y"),
                who=line.assignee,
                p=line.progress,
            )
            text.append(f"  {detail}")
            text.append(f"  {base}/subtasks/{line.subtask_id}")
        text += ["", _("Xem tất cả tại %(url)s", url=f"{base}/my-work")]
    # MIMEText (the compat32 policy) rather than EmailMessage: the default policy parses each
    # header it is given, which was half the time of a morning's few hundred messages.
    message = MIMEText("\n".join(text), "plain", "utf-8")
    # The Header itself, told its name: an encoded string was folded again on sending, with a
    # line break after "Subject:" that readers showed as a leading space on long subjects.
    message["Subject"] = Header(subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
    message["From"] = sender
    message["To"] = formataddr((recipient.full_name, recipient.email or ""), charset="utf-8")
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    # As X-Tracker-Reminders on the task reminders: filters and tests see what it carries.
    message["X-Tracker-Subtasks"] = " ".join(f"{x.subtask_id}:{x.kind}" for x in lines)
    message["Auto-Submitted"] = "auto-generated"
    return message


def send(clock: Clock, rules: Rules, mailer: Mailer, only_assigned: bool = False) -> int:
    """Send today's unsent sub-task reminders, one message per person (`only_assigned`: the
    notices of parts just moved to someone, alone); returns how many messages went out."""
    today = clock.today
    recipients = list(
        db.session.scalars(
            sa.select(SubtaskReminder.recipient_id)
            .where(
                SubtaskReminder.sent_dt.is_(None),
                _sendable(today, only_assigned),
                SubtaskReminder.attempts < rules.max_attempts,
            )
            .distinct()
            .order_by(SubtaskReminder.recipient_id)
        )
    )
    sent = 0
    for start in range(0, len(recipients), CLAIM_BATCH):
        claimed = _claim(recipients[start : start + CLAIM_BATCH], today, rules, only_assigned)
        if not claimed:
            continue
        ids_of: dict[int, list[int]] = defaultdict(list)
        for reminder_id, recipient_id in claimed:
            ids_of[recipient_id].append(reminder_id)
        people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids_of)))}
        lines = _lines([reminder_id for reminder_id, _r in claimed])
        refused: list[int] = []
        for recipient_id, reminder_ids in ids_of.items():
            person = people.get(recipient_id)
            if person is None or not person.email or not person.is_active_user:
                continue  # no address: the part is on their "Việc của tôi" page
            try:
                mailer.send(compose(person, lines[recipient_id]))
            except MailError as error:
                log.warning("sub-task reminders to user %s refused: %s", recipient_id, error)
                refused += reminder_ids
                continue
            sent += 1
        if refused:
            # Offered again to the next pass, up to the admin's number of attempts.
            db.session.execute(
                sa.update(SubtaskReminder)
                .where(SubtaskReminder.id.in_(refused))
                .values(sent_dt=None)
            )
        db.session.commit()
    return sent


def remind(clock: Clock, rules: Rules, mailer: Mailer) -> int:
    """The pass's step for sub-tasks: reminders from the day's digest time on working days,
    as the task digests; the notice of a part moved to someone at any pass, as the task
    events are. Never fails the pass: a fault here is logged and tried again next pass."""
    digest = clock.is_digest_day() and clock.now >= clock.slot(clock.today)
    try:
        if not digest:
            return send(clock, rules, mailer, only_assigned=True)
        plan(clock, rules)
        return send(clock, rules, mailer)
    except Exception:
        db.session.rollback()
        log.exception("sub-task reminders failed; the next pass tries again")
        return 0


# --- in the application ---------------------------------------------------------------------

# The notifications page lists this many of a person's newest notices about parts.
NOTICES_SHOWN = 50


def notices_of(user: User, limit: int = NOTICES_SHOWN) -> list[SubtaskReminder]:
    """The person's notices of parts given to them or moved away, newest first: shown on the
    notifications page with a link to the part's own page (an officer of a child unit may not
    see the parent task)."""
    return list(
        db.session.scalars(
            sa.select(SubtaskReminder)
            .where(
                SubtaskReminder.recipient_id == user.id,
                SubtaskReminder.kind.in_(NOTICE_KINDS),
            )
            .options(sa.orm.selectinload(SubtaskReminder.subtask))
            .order_by(SubtaskReminder.created_dt.desc().nulls_last(), SubtaskReminder.id.desc())
            .limit(limit)
        )
    )


def unread_notices(user: User, cap: int) -> sa.ScalarSelect[int]:
    """The number of the person's unread notices of parts, counted up to `cap` + 1, as a
    subquery: the header's badge adds it to the task notifications' in one statement."""
    unread = (
        sa.select(SubtaskReminder.id)
        .where(
            SubtaskReminder.recipient_id == user.id,
            SubtaskReminder.read_dt.is_(None),
            SubtaskReminder.kind.in_(NOTICE_KINDS),
        )
        .limit(cap + 1)
    )
    return sa.select(sa.func.count()).select_from(unread.subquery()).scalar_subquery()


def mark_notices_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the person's notices of parts read (all of them when no ids are given)."""
    query = sa.update(SubtaskReminder).where(
        SubtaskReminder.recipient_id == user.id,
        SubtaskReminder.read_dt.is_(None),
        SubtaskReminder.kind.in_(NOTICE_KINDS),
    )
    if ids is not None:
        query = query.where(SubtaskReminder.id.in_(ids))
    result = db.session.execute(query.values(read_dt=now_utc()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
