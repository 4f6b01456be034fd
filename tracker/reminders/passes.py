"""A reminder pass: plan, then claim and send what is due, then record the pass.

A pass is a job, so unlike operations it commits: a claim must be committed (visible to every
other process) before the mail server is contacted, and each message's outcome is committed
as soon as it is known, so a crash loses at most the message being sent.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time as wall_time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql
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
    digest_message_id,
    message_id_for,
    task_link,
)
from tracker.reminders.mail import mailer_from_config as default_mailer
from tracker.reminders.models import (
    SCHEDULED_KINDS,
    Audience,
    Delivery,
    DeliveryClaim,
    DeliveryStatus,
    ReminderKind,
    ReminderState,
    TaskMute,
    WebhookDelivery,
)
from tracker.reminders.operations.planning import STATE_ID, WORKING_STATUSES, plan
from tracker.reminders.operations.rules import Clock, Rules, load_rules
from tracker.subtasks.reminders import remind as remind_subtasks
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
    """During a pass's webhooks on PostgreSQL, commits do not wait for the WAL to reach the
    disk (the e-mail claims say so in their first statement, a round trip less per person).

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
        # Decided before the message left (a digest the next morning): nothing waits.
        (
            sa.and_(kind == ReminderKind.RESULT_SUBMITTED.value, status != Status.SUBMITTED.value),
            by_status,
        ),
        (
            sa.and_(kind == ReminderKind.EXTENSION_REQUESTED.value, ~pending_extension),
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


# First key of the transaction-level advisory locks a claim takes on PostgreSQL, the second
# being the recipient's id ("tr"; the scheduler's one-key lock is another space).
RECIPIENT_LOCKS = 0x7472

RECIPIENT = sa.bindparam("recipient", type_=sa.Integer())
IDS = sa.bindparam("ids", expanding=True)
ID_ARRAY = sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer()))
# Rows per UPDATE ... WHERE id IN (...): under SQLite's limit of bound values, and an import
# day's digest for the office (45,000 reminders) in a handful of statements.
ID_CHUNK = 5000


def _among(column: sa.ColumnElement[int], dialect: str) -> sa.ColumnElement[bool]:
    """`column` is one of the `ids` parameter. On PostgreSQL one array value, so the
    statement's text is the same whatever the count: psycopg prepares it once, where an
    expanding IN rendered a placeholder and a cast per id at every call (a tenth of the
    pass's Python time); elsewhere an expanding IN."""
    if dialect == "postgresql":
        return column == sa.any_(ID_ARRAY)
    return column.in_(IDS)


@dataclass(slots=True)
class Claim:
    """One recipient's due reminders as a claim left them: those to send marked sent with
    the claim's token and their messages' Message-IDs, each message with a claim row."""

    token: str
    digest: list[Any] = field(default_factory=list)  # in deadline order (_row_order)
    singles: list[Any] = field(default_factory=list)
    skipped: int = 0
    # Rows the claim changed, whatever it made of them; 0 also when another pass took them
    # while this one read them (SQLite) and nothing was written.
    marked: int = 0
    listing: Digest | None = None  # what the digest prints
    tasks: dict[int, Task] = field(default_factory=dict)  # the single messages' tasks


@functools.lru_cache(maxsize=4)
def _checked_statement(today: date) -> sa.Select[Any]:
    """A recipient's due reminders, each with what a message needs of it and the reason the
    send-time re-check refuses it (`skip_reason`, NULL: send), worked out by the database
    with the task joined once per row, and what a digest prints about the task (read here
    for every row rather than for the listed ones in a statement of their own: a round trip
    less per person, for a few kilobytes more). Built once per day (the re-check compares
    with the day); the recipient's id is a value, so the rows are found through the
    recipient index.

    PostgreSQL: the rows are locked until the claim commits, and rows another pass is
    claiming are left to it rather than waited for (two passes joining the same rows in
    different orders would deadlock); the recipient's advisory lock already keeps two claims
    of one person apart, this guards against a row locked by anything else."""
    from tracker.units.models import Unit

    D = Delivery.__table__
    return (
        sa.select(
            *_send_columns(D),
            D.c.last_error,
            Task.deadline.label("task_deadline"),
            Task.content.label("task_content"),
            Unit.name.label("lead_unit_name"),
            skip_reason(D, today, joined=True).label("reason"),
        )
        .select_from(
            D.outerjoin(Task, Task.id == D.c.task_id).outerjoin(Unit, Unit.id == Task.lead_unit_id)
        )
        .where(
            D.c.recipient_id == RECIPIENT,
            D.c.status == DeliveryStatus.PENDING.value,
            D.c.send_after_dt <= sa.bindparam("now", type_=Delivery.send_after_dt.type),
        )
        .with_for_update(skip_locked=True, of=D)
    )


@functools.lru_cache(maxsize=2)
def _mark_statements(dialect: str) -> tuple[sa.Update, sa.Update]:
    """Mark rows (the `ids` parameter, still pending) sent with a Message-ID, skipped with
    a reason, or kept in the application only; built once per dialect.

    On PostgreSQL the claim's read locked the rows, so they are still pending and the rows
    are found by their ids alone. Adding "and still pending" there made the planner walk the
    status index through every pending row of the morning (42,000) for each recipient, as
    its statistics, taken when the morning's rows were not planned yet, said there were
    none. SQLite did not lock them: the condition is what makes a concurrent claim fail."""
    D = Delivery.__table__
    pending: tuple[sa.ColumnElement[bool], ...] = (_among(D.c.id, dialect),)
    if dialect != "postgresql":
        pending += (D.c.status == DeliveryStatus.PENDING.value,)
    sent = (
        sa.update(D)
        .where(*pending)
        .values(
            status=DeliveryStatus.SENT.value,
            sent_dt=sa.bindparam("sent_dt", type_=Delivery.sent_dt.type),
            attempts=D.c.attempts + 1,
            message_id=sa.bindparam("message_id", type_=sa.String()),
            claim_token=sa.bindparam("token", type_=sa.String()),
            # The "may have arrived twice" note of a row offered again stays once it is sent.
            last_error=sa.case((D.c.last_error == RESENT_NOTE, RESENT_NOTE), else_=sa.null()),
        )
    )
    skipped = (
        sa.update(D)
        .where(*pending)
        .values(
            status=sa.bindparam("status", type_=sa.String()),
            last_error=sa.bindparam("reason", type_=sa.Text()),
            claim_token=None,
        )
    )
    return sent, skipped


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in pieces of at most ID_CHUNK."""
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _mark(statement: sa.Executable, ids: list[int], params: dict[str, Any]) -> int:
    """Run a marking statement over `ids` in chunks; the rows it changed."""
    changed = 0
    for chunk in _chunks(ids):
        result = db.session.execute(statement, {**params, "ids": chunk})
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


@functools.cache
def _lock_statement() -> sa.Select[Any]:
    """PostgreSQL: the recipient's transaction advisory lock (true: taken), the claim's
    commit not waiting for the disk (see `_async_commit`), and the deletion of the claim
    rows of the messages sent just before (the `answered` tokens, see `_close_answered`),
    in the transaction's first statement rather than round trips of their own."""
    C = DeliveryClaim.__table__
    answered = sa.bindparam("answered", type_=postgresql.ARRAY(sa.String()))
    closed = sa.delete(C).where(C.c.token == sa.any_(answered)).cte("closed")
    return sa.select(
        sa.func.pg_try_advisory_xact_lock(RECIPIENT_LOCKS, RECIPIENT),
        sa.func.set_config("synchronous_commit", "off", sa.true()),
    ).add_cte(closed)


def _close_answered(answered: list[str]) -> None:
    """Delete, in the current transaction, the claim rows of messages the mail server has
    accepted (`answered`: their claims' tokens; the caller empties it once committed)."""
    if answered:
        C = DeliveryClaim.__table__
        db.session.execute(sa.delete(C).where(C.c.token.in_(answered)))


def _claim(clock: Clock, recipient: User, answered: list[str]) -> Claim | None:
    """Claim every due reminder of `recipient`, so one digest covers them all: in one
    transaction, re-check them (`skip_reason`), mark the ones to send **sent** with their
    Message-ID and the ones refused skipped with the reason, and write a claim row per
    message. Marking sent before sending writes each reminder twice in its life (planned,
    sent) instead of three times; the claim row, deleted after the mail server has answered
    (in the next person's claim, see `send_claimed`), is what says the message may be in
    flight (`release_expired_claims`).

    The same transaction closes the claims of the messages sent just before (`answered`,
    emptied once committed): one transaction per person rather than one more per message.

    Returns None when another pass or sending thread is claiming this person's reminders at
    this moment (PostgreSQL: a transaction advisory lock per recipient, so one person's
    digest is never split between two passes)."""
    token = str(uuid.uuid4())
    postgres = _dialect() == "postgresql"
    locked = not postgres or db.session.scalar(
        _lock_statement(), {"recipient": recipient.id, "answered": answered}
    )
    rows = (
        db.session.execute(
            _checked_statement(clock.today), {"recipient": recipient.id, "now": clock.now}
        ).all()
        if locked
        else []
    )
    # The writes after the read: on SQLite the first write takes the database's write lock.
    with _writing():
        if not postgres:  # PostgreSQL: closed by the lock statement
            _close_answered(answered)
        if not locked:
            _commit(answered)
            return None
        return _mark_claimed(clock, recipient, Claim(token), rows, answered)


def _mark_claimed(
    clock: Clock, recipient: User, claim: Claim, rows: list[Any], answered: list[str]
) -> Claim:
    """The writing half of `_claim`: mark the rows read, write the claim rows, commit."""
    if not rows:
        _commit(answered)
        return claim
    token = claim.token
    sent, skipped = _mark_statements(_dialect())
    refused: dict[str, list[int]] = {}
    for row in rows:
        if row.reason is not None:
            refused.setdefault(row.reason, []).append(row.id)
        elif row.is_digest:
            claim.digest.append(row)
        else:
            claim.singles.append(row)
    changed = 0
    for reason, ids in refused.items():
        changed += _mark(skipped, ids, {"status": DeliveryStatus.SKIPPED.value, "reason": reason})
    claim.skipped = sum(len(ids) for ids in refused.values())
    if not (recipient.is_active_user and recipient.email) and (claim.digest or claim.singles):
        # Still listed in the application; there is nowhere to mail it.
        status = DeliveryStatus.IN_APP if recipient.is_active_user else DeliveryStatus.SKIPPED
        kept = [row.id for row in (*claim.digest, *claim.singles)]
        changed += _mark(skipped, kept, {"status": status.value, "reason": None})
        claim.digest, claim.singles = [], []
    in_flight = []
    identity = None
    marked = {"sent_dt": clock.now, "token": token}
    if claim.digest:
        claim.digest.sort(key=_row_order)
        ids = [row.id for row in claim.digest]
        identity = DigestIdentity(
            recipient_id=recipient.id,
            day=max(row.day for row in claim.digest),
            count=len(ids),
            id_sum=sum(ids),
            first_id=min(ids),
            last_id=max(ids),
        )
        message_id = digest_message_id(identity)
        changed += _mark(sent, ids, {**marked, "message_id": message_id})
        in_flight.append((None, message_id))
    claim.singles.sort(key=lambda r: r.id)
    for row in claim.singles:
        message_id = message_id_for(row)
        changed += _mark(sent, [row.id], {**marked, "message_id": message_id})
        in_flight.append((row.id, message_id))
    if changed != len(rows):
        # SQLite only (PostgreSQL locked the rows): a concurrent pass claimed some of them
        # between the read and these writes. Undo; that pass sends them.
        db.session.rollback()
        log.info("reminders of user %s claimed by another pass meanwhile", recipient.id)
        return Claim(token)
    claim.marked = changed
    if in_flight:
        db.session.execute(
            sa.insert(DeliveryClaim.__table__),
            [
                {
                    "token": token,
                    "recipient_id": recipient.id,
                    "delivery_id": delivery_id,
                    "message_id": message_id,
                    "claimed_dt": clock.now,
                }
                for delivery_id, message_id in in_flight
            ],
        )
    # What the messages print, read in the same transaction (one round trip less per person).
    claim.listing = _digest(claim.digest, identity) if identity else None
    claim.tasks = _full_tasks({row.task_id for row in claim.singles}) if claim.singles else {}
    _commit(answered)
    return claim


# SQLite has one writer at a time, and a connection waiting for the write lock sleeps 1, 2,
# 5, 10 ms... between tries (its busy handler): the sending threads of one pass take turns
# through this lock instead, which hands over at once. Other processes still wait through
# the busy timeout.
_SQLITE_WRITER = threading.Lock()


@contextmanager
def _writing() -> Iterator[None]:
    """Around a sending thread's write transaction: on SQLite, one thread at a time."""
    if _dialect() == "sqlite":
        with _SQLITE_WRITER:
            yield
    else:
        yield


def _commit(answered: list[str]) -> None:
    db.session.commit()
    answered.clear()


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


def _digest_order(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    # Soonest deadline first, tasks without one last, as the lists of the application.
    return [Task.deadline.is_(None), Task.deadline, Task.id, table.c.id]


def _row_order(row: Any) -> tuple[Any, ...]:
    """_digest_order in Python, for rows read with their task's deadline."""
    return (row.task_deadline is None, row.task_deadline or date.min, row.task_id, row.id)


GROUP_OF_KIND = {kind.value: key for key, _title, kinds in DIGEST_GROUPS for kind in kinds}


def _digest(rows: list[Any], identity: DigestIdentity) -> Digest:
    """The digest of a claim's digest rows (in deadline order, each read with what the digest
    prints about its task): per group its count and its first MAX_ITEMS_PER_GROUP items, the
    identity of the whole set for the Message-ID, and the first items for the header."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(GROUP_OF_KIND[row.kind], []).append(row)
    groups = []
    for key, title, _kinds in DIGEST_GROUPS:
        if key in grouped:
            items = [
                Item(
                    row,
                    ListedTask(
                        row.task_id, row.task_content, row.task_deadline, row.lead_unit_name
                    ),
                )
                for row in grouped[key][:MAX_ITEMS_PER_GROUP]
                # A task deleted meanwhile takes its reminders with it.
                if row.task_content is not None
            ]
            groups.append(DigestGroup(key, title, items, len(grouped[key])))
    # The first ones in deadline order over all groups: among the first of each group, as
    # the header names no more than a group lists.
    first = sorted((i.delivery for g in groups for i in g.items), key=_row_order)
    return Digest(
        groups=groups,
        identity=identity,
        header=[f"{row.task_id}:{row.kind}" for row in first[:MAX_HEADER_ITEMS]],
    )


def _fail(
    table: sa.Table,
    where: list[sa.ColumnElement[bool]],
    error: str,
    clock: Clock,
    rules: Rules,
    params: dict[str, Any] | None = None,
    *,
    counted: bool = False,
) -> None:
    """Record a failed attempt on the rows matching `where`: back to pending with the
    back-off of their attempt count, or failed for good after the last attempt. `counted`:
    the attempt is already in the rows' count (a claim counts it when it marks them sent)."""
    counts = db.session.scalars(sa.select(table.c.attempts).where(*where).distinct(), params).all()
    for attempts in counts:
        tried = attempts if counted else attempts + 1
        gave_up = tried >= rules.max_attempts
        db.session.execute(
            sa.update(table)
            .where(*where, table.c.attempts == attempts)
            .values(
                attempts=tried,
                last_error=error[:1000],
                claim_token=None,
                sent_dt=None,
                status=(DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING).value,
                send_after_dt=sa.literal(
                    clock.now + rules.retry_delay(tried), Delivery.send_after_dt.type
                ),
            ),
            params,
        )


def _refused(ids: list[int], error: str, clock: Clock, rules: Rules) -> None:
    """The mail server refused the message carrying `ids` (marked sent by the claim)."""
    D = Delivery.__table__
    for chunk in _chunks(ids):
        _fail(D, [D.c.id.in_(chunk)], error, clock, rules, counted=True)


@functools.cache
def _done_statements() -> tuple[sa.Delete, sa.Delete]:
    """Delete one message's claim row at once (refused, or its task deleted meanwhile): the
    digest's, or a single reminder's (`delivery_id`)."""
    C = DeliveryClaim.__table__
    token = C.c.token == sa.bindparam("token", type_=sa.String())
    return (
        sa.delete(C).where(token, C.c.delivery_id.is_(None)),
        sa.delete(C).where(
            token, C.c.delivery_id == sa.bindparam("delivery_id", type_=sa.Integer())
        ),
    )


@dataclass(slots=True)
class Sending:
    """What one sending thread (or the pass alone) sends with: the pass's clock and rules,
    its own mail connection, the counts it adds to, and the tokens of claims whose messages
    went out and whose claim rows are still open (`answered`, see `send_claimed`)."""

    clock: Clock
    rules: Rules
    mailer: Mailer
    result: PassResult
    answered: list[str] = field(default_factory=list)


def send_claimed(claim: Claim, recipient: User, sending: Sending) -> None:
    """Send the messages of a claim: one digest and the immediate messages. A refusal is
    committed at once (the reminders back to pending, the claim row deleted); the claim rows
    of accepted messages are left to the next claim's transaction (the claim's token added
    to `sending.answered`). Until then a killed pass would offer them again after the lease,
    as it would the message it was handing over: the window is one person's claim,
    milliseconds, and saves a transaction per person."""
    clock, rules, result = sending.clock, sending.rules, sending.result
    # Each message with the reminder it carries (None: the digest) and its rows.
    messages: list[tuple[EmailMessage, int | None, list[int]]] = []
    if claim.listing is not None:
        message = compose_digest(recipient, claim.listing, day=clock.today)
        messages.append((message, None, [row.id for row in claim.digest]))
    digest_done, single_done = _done_statements()
    for row in claim.singles:
        task = claim.tasks.get(row.task_id)
        if task is None:  # deleted meanwhile, and its reminders with it
            db.session.execute(single_done, {"token": claim.token, "delivery_id": row.id})
            continue
        messages.append((compose(recipient, Item(row, task), day=clock.today), row.id, [row.id]))
    db.session.commit()
    recipient_email = recipient.email
    for message, delivery_id, ids in messages:
        try:
            sending.mailer.send(message)
        except MailError as error:
            log.warning("mail to %s failed: %s", recipient_email, error)
            _refused(ids, str(error), clock, rules)
            if delivery_id is None:
                db.session.execute(digest_done, {"token": claim.token})
            else:
                db.session.execute(single_done, {"token": claim.token, "delivery_id": delivery_id})
            db.session.commit()
            result.failed += 1
        else:
            result.sent += 1
    sending.answered.append(claim.token)


def _claim_and_send(recipient: User, sending: Sending) -> Claim | None:
    """Claim one person's due reminders and send them; the claim (None: another pass holds
    the person right now)."""
    claim = _claim(sending.clock, recipient, sending.answered)
    if claim is not None:
        sending.result.skipped += claim.skipped
        if claim.digest or claim.singles:
            send_claimed(claim, recipient, sending)
    return claim


@contextmanager
def _closing(sending: Sending) -> Iterator[Sending]:
    """Close the claims `sending` has left open (see `send_claimed`) at the end, and also
    when the pass fails meanwhile: a connection lost during a claim would otherwise leave
    open the claims of the messages sent just before, and offer them again after the lease."""
    answered = sending.answered
    try:
        yield sending
    except BaseException:
        if answered:
            try:
                db.session.rollback()
                _close_answered(answered)
                _commit(answered)
            except sa.exc.SQLAlchemyError:
                log.exception("could not close the claims of messages already sent")
        raise
    if answered:
        _close_answered(answered)
        _commit(answered)


def _send_to(recipients: list[int], sending: Sending) -> None:
    # The recipients read in a few statements and kept loaded across the pass's commits
    # (which would otherwise expire each one, and reading it again is one more round trip
    # per person). A name or address changed meanwhile shows in the next pass.
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        users: dict[int, User] = {}
        for start in range(0, len(recipients), 500):
            chunk = recipients[start : start + 500]
            users.update(
                (user.id, user)
                for user in db.session.scalars(sa.select(User).where(User.id.in_(chunk)))
            )
        db.session.commit()
        with _closing(sending):
            for recipient_id in recipients:
                recipient = users.get(recipient_id)
                if recipient is not None:  # None: deleted since, with their reminders
                    _claim_and_send(recipient, sending)
    finally:
        session.expire_on_commit = expiring


def _send_share(
    app: Flask, recipients: list[int], clock: Clock, rules: Rules, result: PassResult
) -> None:
    """One sending thread: its own application context (so its own database session and
    connection) and its own mail connection."""
    with app.app_context(), _one_connection():
        mailer = default_mailer()
        try:
            _send_to(recipients, Sending(clock, rules, mailer, result))
        finally:
            mailer.close()


@contextmanager
def _one_connection() -> Iterator[None]:
    """The current database session (a sending thread's) on one connection for the whole
    share: the application's session hands its connection back to the pool at each commit
    and takes one again at the next person's first statement, with the pool's liveness ping
    (a round trip per person, a twentieth of a thread's time). A connection lost meanwhile
    fails the thread's next statement, as it would between two checkouts."""
    with db.engine.connect() as connection:
        db.session.registry.set(SessionBase(bind=connection))
        try:
            yield
        finally:
            db.session.remove()


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
        _send_to(recipients, Sending(clock, rules, mailer, result))
    # Then whatever became due meanwhile (retries, a concurrent pass's leftovers).
    with _closing(Sending(clock, rules, mailer, result)) as sending:
        _send_left(sending)


def _send_left(sending: Sending) -> None:
    """Pick the next recipient with anything due, claim and send, until nothing is due."""
    D, clock = Delivery.__table__, sending.clock
    idle_rounds = 0
    while True:
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
        recipient = db.session.get(User, recipient_id) if recipient_id is not None else None
        claim = _claim_and_send(recipient, sending) if recipient else None
        if claim is not None and claim.marked:
            idle_rounds = 0
            continue
        # Nothing claimed: either nothing is due, or another pass holds the rows we saw (they
        # are locked for an instant while it claims them); look again shortly.
        db.session.commit()
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
    """POST due webhook reminders, claimed in small batches like e-mail. A delivery that fails,
    however, is recorded on its row and the pass goes on with the next."""
    W = WebhookDelivery.__table__
    allow_private = bool(current_app.config.get("TRACKER_WEBHOOK_ALLOW_PRIVATE"))
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
                        allow_private=allow_private,
                    )
                except Exception as error:  # recorded on the row; the pass goes on
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
    """Offer again the reminders of messages whose pass died while sending them: claim rows
    older than the lease (their reminders were marked sent), and rows left "sending" (webhook
    reminders, and e-mail claimed by a version before claim rows). They keep a note once sent
    again: the dead pass may have handed the message over before dying."""
    cutoff = sa.literal(now - CLAIM_LEASE, Delivery.claimed_dt.type)
    D, C = Delivery.__table__, DeliveryClaim.__table__
    expired = db.session.execute(
        sa.select(C.c.id, C.c.token, C.c.recipient_id, C.c.delivery_id).where(
            C.c.claimed_dt < cutoff
        )
    ).all()
    for claim in expired:
        # Found through the recipient's rows (claim tokens are not indexed: see Delivery).
        rows = [D.c.recipient_id == claim.recipient_id, D.c.claim_token == claim.token]
        rows.append(
            D.c.is_digest.is_(True) if claim.delivery_id is None else D.c.id == claim.delivery_id
        )
        db.session.execute(
            sa.update(D)
            .where(*rows, D.c.status == DeliveryStatus.SENT.value)
            .values(
                status=DeliveryStatus.PENDING.value,
                claim_token=None,
                sent_dt=None,
                last_error=RESENT_NOTE,
            )
        )
        db.session.execute(sa.delete(C).where(C.c.id == claim.id))
    for table in (D, WebhookDelivery.__table__):
        db.session.execute(
            sa.update(table)
            .where(table.c.status == DeliveryStatus.SENDING.value, table.c.claimed_dt < cutoff)
            .values(status=DeliveryStatus.PENDING.value, claim_token=None, last_error=RESENT_NOTE)
        )


def in_flight() -> sa.Select[tuple[Delivery]]:
    """The e-mail reminders in flight: marked sent with a claim row still open (a pass is
    talking to the mail server, or died doing so and its claim has not expired yet), and
    rows left "sending" by older versions. Driven from the claim rows, which are few."""
    D, C = Delivery.__table__, DeliveryClaim.__table__
    of_the_claim = (
        D.c.recipient_id == C.c.recipient_id,
        D.c.claim_token == C.c.token,
        sa.or_(
            sa.and_(C.c.delivery_id.is_(None), D.c.is_digest.is_(True)),
            D.c.id == C.c.delivery_id,
        ),
        D.c.status == DeliveryStatus.SENT.value,
    )
    if _dialect() == "postgresql":
        # LATERAL: each claim's reminders looked up claim by claim, through the recipient's
        # index, whatever the statistics say the claim table holds (OFFSET 0 keeps the
        # planner from flattening it into a join). With an estimate of thousands of claims
        # (statistics taken during a pass) PostgreSQL sorted and merged the whole sent
        # history instead: 0.5-1.8 s at a million tasks, on the admin's settings page and
        # "sending" list.
        rows = sa.select(D.c.id).where(*of_the_claim).offset(0).lateral("claimed_rows")
        claimed = sa.select(rows.c.id).select_from(C.join(rows, sa.true()))
    else:
        claimed = sa.select(D.c.id).select_from(C).join(D, sa.and_(*of_the_claim))
    sending = sa.select(D.c.id).where(D.c.status == DeliveryStatus.SENDING.value)
    return sa.select(Delivery).where(Delivery.id.in_(sa.union(claimed, sending)))


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
    passed_mailer = mailer is not None
    # Threads only with mailers from the configuration: one passed in (tests) is one
    # object, and each thread needs a connection of its own. Planning on several
    # connections commits as it goes, which a dry run must not.
    threads = 1 if passed_mailer else sending_threads()
    try:
        result.planned = plan(clock, rules, connections=1 if dry_run else threads)
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
    try:
        send_due(clock, rules, mailer, result, threads=threads)
        # Sub-tasks handed down inside a unit (tracker/subtasks/reminders.py).
        result.sent += remind_subtasks(clock, rules, mailer)
        # E-mail claims turn synchronous_commit off in their first statement (_lock_statement);
        # the webhooks' transactions through the session hook.
        db.session.info[ASYNC_COMMIT] = True
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
