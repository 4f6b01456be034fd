"""A reminder pass: plan, then claim and send what is due, then record the pass.

A pass is a job, so unlike operations it commits: a claim must be committed (visible to every
other process) before the mail server is contacted, and each message's outcome is committed
as soon as it is known, so a crash loses at most the message being sent.
"""

from __future__ import annotations

import functools
import logging
import sys
import time as wall_time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session as SessionBase
from sqlalchemy.orm import joinedload

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.time import local_zone, now_utc
from tracker.extensions import db
from tracker.reminders import webhooks
from tracker.reminders.mail import (
    DIGEST_GROUPS,
    KIND_LABELS,
    MAX_HEADER_ITEMS,
    MAX_ITEMS_PER_GROUP,
    Digest,
    DigestGroup,
    DigestIdentity,
    Item,
    Mailer,
    MailError,
    compose,
    compose_digest,
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


def skip_reason(
    table: sa.Table, today: date, *, per_person: bool = True, joined: bool = False
) -> sa.Case[Any]:
    """Why a planned reminder of `table` must not go out now, as an SQL expression (NULL: it
    must). Checked at send time, so a task confirmed between planning and sending is not
    reminded; evaluated by the database on the claimed rows, so a digest covering thousands
    of tasks is checked without reading them. The first matching reason is recorded.

    `joined`: the query outer-joins `tasks` on the reminder's task, and the expression reads
    its columns (one lookup per row) instead of looking the task up for each condition."""
    task_id = table.c.task_id
    if joined:
        status: Any = Task.status
        deadline: Any = Task.deadline
        task_deleted: sa.ColumnElement[bool] = Task.id.is_(None)
    else:
        status = sa.select(Task.status).where(Task.id == task_id).correlate(table).scalar_subquery()
        deadline = (
            sa.select(Task.deadline).where(Task.id == task_id).correlate(table).scalar_subquery()
        )
        task_deleted = ~sa.exists().where(Task.id == task_id).correlate(table)
    by_status = sa.literal("status ") + status
    kind = table.c.kind
    pending_extension = (
        sa.exists()
        .where(
            ExtensionRequest.task_id == task_id,
            ExtensionRequest.status == ExtensionStatus.PENDING.value,
        )
        .correlate(table)
    )
    whens: list[tuple[sa.ColumnElement[bool], Any]] = [
        (task_deleted, "task deleted"),
        (sa.and_(kind.in_(sorted(SCHEDULED)), table.c.day < today), "stale"),
    ]
    if per_person:
        muted = (
            sa.exists()
            .where(TaskMute.user_id == table.c.recipient_id, TaskMute.task_id == task_id)
            .correlate(table)
        )
        whens.append((sa.and_(table.c.audience == Audience.COORDINATING.value, muted), "muted"))
    deadline_kind = kind.in_(sorted(DEADLINE_KINDS))
    whens += [
        (sa.and_(deadline_kind, status.not_in(WORKING_STATUSES)), by_status),
        (sa.and_(deadline_kind, deadline.is_distinct_from(table.c.deadline)), "deadline changed"),
        (
            sa.and_(
                kind == ReminderKind.AWAITING_CONFIRMATION.value,
                status != Status.SUBMITTED.value,
            ),
            by_status,
        ),
        (
            sa.and_(kind == ReminderKind.EXTENSION_PENDING.value, ~pending_extension),
            "extension decided",
        ),
        (
            sa.and_(
                kind == ReminderKind.ASSIGNED.value,
                status.in_([s.value for s in CLOSED_STATUSES]),
            ),
            by_status,
        ),
        (
            sa.and_(kind == ReminderKind.RETURNED.value, status != Status.RETURNED.value),
            by_status,
        ),
    ]
    return sa.case(*whens, else_=sa.null())


def _send_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The delivery columns a pass reads to compose and record a message."""
    names = ("id", "recipient_id", "task_id", "kind", "day", "audience", "deadline")
    return [table.c[name] for name in (*names, "is_digest", "attempts")]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _due(table: sa.Table, now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        table.c.status == DeliveryStatus.PENDING.value,
        table.c.send_after_dt <= sa.literal(now, Delivery.send_after_dt.type),
    ]


def _claim_recipient(
    clock: Clock, token: str, recipient_id: int | None = None
) -> tuple[int, int, int | None]:
    """Claim every due reminder of one recipient (`recipient_id`, or else the next one with
    due rows), so one digest covers them all, and in the same statement skip the ones the
    send-time re-check refuses. On PostgreSQL the next recipient is picked with FOR UPDATE
    SKIP LOCKED (a second pass skips the rows this one is taking); on SQLite the conditional
    UPDATE is atomic. Either way only rows still pending are taken. Returns the rows claimed
    to send and the rows skipped (committed), and whose they are."""
    D = Delivery.__table__
    if recipient_id is None:
        # In the order of the (status, send_after_dt) index, so picking is not a sort.
        pick = (
            sa.select(D.c.recipient_id)
            .where(*_due(D, clock.now))
            .order_by(D.c.status, D.c.send_after_dt)
            .limit(1)
        )
        if _dialect() == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        recipient_id = db.session.scalar(pick)
        if recipient_id is None:
            db.session.commit()
            return 0, 0, None
    if _dialect() == "postgresql" and not db.session.scalar(
        sa.select(sa.func.pg_try_advisory_xact_lock(RECIPIENT_LOCKS, recipient_id))
    ):
        # Another pass (or sending thread) is claiming this recipient's rows right now: it
        # takes them all, so they go out in one digest rather than split between two.
        db.session.commit()
        return 0, 0, recipient_id
    statuses = db.session.scalars(
        _claim_statement(clock.today),
        {"token": token, "recipient": recipient_id, "now": clock.now},
    ).all()
    db.session.commit()
    skipped = statuses.count(DeliveryStatus.SKIPPED.value)
    return len(statuses) - skipped, skipped, recipient_id


# First key of the transaction-level advisory locks a claim takes on PostgreSQL, the second
# being the recipient's id ("tr"; the scheduler's one-key lock is another space).
RECIPIENT_LOCKS = 0x7472


@functools.lru_cache(maxsize=4)
def _claim_statement(today: date) -> sa.Update:
    """Claim a recipient's due rows, each marked sending or, when the re-check (`skip_reason`)
    refuses it, skipped with the reason; returns each row's new status. The reason is worked
    out once per row in a subquery (a CASE repeated in three columns would run its lookups
    three times); the recipient's id is a value, so the database finds the rows through the
    recipient index. Built once per day (the re-check compares with the day)."""
    D = Delivery.__table__
    now = sa.bindparam("now", type_=Delivery.send_after_dt.type)
    checked = (
        sa.select(D.c.id, skip_reason(D, today, joined=True).label("reason"))
        .select_from(D.outerjoin(Task, Task.id == D.c.task_id))
        .where(
            D.c.recipient_id == RECIPIENT,
            D.c.status == DeliveryStatus.PENDING.value,
            D.c.send_after_dt <= now,
        )
        # PostgreSQL: rows another pass is claiming are left to it rather than waited for
        # (two passes joining the same rows in different orders would deadlock). The
        # recipient's advisory lock already keeps two claims of one person apart; this is
        # the guard for a row locked by anything else.
        .with_for_update(skip_locked=True, of=D)
        .subquery()
    )
    to_send = checked.c.reason.is_(None)
    return (
        sa.update(D)
        # Pending again here: a concurrent pass may have taken the row meanwhile.
        .where(D.c.id == checked.c.id, D.c.status == DeliveryStatus.PENDING.value)
        .values(
            status=sa.case(
                (to_send, DeliveryStatus.SENDING.value), else_=DeliveryStatus.SKIPPED.value
            ),
            claim_token=sa.case((to_send, TOKEN), else_=sa.null()),
            claimed_dt=now,
            last_error=sa.case((to_send, D.c.last_error), else_=checked.c.reason),
        )
        .returning(D.c.status)
    )


def _anything_due(table: sa.Table, now: datetime) -> bool:
    return db.session.scalar(sa.select(table.c.id).where(*_due(table, now)).limit(1)) is not None


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


@dataclass(frozen=True, slots=True)
class ListedTask:
    """What a digest prints about a task (read with the delivery, no ORM object)."""

    id: int
    content: str
    deadline: date | None
    lead_unit_name: str


TOKEN = sa.bindparam("token", type_=sa.String())


RECIPIENT = sa.bindparam("recipient", type_=sa.Integer())


def _claimed(*conditions: sa.ColumnElement[bool]) -> list[sa.ColumnElement[bool]]:
    """The rows of the `recipient` parameter claimed with the `token` parameter and still to
    send. Found through the (recipient, status) index: a recipient has a few hundred rows,
    while on PostgreSQL the status index alone still holds, until a vacuum, an entry for
    every row claimed earlier in the pass (tens of thousands on a busy morning)."""
    D = Delivery.__table__
    return [
        D.c.recipient_id == RECIPIENT,
        D.c.claim_token == TOKEN,
        D.c.status == DeliveryStatus.SENDING.value,
        *conditions,
    ]


def _digest_order(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    # Soonest deadline first, tasks without one last, as the lists of the application.
    return [Task.deadline.is_(None), Task.deadline, Task.id, table.c.id]


@dataclass(frozen=True)
class _Statements:
    """The statements a pass runs for every recipient, built once (building the re-check
    and the digest queries anew for each of hundreds of recipients cost more than running
    them); the claim token is a parameter."""

    listed: sa.Select[Any]
    singles: sa.Select[Any]


@functools.cache
def _statements() -> _Statements:
    from tracker.units.models import Unit

    D = Delivery.__table__
    digest_rows = _claimed(D.c.is_digest.is_(True))
    # The first MAX_ITEMS_PER_GROUP of each group in one statement (a row number per group)
    # rather than one statement per group: four round trips per recipient were a fifth of a
    # morning's pass on PostgreSQL.
    group = sa.case(
        *((D.c.kind.in_([k.value for k in kinds]), key) for key, _title, kinds in DIGEST_GROUPS),
        else_=sa.null(),
    ).label("group_key")
    numbered = (
        sa.select(
            *_send_columns(D),
            Task.content,
            Task.deadline.label("task_deadline"),
            Unit.name.label("lead_unit_name"),
            group,
            sa.func.row_number().over(partition_by=group, order_by=_digest_order(D)).label("place"),
            # The group's size and the whole set's identity (tracker.reminders.mail's
            # DigestIdentity) on every row, so no statement of their own is needed.
            sa.func.count().over(partition_by=group).label("group_total"),
            sa.func.count().over().label("set_count"),
            sa.func.sum(D.c.id).over().label("set_id_sum"),
            sa.func.min(D.c.id).over().label("set_first_id"),
            sa.func.max(D.c.id).over().label("set_last_id"),
            sa.func.max(D.c.day).over().label("set_day"),
        )
        .select_from(D.join(Task, Task.id == D.c.task_id).join(Unit, Unit.id == Task.lead_unit_id))
        .where(*digest_rows)
        .subquery()
    )
    return _Statements(
        listed=sa.select(numbered)
        .where(numbered.c.place <= MAX_ITEMS_PER_GROUP)
        .order_by(numbered.c.group_key, numbered.c.place),
        singles=sa.select(*_send_columns(D)).where(*_claimed(D.c.is_digest.is_(False))),
    )


def _digest(token: str, recipient_id: int) -> Digest | None:
    """The digest of the rows claimed with `token` that are still to send: per group its
    count and its first MAX_ITEMS_PER_GROUP items (read with their task and lead unit), the
    identity of the whole set for the Message-ID, and the first items for the header; one
    statement."""
    statements = _statements()
    params = {"token": token, "recipient": recipient_id}
    rows = db.session.execute(statements.listed, params).all()
    if not rows:
        return None
    first_row = rows[0]
    identity = DigestIdentity(
        recipient_id=recipient_id,
        day=first_row.set_day,
        count=int(first_row.set_count),
        id_sum=int(first_row.set_id_sum),
        first_id=int(first_row.set_first_id),
        last_id=int(first_row.set_last_id),
    )
    listed: dict[str, list[Item]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        task = ListedTask(row.task_id, row.content, row.task_deadline, row.lead_unit_name)
        listed.setdefault(row.group_key, []).append(Item(row, task))
        totals[row.group_key] = int(row.group_total)
    groups = [
        DigestGroup(key, title, listed[key], totals[key])
        for key, title, _kinds in DIGEST_GROUPS
        if key in listed
    ]
    # The first ones in deadline order over all groups: among the first of each group, as
    # the header names no more than a group lists.
    first = sorted((i.delivery for g in groups for i in g.items), key=_row_order)
    return Digest(
        groups=groups,
        identity=identity,
        header=[f"{row.task_id}:{row.kind}" for row in first[:MAX_HEADER_ITEMS]],
    )


def _row_order(row: Any) -> tuple[Any, ...]:
    """_digest_order in Python, for rows read with their task's deadline."""
    return (row.task_deadline is None, row.task_deadline or date.min, row.task_id, row.id)


def _fail(
    table: sa.Table,
    where: list[sa.ColumnElement[bool]],
    error: str,
    clock: Clock,
    rules: Rules,
    params: dict[str, Any] | None = None,
) -> None:
    """Record a failed attempt on the rows matching `where`: back to pending with the
    back-off of their attempt count, or failed for good after the last attempt."""
    counts = db.session.scalars(sa.select(table.c.attempts).where(*where).distinct(), params).all()
    for attempts in counts:
        tried = attempts + 1
        gave_up = tried >= rules.max_attempts
        db.session.execute(
            sa.update(table)
            .where(*where, table.c.attempts == attempts)
            .values(
                attempts=tried,
                last_error=error[:1000],
                claim_token=None,
                status=(DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING).value,
                send_after_dt=sa.literal(
                    clock.now + rules.retry_delay(tried), Delivery.send_after_dt.type
                ),
            ),
            params,
        )


@functools.cache
def _sent_statements() -> tuple[sa.Update, sa.Update]:
    """Mark a message's rows sent: the digest's rows, or one row (`row_id`); built once, the
    time and Message-ID as parameters."""
    D = Delivery.__table__
    values = {
        "status": DeliveryStatus.SENT.value,
        "sent_dt": sa.bindparam("sent_dt", type_=Delivery.sent_dt.type),
        "attempts": D.c.attempts + 1,
        "message_id": sa.bindparam("message_id", type_=sa.String()),
        "claim_token": None,
        "last_error": sa.case((D.c.last_error == RESENT_NOTE, RESENT_NOTE), else_=sa.null()),
    }
    digest = sa.update(D).where(*_claimed(D.c.is_digest.is_(True))).values(**values)
    single = (
        sa.update(D)
        .where(*_claimed(D.c.id == sa.bindparam("row_id", type_=sa.Integer())))
        .values(**values)
    )
    return digest, single


def send_claimed(
    token: str, recipient_id: int, clock: Clock, rules: Rules, mailer: Mailer, result: PassResult
) -> None:
    """Send the reminders of `recipient_id` claimed (and re-checked) with `token`: one digest
    and the immediate messages; each outcome committed as soon as known."""
    D = Delivery.__table__
    params = {"token": token, "recipient": recipient_id}
    recipient = db.session.get(User, recipient_id)
    assert recipient is not None
    if not recipient.is_active_user or not recipient.email:
        # Still listed in the application; there is nowhere to mail it.
        status = DeliveryStatus.IN_APP if recipient.is_active_user else DeliveryStatus.SKIPPED
        db.session.execute(
            sa.update(D).where(*_claimed()).values(status=status.value, claim_token=None), params
        )
        db.session.commit()
        return
    # Composed before the first commit, while everything is read in one transaction.
    # Each message with the delivery row it carries, or None for the digest's rows.
    messages: list[tuple[EmailMessage, int | None]] = []
    digest = _digest(token, recipient.id)
    if digest is not None:
        messages.append((compose_digest(recipient, digest, day=clock.today), None))
    singles = db.session.execute(_statements().singles, params).all()
    tasks = _full_tasks({row.task_id for row in singles}) if singles else {}
    for row in sorted(singles, key=lambda r: r.id):
        task = tasks.get(row.task_id)
        if task is None:  # deleted since the re-check; the next pass skips it
            continue
        message = compose(recipient, Item(row, task), day=clock.today)
        messages.append((message, row.id))
    recipient_email = recipient.email
    digest_sent, single_sent = _sent_statements()
    for message, row_id in messages:
        try:
            mailer.send(message)
        except MailError as error:
            log.warning("mail to %s failed: %s", recipient_email, error)
            rows = _claimed(D.c.is_digest.is_(True) if row_id is None else D.c.id == row_id)
            _fail(D, rows, str(error), clock, rules, params)
            result.failed += 1
        else:
            sent = {**params, "sent_dt": clock.now, "message_id": str(message["Message-ID"])}
            if row_id is None:
                db.session.execute(digest_sent, sent)
            else:
                db.session.execute(single_sent, {**sent, "row_id": row_id})
            result.sent += 1
        db.session.commit()
    db.session.commit()


def _send_to(
    recipients: list[int], clock: Clock, rules: Rules, mailer: Mailer, result: PassResult
) -> None:
    # The recipients read in a few statements and kept loaded across the pass's commits
    # (which would otherwise expire each one, and `send_claimed` read it again: one more
    # round trip per person). A name or address changed meanwhile shows in the next pass.
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        users = []  # held here: the session's identity map keeps objects only weakly
        for start in range(0, len(recipients), 500):
            chunk = recipients[start : start + 500]
            users += db.session.scalars(sa.select(User).where(User.id.in_(chunk))).all()
        db.session.commit()
        for recipient_id in recipients:
            token = str(uuid.uuid4())
            claimed, skipped, _recipient = _claim_recipient(clock, token, recipient_id)
            result.skipped += skipped
            if claimed:
                send_claimed(token, recipient_id, clock, rules, mailer, result)
        del users
    finally:
        session.expire_on_commit = expiring


def _send_share(
    app: Flask, recipients: list[int], clock: Clock, rules: Rules, result: PassResult
) -> None:
    """One sending thread: its own application context (so its own database session and
    connection) and its own mail connection."""
    with app.app_context():
        db.session.info[ASYNC_COMMIT] = True
        mailer = default_mailer()
        try:
            _send_to(recipients, clock, rules, mailer, result)
        finally:
            mailer.close()


# Seconds between the interpreter's thread switches while threads send (see send_due).
SENDING_SWITCH_INTERVAL = 0.0005


def sending_threads() -> int:
    """How many threads send a pass's messages: TRACKER_REMINDER_THREADS, by default 2 (one
    composes while the other waits for the database; measured on two cores, a busy morning
    at 100,000 tasks: PostgreSQL 7.3 → 5.7 s, SQLite 5.0 → 4.2 s, where the writes wait on
    each other only for the few milliseconds of a claim or a "sent" mark)."""
    configured = current_app.config.get("TRACKER_REMINDER_THREADS")
    return max(1, int(configured)) if configured else 2


def send_due(
    clock: Clock, rules: Rules, mailer: Mailer, result: PassResult, *, threads: int = 1
) -> None:
    """Claim and send, one recipient at a time, until nothing is due. With `threads` > 1 the
    recipients are shared among that many threads, each with its own connections (mailers
    from the configuration), then `mailer` sends whatever is left: on PostgreSQL one thread
    composes while another waits for the database."""
    D = Delivery.__table__
    # The recipients with due rows, read once: picking each next one through the status
    # index walks past every row claimed earlier in the pass (175,000 on a busy morning).
    # A recipient another pass has claimed meanwhile simply yields no rows here.
    recipients = sorted(
        db.session.scalars(sa.select(D.c.recipient_id).where(*_due(D, clock.now)).distinct())
    )
    db.session.commit()
    if threads > 1 and len(recipients) > 1:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        shares = [recipients[i::threads] for i in range(threads)]
        results = [PassResult() for _share in shares]
        # A thread whose statement has returned waits for the interpreter lock while another
        # composes a message, by default up to 5 ms, and a recipient takes a dozen round
        # trips: with 0.5 ms the database is kept busy (a busy morning at 100,000 tasks on
        # PostgreSQL, 7.5 → 6.4 s and 6.4 → 5.3 s of sending in paired runs).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SENDING_SWITCH_INTERVAL)
        try:
            with ThreadPoolExecutor(threads, thread_name_prefix="reminders") as pool:
                futures = [
                    pool.submit(_send_share, app, share, clock, rules, share_result)
                    for share, share_result in zip(shares, results, strict=True)
                ]
                for future in futures:
                    future.result()  # a thread's error fails the pass, as it would unthreaded
        finally:
            sys.setswitchinterval(switch_interval)
        for share_result in results:
            result.sent += share_result.sent
            result.failed += share_result.failed
            result.skipped += share_result.skipped
    else:
        _send_to(recipients, clock, rules, mailer, result)
    # Then whatever became due meanwhile (retries, a concurrent pass's leftovers).
    idle_rounds = 0
    while True:
        token = str(uuid.uuid4())
        claimed, skipped, recipient_id = _claim_recipient(clock, token)
        result.skipped += skipped
        if skipped and not claimed:
            continue  # nothing to send for this one, but there may be others
        if claimed and recipient_id is not None:
            idle_rounds = 0
            send_claimed(token, recipient_id, clock, rules, mailer, result)
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
        # The same re-check as e-mail, in the database (no person: nothing is muted).
        reason = skip_reason(W, clock.today, per_person=False)
        db.session.execute(
            sa.update(W)
            .where(W.c.claim_token == token, reason.is_not(None))
            .values(status=DeliveryStatus.SKIPPED.value, last_error=reason, claim_token=None)
        )
        rows = list(
            db.session.scalars(
                sa.select(WebhookDelivery).where(WebhookDelivery.claim_token == token)
            )
        )
        tasks = _full_tasks({r.task_id for r in rows})
        for row in rows:
            task = tasks.get(row.task_id)
            if task is None or not row.webhook.is_active:
                reason_text = "task deleted" if task is None else "inactive"
                row.status, row.last_error = DeliveryStatus.SKIPPED.value, reason_text
            else:
                try:
                    webhooks.post(
                        row.webhook.url,
                        row.webhook.secret,
                        _webhook_payload(row, task),
                        delivery_id=f"{row.webhook_id}.{row.task_id}.{row.kind}.{row.day:%Y%m%d}",
                    )
                except webhooks.WebhookError as error:
                    log.warning("webhook %s failed: %s", row.webhook.url, error)
                    _fail(W, [W.c.id == row.id], str(error), clock, rules)
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
        sa.select(*_send_columns(D), skip_reason(D, clock.today, joined=True).label("reason"))
        .select_from(D.outerjoin(Task, Task.id == D.c.task_id))
        .where(*_due(D, clock.now))
        .order_by(D.c.recipient_id, *_digest_order(D))
    ).all()
    by_recipient: dict[int, list[Any]] = {}
    for row in rows:
        if row.reason is not None:
            result.skipped += 1
        else:
            by_recipient.setdefault(row.recipient_id, []).append(row)
    listing = []
    for recipient_id, recipient_rows in by_recipient.items():
        recipient = db.session.get(User, recipient_id)
        assert recipient is not None
        if not recipient.email or not recipient.is_active_user:
            continue
        digest = [r for r in recipient_rows if r.is_digest]
        singles = sorted((r for r in recipient_rows if not r.is_digest), key=lambda r: r.id)
        messages = [(digest, True)] if digest else []
        messages += [([r], False) for r in singles]
        for message_rows, is_digest in messages:
            listing.append(
                {
                    "to": recipient.email,
                    "user": recipient.username,
                    "digest": is_digest,
                    "reminders": [f"{r.task_id}:{r.kind}" for r in message_rows],
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
    passed_mailer = mailer is not None
    mailer = mailer or default_mailer()
    db.session.info[ASYNC_COMMIT] = True
    try:
        # Threads only with mailers from the configuration: one passed in (tests) is one
        # object, and each thread needs a connection of its own.
        send_due(clock, rules, mailer, result, threads=1 if passed_mailer else sending_threads())
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
