"""A reminder pass: plan, then claim and send what is due, then record the pass.

A pass is a job, so unlike operations it commits: a claim must be committed (visible to every
other process) before the mail server is contacted, and each message's outcome is committed
as soon as it is known, so a crash loses at most the message being sent.
"""

from __future__ import annotations

import logging
import time as wall_time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as SessionBase
from sqlalchemy.orm import joinedload

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.time import local_zone, now_utc
from tracker.extensions import db
from tracker.reminders import webhooks
from tracker.reminders.mail import (
    KIND_LABELS,
    Item,
    Mailer,
    MailError,
    compose,
    shown_items,
    task_link,
)
from tracker.reminders.mail import mailer_from_config as default_mailer
from tracker.reminders.models import (
    SCHEDULED_KINDS,
    Audience,
    Delivery,
    DeliveryStatus,
    ReminderKind,
    ReminderState,
    TaskMute,
    WebhookDelivery,
)
from tracker.reminders.operations.planning import STATE_ID, WORKING_STATUSES, plan
from tracker.reminders.operations.rules import Clock, Rules, load_rules
from tracker.tasks.models import (
    CLOSED_STATUSES,
    ExtensionRequest,
    ExtensionStatus,
    Status,
    Task,
)

log = logging.getLogger("tracker.reminders")

# A claim older than this belongs to a pass that died; its rows are offered again.
CLAIM_LEASE = timedelta(minutes=15)
# Kept on a row offered again after its claim expired, also once sent: the pass that died
# may have handed the message to the mail server before dying, so the recipient may have it
# twice, and the admin's delivery list says why.
RESENT_NOTE = "claim expired (pass interrupted): sent again, may have arrived twice"
WEBHOOK_BATCH = 20
DEADLINE_KINDS = {
    ReminderKind.DUE_SOON.value,
    ReminderKind.DUE_TODAY.value,
    ReminderKind.OVERDUE.value,
    ReminderKind.ESCALATION.value,
}
SCHEDULED = {k.value for k in SCHEDULED_KINDS}
ASYNC_COMMIT = "tracker.reminders.async_commit"


@sa.event.listens_for(SessionBase, "after_begin")
def _async_commit(session: SessionBase, _transaction: Any, connection: sa.Connection) -> None:
    """During a pass on PostgreSQL, commits do not wait for the WAL to reach the disk.

    A pass commits after every claim and every message (so a killed pass resends at most the
    message in flight), and waiting for the disk at each of those commits was most of a
    morning's pass. Only a crash of the database server itself can lose the last fraction of
    a second of outcomes; those rows come back after the claim lease and are sent again with
    the same Message-ID, which mail clients show once. Killing the pass, or the database
    ending its connection, loses nothing committed."""
    if session.info.get(ASYNC_COMMIT) and connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")


@dataclass
class PassResult:
    """What one pass did; `sent` and `failed` count e-mail messages, `planned` and `skipped`
    count reminders."""

    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    would_send: list[dict[str, Any]] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """The JSON line of `tracker remind`."""
        data = asdict(self)
        if self.would_send is None:
            data.pop("would_send")
        return data


def make_clock(now: datetime, rules: Rules) -> Clock:
    """The pass's clock in the deployment's zone and calendar."""
    return Clock(
        now=now, zone=local_zone(), calendar=working_calendar(), digest_time=rules.digest_time
    )


def why_not(
    *,
    kind: str,
    audience: str,
    day: date,
    deadline: date | None,
    task: Task | TaskState | None,
    today: date,
    pending_extensions: set[int],
    muted: set[int],
) -> str | None:
    """Why a planned reminder must not go out now (None: it must). Checked at send time, so
    a task confirmed between planning and sending is not reminded."""
    if task is None:
        return "task deleted"
    if kind in SCHEDULED and day < today:
        return "stale"
    if audience == Audience.COORDINATING and task.id in muted:
        return "muted"
    if kind in DEADLINE_KINDS:
        if task.status not in WORKING_STATUSES:
            return f"status {task.status}"
        if task.deadline != deadline:
            return "deadline changed"
    elif kind == ReminderKind.AWAITING_CONFIRMATION:
        if task.status != Status.SUBMITTED:
            return f"status {task.status}"
    elif kind == ReminderKind.EXTENSION_PENDING:
        if task.id not in pending_extensions:
            return "extension decided"
    elif kind == ReminderKind.ASSIGNED:
        if task.status in CLOSED_STATUSES:
            return f"status {task.status}"
    elif kind == ReminderKind.RETURNED and task.status != Status.RETURNED:
        return f"status {task.status}"
    return None


def _send_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The delivery columns a pass reads to re-check, compose and record a message."""
    names = ("id", "recipient_id", "task_id", "kind", "day", "audience", "deadline")
    return [table.c[name] for name in (*names, "is_digest", "attempts")]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _due(table: sa.Table, now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        table.c.status == DeliveryStatus.PENDING.value,
        table.c.send_after_dt <= sa.literal(now, Delivery.send_after_dt.type),
    ]


def _claim_recipient(now: datetime, token: str, recipient_id: int | None = None) -> int:
    """Claim every due reminder of one recipient (`recipient_id`, or else the next one with
    due rows), so one digest covers them all. On PostgreSQL the next recipient is picked
    with FOR UPDATE SKIP LOCKED (a second pass skips the rows this one is taking); on SQLite
    the conditional UPDATE is atomic. Either way only rows still pending are taken. Returns
    the rows claimed (committed)."""
    D = Delivery.__table__
    if recipient_id is None:
        # In the order of the (status, send_after_dt) index, so picking is not a sort.
        pick = (
            sa.select(D.c.recipient_id)
            .where(*_due(D, now))
            .order_by(D.c.status, D.c.send_after_dt)
            .limit(1)
        )
        if _dialect() == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        recipient_id = db.session.scalar(pick)
        if recipient_id is None:
            db.session.commit()
            return 0
    # A separate statement with the id as a value, so the database finds the rows through
    # the recipient index instead of scanning every pending row.
    claim = (
        sa.update(D)
        .where(D.c.recipient_id == recipient_id, *_due(D, now))
        .values(
            status=DeliveryStatus.SENDING.value,
            claim_token=token,
            claimed_dt=sa.literal(now, Delivery.claimed_dt.type),
        )
    )
    count = db.session.execute(claim).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return int(count or 0)


def _anything_due(table: sa.Table, now: datetime) -> bool:
    return db.session.scalar(sa.select(table.c.id).where(*_due(table, now)).limit(1)) is not None


@dataclass(frozen=True, slots=True)
class TaskState:
    """What the send-time re-check needs of a task: three columns, not an ORM object, so
    a digest covering tens of thousands of tasks is checked without loading them."""

    id: int
    status: str
    deadline: date | None


def _claimed_tasks(token: str | None, ids: list[int]) -> sa.Select:  # type: ignore[type-arg]
    if token is not None:
        return sa.select(Delivery.task_id).where(Delivery.claim_token == token)
    return sa.select(Task.id).where(Task.id.in_(ids))


def _context(token: str | None, ids: list[int]) -> tuple[dict[int, TaskState], set[int]]:
    """The state of the tasks of the claimed rows and which of them have an extension
    request pending; read by joining on the claim, not with an IN list that could exceed SQL
    limits."""
    claimed = _claimed_tasks(token, ids)
    tasks = {
        row.id: TaskState(row.id, row.status, row.deadline)
        for row in db.session.execute(
            sa.select(Task.id, Task.status, Task.deadline).where(Task.id.in_(claimed))
        )
    }
    pending = set(
        db.session.scalars(
            sa.select(ExtensionRequest.task_id).where(
                ExtensionRequest.task_id.in_(claimed),
                ExtensionRequest.status == ExtensionStatus.PENDING.value,
            )
        )
    )
    return tasks, pending


def _full_tasks(ids: set[int]) -> dict[int, Task]:
    """The tasks a message shows, with what the templates print about them."""
    tasks: dict[int, Task] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        tasks.update(
            (t.id, t)
            for t in db.session.scalars(
                sa.select(Task)
                .where(Task.id.in_(ordered[start : start + 500]))
                # Many-to-one: one joined query instead of three round trips per recipient.
                .options(joinedload(Task.lead_unit), joinedload(Task.meeting))
            )
        )
    return tasks


def _digest_tasks(ids: set[int]) -> dict[int, Any]:
    """What a digest prints about its tasks, as plain rows (no ORM objects to build for the
    hundreds of tasks of one morning's digests)."""
    from tracker.units.models import Unit

    rows: dict[int, Any] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        rows.update(
            (row.id, row)
            for row in db.session.execute(
                sa.select(
                    Task.id,
                    Task.content,
                    Task.deadline,
                    Task.status,
                    Unit.name.label("lead_unit_name"),
                )
                .join(Unit, Unit.id == Task.lead_unit_id)
                .where(Task.id.in_(ordered[start : start + 500]))
            )
        )
    return rows


def _with_tasks(messages: list[tuple[list[Item], bool]]) -> None:
    """Give the items the messages show what the templates print about their task, loaded
    in one go for all of a recipient's messages (full tasks for single messages, rows for
    digests); the others keep the state the re-check read (they are only counted, and named
    in the Message-ID and header)."""
    single = [i for items, digest in messages if not digest for i in items]
    listed = [i for items, digest in messages if digest for i in shown_items(items, digest=True)]
    for shown, tasks in (
        (single, _full_tasks({i.task.id for i in single}) if single else {}),
        (listed, _digest_tasks({i.task.id for i in listed}) if listed else {}),
    ):
        for item in shown:
            task = tasks.get(item.task.id)
            if task is not None:
                item.task = task


def _muted(user_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(TaskMute.task_id).where(TaskMute.user_id == user_id)))


def _sort_key(item: Item) -> tuple[Any, ...]:
    return (item.task.deadline or date.max, item.task.id)


def _messages(items: list[Item]) -> list[tuple[list[Item], bool]]:
    """The digest (all digest items, one message) and one message per immediate item."""
    digest = sorted((i for i in items if i.delivery.is_digest), key=_sort_key)
    messages: list[tuple[list[Item], bool]] = [
        ([i], False) for i in items if not i.delivery.is_digest
    ]
    if digest:
        messages.insert(0, (digest, True))
    return messages


def _filter(
    rows: list[Delivery], token: str | None, clock: Clock
) -> tuple[list[Item], dict[str, list[int]]]:
    """Items still worth sending, and the ids of the others by reason."""
    if not rows:
        return [], {}
    tasks, pending = _context(token, [r.task_id for r in rows])
    muted = _muted(rows[0].recipient_id)
    items: list[Item] = []
    skipped: dict[str, list[int]] = {}
    for row in rows:
        task = tasks.get(row.task_id)
        reason = why_not(
            kind=row.kind,
            audience=row.audience,
            day=row.day,
            deadline=row.deadline,
            task=task,
            today=clock.today,
            pending_extensions=pending,
            muted=muted,
        )
        if reason:
            skipped.setdefault(reason, []).append(row.id)
        else:
            assert task is not None
            items.append(Item(row, task))
    return items, skipped


def _update(table: sa.Table, ids: list[int], **values: Any) -> None:
    """One UPDATE per 500 rows: a digest for the office can cover tens of thousands."""
    for start in range(0, len(ids), 500):
        db.session.execute(
            sa.update(table).where(table.c.id.in_(ids[start : start + 500])).values(**values)
        )


def _record_failure(
    table: sa.Table, rows: list[Any], error: str, clock: Clock, rules: Rules
) -> None:
    by_attempts: dict[int, list[int]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts + 1, []).append(row.id)
    for attempts, ids in by_attempts.items():
        gave_up = attempts >= rules.max_attempts
        _update(
            table,
            ids,
            attempts=attempts,
            last_error=error[:1000],
            claim_token=None,
            status=(DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING).value,
            send_after_dt=sa.literal(
                clock.now + rules.retry_delay(attempts), Delivery.send_after_dt.type
            ),
        )


def send_claimed(
    token: str, clock: Clock, rules: Rules, mailer: Mailer, result: PassResult
) -> None:
    """Send the reminders claimed with `token`: re-check each, then one digest and the
    immediate messages; each outcome committed as soon as known."""
    D = Delivery.__table__
    # Plain rows, not ORM objects: they do not expire at each commit, so a digest covering
    # thousands of reminders is not read again row by row.
    # Only the columns sending needs: a digest for the office covers tens of thousands of
    # rows, and converting their timestamps alone took seconds.
    rows = list(db.session.execute(sa.select(*_send_columns(D)).where(D.c.claim_token == token)))
    if not rows:
        return
    recipient = db.session.get(User, rows[0].recipient_id)
    assert recipient is not None
    items, skipped = _filter(rows, token, clock)  # type: ignore[arg-type]
    for reason, ids in skipped.items():
        _update(D, ids, status=DeliveryStatus.SKIPPED.value, last_error=reason, claim_token=None)
        result.skipped += len(ids)
    if items and (not recipient.is_active_user or not recipient.email):
        # Still listed in the application; there is nowhere to mail it.
        status = DeliveryStatus.IN_APP if recipient.is_active_user else DeliveryStatus.SKIPPED
        _update(D, [i.delivery.id for i in items], status=status.value, claim_token=None)
        items = []
    # Composed before the first commit, while the tasks are loaded.
    grouped = _messages(items)
    _with_tasks(grouped)
    messages = [
        (message_items, digest, compose(recipient, message_items, digest=digest, day=clock.today))
        for message_items, digest in grouped
    ]
    recipient_email = recipient.email
    for message_items, digest, message in messages:
        deliveries = [i.delivery for i in message_items]
        try:
            mailer.send(message)
        except MailError as error:
            log.warning("mail to %s failed: %s", recipient_email, error)
            _record_failure(D, deliveries, str(error), clock, rules)
            result.failed += 1
        else:
            sent = {
                "status": DeliveryStatus.SENT.value,
                "sent_dt": sa.literal(clock.now, Delivery.sent_dt.type),
                "attempts": D.c.attempts + 1,
                "message_id": str(message["Message-ID"]),
                "claim_token": None,
                "last_error": sa.case(
                    (D.c.last_error == RESENT_NOTE, RESENT_NOTE), else_=sa.null()
                ),
            }
            if digest:
                # The digest carries every digest row still claimed (the skipped ones have
                # released their claim): one statement, not one per 500 of tens of thousands.
                db.session.execute(
                    sa.update(D)
                    .where(
                        D.c.claim_token == token,
                        D.c.status == DeliveryStatus.SENDING.value,
                        D.c.is_digest.is_(True),
                    )
                    .values(**sent)
                )
            else:
                _update(D, [d.id for d in deliveries], **sent)
            result.sent += 1
        db.session.commit()
    db.session.commit()


def send_due(clock: Clock, rules: Rules, mailer: Mailer, result: PassResult) -> None:
    """Claim and send, one recipient at a time, until nothing is due."""
    D = Delivery.__table__
    # The recipients with due rows, read once: picking each next one through the status
    # index walks past every row claimed earlier in the pass (175,000 on a busy morning).
    # A recipient another pass has claimed meanwhile simply yields no rows here.
    recipients = list(
        db.session.scalars(sa.select(D.c.recipient_id).where(*_due(D, clock.now)).distinct())
    )
    db.session.commit()
    for recipient_id in sorted(recipients):
        token = str(uuid.uuid4())
        if _claim_recipient(clock.now, token, recipient_id):
            send_claimed(token, clock, rules, mailer, result)
    # Then whatever became due meanwhile (retries, a concurrent pass's leftovers).
    idle_rounds = 0
    while True:
        token = str(uuid.uuid4())
        if _claim_recipient(clock.now, token):
            idle_rounds = 0
            send_claimed(token, clock, rules, mailer, result)
            continue
        # Nothing claimed: either nothing is due, or another pass holds the rows we saw (they
        # are locked for an instant while it claims them); look again shortly.
        if not _anything_due(D, clock.now) or idle_rounds >= 100:
            break
        idle_rounds += 1
        db.session.commit()
        wall_time.sleep(0.02)


def _webhook_payload(row: WebhookDelivery, task: Task) -> dict[str, Any]:
    label = str(KIND_LABELS.get(row.kind, row.kind))
    deadline = f"{task.deadline:%d/%m/%Y}" if task.deadline else ""
    return {
        "event": "reminder",
        "kind": row.kind,
        "label": label,
        "day": row.day.isoformat(),
        "unit": row.webhook.unit.name,
        "task": {
            "id": task.id,
            "content": task.content,
            "deadline": task.deadline.isoformat() if task.deadline else None,
            "status": task.status,
            "lead_unit": task.lead_unit.name,
            "url": task_link(task.id),
        },
        "text": f"{label}: {task.content}" + (f" (hạn {deadline})" if deadline else ""),
    }


def send_webhooks(clock: Clock, rules: Rules, result: PassResult) -> None:
    """POST due webhook reminders, claimed in small batches like e-mail."""
    W = WebhookDelivery.__table__
    while True:
        token = str(uuid.uuid4())
        pick = sa.select(W.c.id).where(*_due(W, clock.now)).order_by(W.c.id).limit(WEBHOOK_BATCH)
        if _dialect() == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = db.session.execute(
            sa.update(W)
            .where(*_due(W, clock.now), W.c.id.in_(pick.scalar_subquery()))
            .values(status=DeliveryStatus.SENDING.value, claim_token=token, claimed_dt=clock.now)
        ).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        if not claimed:
            return
        rows = list(
            db.session.scalars(
                sa.select(WebhookDelivery).where(WebhookDelivery.claim_token == token)
            )
        )
        _states, pending = _context(None, [r.task_id for r in rows])
        tasks = _full_tasks({r.task_id for r in rows})
        for row in rows:
            task = tasks.get(row.task_id)
            reason = why_not(
                kind=row.kind,
                audience=Audience.LEAD.value,
                day=row.day,
                deadline=row.deadline,
                task=task,
                today=clock.today,
                pending_extensions=pending,
                muted=set(),
            )
            if reason or not row.webhook.is_active:
                row.status, row.last_error = DeliveryStatus.SKIPPED.value, reason or "inactive"
            else:
                assert task is not None
                try:
                    webhooks.post(
                        row.webhook.url,
                        row.webhook.secret,
                        _webhook_payload(row, task),
                        delivery_id=f"{row.webhook_id}.{row.task_id}.{row.kind}.{row.day:%Y%m%d}",
                    )
                except webhooks.WebhookError as error:
                    log.warning("webhook %s failed: %s", row.webhook.url, error)
                    _record_failure(W, [row], str(error), clock, rules)
                    db.session.expire(row)
                else:
                    row.status, row.sent_dt, row.last_error = (
                        DeliveryStatus.SENT.value,
                        clock.now,
                        None,
                    )
                    row.attempts += 1
            row.claim_token = None
            db.session.commit()


def _preview(clock: Clock, result: PassResult) -> list[dict[str, Any]]:
    """What a pass would send now, without claiming or changing anything."""
    D = Delivery.__table__
    rows = db.session.execute(
        sa.select(*_send_columns(D)).where(*_due(D, clock.now)).order_by(D.c.recipient_id, D.c.id)
    ).all()
    by_recipient: dict[int, list[Any]] = {}
    for row in rows:
        by_recipient.setdefault(row.recipient_id, []).append(row)
    listing = []
    for recipient_id, recipient_rows in by_recipient.items():
        recipient = db.session.get(User, recipient_id)
        assert recipient is not None
        items, skipped = _filter(recipient_rows, None, clock)
        result.skipped += sum(len(ids) for ids in skipped.values())
        if not recipient.email or not recipient.is_active_user:
            continue
        for message_items, digest in _messages(items):
            listing.append(
                {
                    "to": recipient.email,
                    "user": recipient.username,
                    "digest": digest,
                    "reminders": [f"{i.task.id}:{i.delivery.kind}" for i in message_items],
                }
            )
    return listing


def release_expired_claims(now: datetime) -> None:
    """Offer again the rows of passes that died while sending."""
    for table in (Delivery.__table__, WebhookDelivery.__table__):
        db.session.execute(
            sa.update(table)
            .where(
                table.c.status == DeliveryStatus.SENDING.value,
                table.c.claimed_dt < sa.literal(now - CLAIM_LEASE, Delivery.claimed_dt.type),
            )
            .values(status=DeliveryStatus.PENDING.value, claim_token=None, last_error=RESENT_NOTE)
        )


def skip_stale(clock: Clock) -> int:
    """Rule-based reminders of an earlier day that never went out (the scheduler was down,
    or the mail server refused all day) are not sent late: today's plan says what is still
    true. Returns the number skipped."""
    D = Delivery.__table__
    result = db.session.execute(
        sa.update(D)
        .where(
            D.c.status == DeliveryStatus.PENDING.value,
            D.c.kind.in_(sorted(SCHEDULED)),
            D.c.day < clock.today,
        )
        .values(status=DeliveryStatus.SKIPPED.value, last_error="stale")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def run_pass(
    now: datetime | None = None, *, dry_run: bool = False, mailer: Mailer | None = None
) -> PassResult:
    """One pass: plan, send what is due, record the time. Safe to run at any time, any
    number of times, from several processes at once."""
    now = now or now_utc()
    rules = load_rules()
    clock = make_clock(now, rules)
    result = PassResult()
    try:
        result.planned = plan(clock, rules)
        result.skipped += skip_stale(clock)
        if dry_run:
            result.would_send = _preview(clock, result)
            db.session.rollback()
            return result
        release_expired_claims(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    mailer = mailer or default_mailer()
    db.session.info[ASYNC_COMMIT] = True
    try:
        send_due(clock, rules, mailer, result)
        send_webhooks(clock, rules, result)
    finally:
        mailer.close()
        db.session.info.pop(ASYNC_COMMIT, None)
    db.session.execute(
        sa.update(ReminderState).where(ReminderState.id == STATE_ID).values(last_pass_dt=now)
    )
    db.session.commit()
    log.info("reminder pass at %s: %s", now.isoformat(), result.as_dict())
    return result


def last_pass_dt() -> datetime | None:
    """When the last pass completed."""
    state = db.session.get(ReminderState, STATE_ID)
    return state.last_pass_dt if state else None
