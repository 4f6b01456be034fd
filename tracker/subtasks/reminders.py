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


def _assignees(subtask: Subtask, unit_members: dict[int, list[User]]) -> list[User]:
    if subtask.assignee is not None:
        return [subtask.assignee] if subtask.assignee.is_active_user else []
    return unit_members.get(subtask.child_unit_id or 0, [])


def plan(clock: Clock, rules: Rules) -> int:
    """Add today's sub-task reminders that are not there yet; returns how many."""
    today = clock.today
    horizon = today + timedelta(days=max(rules.days_before, 0))
    subtasks = list(
        db.session.scalars(
            sa.select(Subtask)
            .join(Task, Task.id == Subtask.task_id)
            .options(selectinload(Subtask.assignee))
            .where(
                Subtask.status == SubtaskStatus.OPEN.value,
                Subtask.deadline <= horizon,
                # A paused, cancelled or confirmed parent: its parts are not chased.
                Task.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
    )
    if not subtasks:
        return 0
    units = {s.child_unit_id for s in subtasks if s.child_unit_id} | {s.unit_id for s in subtasks}
    people = db.session.scalars(
        sa.select(User).where(User.unit_id.in_(units), User.is_active_user.is_(True))
    ).all()
    unit_members: dict[int, list[User]] = defaultdict(list)
    heads: dict[int, list[User]] = defaultdict(list)
    for person in people:
        unit_members[person.unit_id or 0].append(person)
        if person.role == Role.UNIT_HEAD:
            heads[person.unit_id or 0].append(person)
    escalated = set(
        db.session.execute(
            sa.select(SubtaskReminder.subtask_id, SubtaskReminder.recipient_id).where(
                SubtaskReminder.subtask_id.in_([s.id for s in subtasks]),
                SubtaskReminder.kind == SubtaskReminderKind.ESCALATION.value,
            )
        ).all()
    )
    wanted: set[tuple[int, int, str]] = set()
    for subtask in subtasks:
        days_left = (subtask.deadline - today).days
        if days_left >= 0:
            if days_left > 0 or rules.on_deadline_day:
                for person in _assignees(subtask, unit_members):
                    wanted.add((subtask.id, person.id, SubtaskReminderKind.DUE_SOON.value))
            continue
        overdue = -days_left
        if (overdue - 1) % max(rules.overdue_every, 1) == 0:
            for person in _assignees(subtask, unit_members):
                wanted.add((subtask.id, person.id, SubtaskReminderKind.OVERDUE.value))
        # Once: the head hears of a late part the first overdue day a pass runs.
        for head in heads.get(subtask.unit_id, []):
            if (subtask.id, head.id) not in escalated:
                wanted.add((subtask.id, head.id, SubtaskReminderKind.ESCALATION.value))
    existing = set(
        db.session.execute(
            sa.select(
                SubtaskReminder.subtask_id, SubtaskReminder.recipient_id, SubtaskReminder.kind
            ).where(
                SubtaskReminder.day == today,
                SubtaskReminder.subtask_id.in_([s.id for s in subtasks]),
            )
        ).all()
    )
    new = wanted - existing
    for subtask_id, recipient_id, kind in sorted(new):
        db.session.add(
            SubtaskReminder(subtask_id=subtask_id, recipient_id=recipient_id, kind=kind, day=today)
        )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another pass planned the same rows at the same moment: theirs stand.
        db.session.rollback()
        return 0
    return len(new)


def _claim(recipient_id: int, today: date, rules: Rules) -> list[int]:
    """Mark the recipient's unsent reminders of today sent, and return them: only one pass
    gets them."""
    ids = list(
        db.session.scalars(
            sa.update(SubtaskReminder)
            .where(
                SubtaskReminder.recipient_id == recipient_id,
                SubtaskReminder.day == today,
                SubtaskReminder.sent_dt.is_(None),
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
                SubtaskReminder.day == today,
                SubtaskReminder.sent_dt.is_(None),
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
