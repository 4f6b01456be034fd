"""Reminders about sub-tasks, run by each reminder pass after the task reminders: before the
deadline and when overdue to the officer; on the first overdue day to the unit's head too,
who hears of it before the chair does (the chair's escalation is about the parent, days
after the parent's own deadline).

Kept apart from the task reminders' delivery table: a sub-task is not a task, and its
reminders are few. The `subtask_reminders` row (one per sub-task, person, kind and day, unique)
makes each happen once whatever the number of passes; a message is claimed by marking it
sent before it goes out and un-marked if the server refuses it, so two passes never both send
it (a pass that dies in between loses that message; the next day's reminder follows).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from tracker.auth.models import Role, User
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.reminders.mail import Mailer, MailError
from tracker.reminders.operations.rules import Clock, Rules
from tracker.subtasks.models import (
    Subtask,
    SubtaskReminder,
    SubtaskReminderKind,
    SubtaskStatus,
)
from tracker.tasks.models import OPEN_STATUSES, Task

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


def _sendable(today: date) -> sa.ColumnElement[bool]:
    """Today's reminders, and escalations (dated by the part's deadline) not yet sent: a
    reminder of a past day that never went out is stale, an escalation is not."""
    return sa.or_(
        SubtaskReminder.day == today,
        SubtaskReminder.kind == SubtaskReminderKind.ESCALATION.value,
    )


def _claim(recipient_id: int, today: date, rules: Rules) -> list[int]:
    """Mark the recipient's unsent reminders of today sent, and return them: only one pass
    gets them."""
    ids = list(
        db.session.scalars(
            sa.update(SubtaskReminder)
            .where(
                SubtaskReminder.recipient_id == recipient_id,
                SubtaskReminder.sent_dt.is_(None),
                _sendable(today),
                SubtaskReminder.attempts < rules.max_attempts,
            )
            .values(sent_dt=now_utc(), attempts=SubtaskReminder.attempts + 1)
            .returning(SubtaskReminder.id)
        )
    )
    db.session.commit()
    return ids


KIND_ORDER = {
    SubtaskReminderKind.ESCALATION.value: 0,
    SubtaskReminderKind.OVERDUE.value: 1,
    SubtaskReminderKind.DUE_SOON.value: 2,
}


def compose(recipient: User, rows: list[SubtaskReminder], today: date) -> EmailMessage:
    """One message to one person about their sub-tasks of the day."""
    base = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    sender = current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost"
    rows = sorted(rows, key=lambda r: (KIND_ORDER.get(r.kind, 9), r.subtask.deadline, r.id))
    with force_locale(recipient.locale or "vi"):
        labels = {
            SubtaskReminderKind.DUE_SOON.value: _("Sắp đến hạn"),
            SubtaskReminderKind.OVERDUE.value: _("Quá hạn"),
            SubtaskReminderKind.ESCALATION.value: _("Cán bộ chưa hoàn thành việc được giao"),
        }
        if any(r.kind == SubtaskReminderKind.ESCALATION for r in rows):
            subject = _("Nhắc việc: %(n)d việc giao cán bộ quá hạn", n=len(rows))
        else:
            subject = _("Nhắc việc: %(n)d việc được giao cần chú ý", n=len(rows))
        lines = [_("Kính gửi %(name)s,", name=recipient.full_name), ""]
        for row in rows:
            subtask = row.subtask
            lines.append(f"- [{labels.get(row.kind, row.kind)}] {subtask.content}")
            detail = _(
                "Hạn %(day)s; giao cho %(who)s; tiến độ %(p)d%%.",
                day=subtask.deadline.strftime("%d/%m/%Y"),
                who=subtask.assignee_name,
                p=subtask.progress,
            )
            lines.append(f"  {detail}")
            lines.append(f"  {base}/subtasks/{subtask.id}")
        lines += ["", _("Xem tất cả tại %(url)s", url=f"{base}/my-work")]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = f"{recipient.full_name} <{recipient.email}>"
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    # As X-Tracker-Reminders on the task reminders: filters and tests see what it carries.
    message["X-Tracker-Subtasks"] = " ".join(f"{r.subtask_id}:{r.kind}" for r in rows)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines))
    return message


def send(clock: Clock, rules: Rules, mailer: Mailer) -> int:
    """Send today's unsent sub-task reminders, one message per person; returns how many
    messages went out."""
    today = clock.today
    recipients = list(
        db.session.scalars(
            sa.select(SubtaskReminder.recipient_id)
            .where(
                SubtaskReminder.sent_dt.is_(None),
                _sendable(today),
                SubtaskReminder.attempts < rules.max_attempts,
            )
            .distinct()
        )
    )
    sent = 0
    for recipient_id in recipients:
        ids = _claim(recipient_id, today, rules)
        if not ids:
            continue
        recipient = db.session.get(User, recipient_id)
        if recipient is None or not recipient.email or not recipient.is_active_user:
            continue  # no address: the sub-task is on their "Việc của tôi" page
        rows = list(
            db.session.scalars(
                sa.select(SubtaskReminder)
                .options(
                    selectinload(SubtaskReminder.subtask).selectinload(Subtask.assignee),
                    selectinload(SubtaskReminder.subtask).selectinload(Subtask.child_unit),
                )
                .where(SubtaskReminder.id.in_(ids))
            )
        )
        try:
            mailer.send(compose(recipient, rows, today))
        except MailError as error:
            log.warning("sub-task reminders to user %s refused: %s", recipient_id, error)
            db.session.execute(
                sa.update(SubtaskReminder).where(SubtaskReminder.id.in_(ids)).values(sent_dt=None)
            )
            db.session.commit()
            continue
        sent += 1
    return sent


def remind(clock: Clock, rules: Rules, mailer: Mailer) -> int:
    """The pass's step for sub-tasks: from the day's digest time on working days, as the
    task digests. Never fails the pass: a fault here is logged and tried again next pass."""
    if not clock.is_digest_day() or clock.now < clock.slot(clock.today):
        return 0
    try:
        plan(clock, rules)
        return send(clock, rules, mailer)
    except Exception:
        db.session.rollback()
        log.exception("sub-task reminders failed; the next pass tries again")
        return 0
