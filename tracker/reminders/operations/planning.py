"""Planning: who must hear about which task, decided by INSERT ... SELECT in the database.

Every statement inserts into the delivery table with ON CONFLICT DO NOTHING on the key
(recipient, task, kind, day), so a plan can run any number of times, from several processes
at once, and still leaves one row per reminder. Tasks are never loaded into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import FromClause

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reminders.models import (
    Audience,
    Delivery,
    DeliveryStatus,
    EventMode,
    NotificationPreference,
    ReminderKind,
    ReminderState,
    TaskMute,
    UnitWebhook,
    WebhookDelivery,
)
from tracker.reminders.operations.rules import Clock, Rules
from tracker.tasks.models import (
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    Status,
    Task,
    TaskEvent,
    task_coordinating_units,
)

STATE_ID = 1
# Events older than this are history, not news: a first run or a long outage does not mail
# people about tasks assigned weeks ago.
EVENT_WINDOW = timedelta(days=3)
# The lead unit is chased while it works; once it has submitted, the chair is.
WORKING_STATUSES = (Status.NEW.value, Status.IN_PROGRESS.value, Status.RETURNED.value)

T = Task.__table__.alias("t")
U = User.__table__.alias("u")
R = User.__table__.alias("r")
M = Meeting.__table__.alias("m")
TC = task_coordinating_units.alias("tc")
D = Delivery.__table__
D2 = Delivery.__table__.alias("d2")
P = NotificationPreference.__table__.alias("p")
MUTE = TaskMute.__table__.alias("mute")
ER = ExtensionRequest.__table__.alias("er")
E = TaskEvent.__table__.alias("e")

COLUMNS = [
    "recipient_id",
    "task_id",
    "kind",
    "day",
    "audience",
    "deadline",
    "is_digest",
    "send_after_dt",
    "status",
    "attempts",
    "created_dt",
]


def _insert_statement(table: sa.Table, columns: list[str], query: sa.Select) -> sa.Executable:  # type: ignore[type-arg]
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING in the dialect at hand."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project supports these two
        raise RuntimeError(f"unsupported database: {dialect}")
    return insert(table).from_select(columns, query).on_conflict_do_nothing()


# SQLAlchemy keeps an INSERT's row count only when asked to.
COUNTED = {"preserve_rowcount": True}


def _inserted(result: Any) -> int:
    return max(result.rowcount or 0, 0)


def _insert_ignoring_duplicates(table: sa.Table, columns: list[str], query: sa.Select) -> int:  # type: ignore[type-arg]
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING in the current session; rows inserted."""
    statement = _insert_statement(table, columns, query)
    return _inserted(db.session.execute(statement, execution_options=COUNTED))


def _recipients(audience: Audience, base: FromClause) -> list[tuple[FromClause, list]]:  # type: ignore[type-arg]
    """Ways to join the people of `audience` to the tasks in `base` (which contains `t`),
    each with its conditions."""
    if audience == Audience.LEAD:
        # The named responsible person (người phụ trách), else every member of the lead unit.
        # "No responsible person" spelled out before the EXISTS: as a bare NOT EXISTS,
        # PostgreSQL estimated the anti-join at one row and joined the unit members by a
        # nested loop over every overdue task (1.2 s of a 100,000-task morning's planning).
        responsible_active = sa.and_(
            T.c.responsible_id.is_not(None),
            sa.exists().where(R.c.id == T.c.responsible_id, R.c.is_active.is_(True)).correlate(T),
        )
        return [
            (base.join(U, U.c.id == T.c.responsible_id), [U.c.is_active.is_(True)]),
            (
                base.join(U, U.c.unit_id == T.c.lead_unit_id),
                [U.c.is_active.is_(True), ~responsible_active],
            ),
        ]
    if audience == Audience.COORDINATING:
        muted = sa.exists().where(MUTE.c.user_id == U.c.id, MUTE.c.task_id == T.c.id)
        return [
            (
                base.join(TC, TC.c.task_id == T.c.id).join(U, U.c.unit_id == TC.c.unit_id),
                [U.c.is_active.is_(True), U.c.unit_id != T.c.lead_unit_id, ~muted],
            )
        ]
    # The chair who held the meeting, and the office (văn phòng).
    return [
        (
            base.join(M, M.c.id == T.c.meeting_id).join(U, U.c.id == M.c.chair_id),
            [U.c.is_active.is_(True)],
        ),
        (
            base.join(U, U.c.role == Role.OFFICE.value),
            [U.c.is_active.is_(True)],
        ),
    ]


def _already(kind: ReminderKind, *conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """A reminder of `kind` to this person about this task matching `conditions` exists."""
    # Correlated explicitly: inside another EXISTS, automatic correlation would stop one
    # level up and silently turn this into "any such reminder exists at all".
    return (
        sa.exists()
        .where(
            D2.c.recipient_id == U.c.id,
            D2.c.task_id == T.c.id,
            D2.c.kind == kind.value,
            D2.c.status != DeliveryStatus.SKIPPED.value,
            *conditions,
        )
        .correlate_except(D2)
    )


@dataclass(frozen=True)
class Job:
    """Statements planning one kind of reminder (or one share of the tasks for it), to run
    in this order: the audiences' statements of a kind may meet on the same row (the
    responsible person also in a coordinating unit), and the first one's audience wins."""

    kind: ReminderKind
    statements: list[sa.Executable]


def _scheduled_job(
    kind: ReminderKind,
    audiences: Sequence[Audience],
    conditions: list[sa.ColumnElement[bool]],
    clock: Clock,
    send_after: datetime,
) -> Job:
    """The statements inserting today's reminders of `kind` for the tasks matching
    `conditions`."""
    statements = []
    for audience in audiences:
        for source, people in _recipients(audience, T):
            query = (
                sa.select(
                    U.c.id,
                    T.c.id,
                    sa.literal(kind.value),
                    sa.literal(clock.today, sa.Date()),
                    sa.literal(audience.value),
                    T.c.deadline,
                    sa.literal(True),
                    sa.literal(send_after, Delivery.send_after_dt.type),
                    sa.literal(DeliveryStatus.PENDING.value),
                    sa.literal(0),
                    sa.literal(clock.now, Delivery.created_dt.type),
                )
                .select_from(source)
                .where(*people, *conditions)
            )
            statements.append(_insert_statement(D, COLUMNS, query))
    return Job(kind, statements)


def plan_scheduled(clock: Clock, rules: Rules, *, connections: int = 1) -> int:
    """Plan today's rule-based reminders (a working day, at or after the digest time).

    With `connections` > 1 on PostgreSQL the statements run that many at a time, each on a
    connection of its own and committed there (only a pass asks for it: it commits anyway,
    and its transaction holds nothing they wait for, having inserted only event
    notifications); the overdue reminders, most of a morning's rows, in two shares of the
    tasks. Planning inserts tens of thousands of rows through six indexes and two foreign
    keys, one core's work while the other waited: a busy morning at 100,000 tasks planned in
    0.8–0.95 s instead of 1.05 s (the two halves of the overdue statement contend for the
    same indexes and WAL). Any statement may run again (a pass that fails after some of
    them committed plans again next time): each inserts only what is not there yet."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    jobs = _scheduled_jobs(clock, rules, split=postgres and connections > 1)
    if postgres and connections > 1:
        return _run_at_once(jobs, connections)
    return sum(_run(db.session, job) for job in jobs)


def _run(executor: Any, job: Job) -> int:
    """Run `job`'s statements through `executor` (a session or a connection); rows inserted."""
    return sum(
        _inserted(executor.execute(statement, execution_options=COUNTED))
        for statement in job.statements
    )


def _run_at_once(jobs: list[Job], connections: int) -> int:
    """Run `jobs` on `connections` connections at once, the overdue ones first (the
    longest); rows inserted."""
    engine = db.engine

    def run(job: Job) -> int:
        with engine.begin() as connection:
            return _run(connection, job)

    ordered = sorted(jobs, key=lambda job: job.kind != ReminderKind.OVERDUE)
    with ThreadPoolExecutor(connections, thread_name_prefix="planning") as pool:
        return sum(pool.map(run, ordered))


def _overdue_shares(clock: Clock) -> list[sa.ColumnElement[bool]]:
    """Two halves of the tasks open past their deadline, split at their median id (an id
    range the planner estimates from its statistics, unlike `id % 2`)."""
    median = db.session.scalar(
        sa.select(sa.func.percentile_disc(0.5).within_group(T.c.id)).where(
            T.c.status.in_(WORKING_STATUSES), T.c.deadline < clock.today
        )
    )
    if median is None:
        return [sa.true()]
    return [T.c.id <= median, T.c.id > median]


def _scheduled_jobs(clock: Clock, rules: Rules, *, split: bool) -> list[Job]:
    """Today's rule-based planning, as jobs; `split`: the overdue reminders in two."""
    today, calendar = clock.today, clock.calendar
    send_after = clock.slot(today)
    working = T.c.status.in_(WORKING_STATUSES)
    same_deadline = D2.c.deadline == T.c.deadline
    jobs: list[Job] = []

    # Due soon: the deadline falls within the next N working days and no reminder was sent
    # for this deadline yet (so a pass that missed the exact day still warns, with the right
    # number of days left, and an extended deadline is warned about again).
    horizon = calendar.add_working_days(today, rules.days_before)
    jobs.append(
        _scheduled_job(
            ReminderKind.DUE_SOON,
            (Audience.LEAD, Audience.COORDINATING),
            [
                working,
                T.c.deadline > today,
                T.c.deadline <= horizon,
                ~_already(ReminderKind.DUE_SOON, same_deadline),
            ],
            clock,
            send_after,
        )
    )
    if rules.on_deadline_day:
        job = _scheduled_job(
            ReminderKind.DUE_TODAY,
            (Audience.LEAD, Audience.COORDINATING),
            [working, T.c.deadline == today],
            clock,
            send_after,
        )
        jobs.append(job)
    # Overdue: the first working day after the deadline, then every N working days; after
    # an outage the next pass sends one, since none was sent in the last N working days.
    overdue_cutoff = calendar.add_working_days(today, -rules.overdue_every)
    for share in _overdue_shares(clock) if split else [sa.true()]:
        job = _scheduled_job(
            ReminderKind.OVERDUE,
            (Audience.LEAD,),
            [
                working,
                T.c.deadline < today,
                share,
                ~_already(ReminderKind.OVERDUE, same_deadline, D2.c.day > overdue_cutoff),
            ],
            clock,
            send_after,
        )
        jobs.append(job)
    # Escalation: overdue by N working days, once per deadline, to the chair and the office.
    escalation_deadline = calendar.add_working_days(today, -rules.escalate_after)
    job = _scheduled_job(
        ReminderKind.ESCALATION,
        (Audience.MANAGER,),
        [
            working,
            T.c.deadline <= escalation_deadline,
            ~_already(ReminderKind.ESCALATION, same_deadline),
        ],
        clock,
        send_after,
    )
    jobs.append(job)
    # Results waiting for confirmation for N working days: the chair and the office, again
    # every N working days while they wait.
    waiting_since = clock.local_midnight(
        calendar.add_working_days(today, -rules.confirmation_after) + timedelta(days=1)
    )
    job = _scheduled_job(
        ReminderKind.AWAITING_CONFIRMATION,
        (Audience.MANAGER,),
        [
            T.c.status == Status.SUBMITTED.value,
            T.c.submitted_dt < sa.literal(waiting_since, Task.submitted_dt.type),
            ~_already(
                ReminderKind.AWAITING_CONFIRMATION,
                D2.c.created_dt >= T.c.submitted_dt,
                D2.c.day > calendar.add_working_days(today, -rules.confirmation_after),
            ),
        ],
        clock,
        send_after,
    )
    jobs.append(job)
    if rules.extension_reminders:
        # Requests made before today: the next working morning, once per request.
        midnight = sa.literal(clock.local_midnight(today), ExtensionRequest.requested_dt.type)
        waiting = sa.exists().where(
            ER.c.task_id == T.c.id,
            ER.c.status == ExtensionStatus.PENDING.value,
            ER.c.requested_dt < midnight,
            ~_already(ReminderKind.EXTENSION_PENDING, D2.c.created_dt >= ER.c.requested_dt),
        )
        job = _scheduled_job(
            ReminderKind.EXTENSION_PENDING, (Audience.MANAGER,), [waiting], clock, send_after
        )
        jobs.append(job)
    return jobs


# Which history entries are news for whom.
EVENT_RULES: tuple[tuple[ReminderKind, tuple[Audience, ...], sa.ColumnElement[bool]], ...] = (
    (
        ReminderKind.ASSIGNED,
        (Audience.LEAD, Audience.COORDINATING),
        E.c.kind == EventKind.CREATED.value,
    ),
    (
        ReminderKind.RETURNED,
        (Audience.LEAD,),
        sa.and_(E.c.kind == EventKind.STATUS.value, E.c.new_value == Status.RETURNED.value),
    ),
    (
        ReminderKind.EXTENSION_DECIDED,
        (Audience.LEAD,),
        E.c.kind == EventKind.EXTENSION_DECIDED.value,
    ),
    (
        ReminderKind.CONFIRMED,
        (Audience.LEAD,),
        sa.and_(E.c.kind == EventKind.STATUS.value, E.c.new_value == Status.DONE.value),
    ),
    # What waits for the chair and the office (issue 18 §2): told when it happens, not only
    # by the next morning's "awaiting confirmation" rule.
    (
        ReminderKind.RESULT_SUBMITTED,
        (Audience.MANAGER,),
        sa.and_(E.c.kind == EventKind.PROGRESS.value, E.c.new_value == Status.SUBMITTED.value),
    ),
    (
        ReminderKind.EXTENSION_REQUESTED,
        (Audience.MANAGER,),
        E.c.kind == EventKind.EXTENSION_REQUESTED.value,
    ),
)


def plan_events(
    clock: Clock, last_event_id: int, up_to_id: int, *, task_id: int | None = None
) -> int:
    """Turn task history entries (last_event_id, up_to_id] (of `task_id` only, when given)
    into event notifications: sent at once, or kept for the next digest when the person
    prefers."""
    wants_digest = P.c.event_mode == EventMode.DIGEST.value
    since = sa.literal(clock.now - EVENT_WINDOW, TaskEvent.created_dt.type)
    planned = 0
    for kind, audiences, condition in EVENT_RULES:
        base = E.join(T, T.c.id == E.c.task_id)
        for audience in audiences:
            for source, people in _recipients(audience, base):
                query = (
                    sa.select(
                        U.c.id,
                        T.c.id,
                        sa.literal(kind.value),
                        sa.literal(clock.today, sa.Date()),
                        sa.literal(audience.value),
                        T.c.deadline,
                        sa.case((wants_digest, sa.true()), else_=sa.false()),
                        sa.case(
                            (
                                wants_digest,
                                sa.literal(clock.next_slot(), Delivery.send_after_dt.type),
                            ),
                            else_=sa.literal(clock.now, Delivery.send_after_dt.type),
                        ),
                        sa.literal(DeliveryStatus.PENDING.value),
                        sa.literal(0),
                        sa.literal(clock.now, Delivery.created_dt.type),
                    )
                    .select_from(source.outerjoin(P, P.c.user_id == U.c.id))
                    .where(
                        *people,
                        condition,
                        E.c.id > last_event_id,
                        E.c.id <= up_to_id,
                        E.c.created_dt >= since,
                        # Nobody is told about what they did themselves.
                        U.c.id != sa.func.coalesce(E.c.actor_id, 0),
                        # Planned already by the request that made the entry
                        # (plan_task_events_now), maybe on the day before this pass.
                        ~_already(kind, D2.c.created_dt >= E.c.created_dt),
                        *([E.c.task_id == task_id] if task_id is not None else []),
                    )
                )
                planned += _insert_ignoring_duplicates(D, COLUMNS, query)
    return planned


def plan_task_events_now(clock: Clock, task_id: int) -> int:
    """Plan at once the notifications of `task_id`'s history entries the passes have not
    planned yet: the chair sees a submitted result in the application as soon as it is
    submitted, and an immediate e-mail leaves with the next pass. The pass's bookkeeping is
    left alone; it finds these rows planned and adds none."""
    state = reminder_state()
    up_to = db.session.scalar(
        sa.select(sa.func.max(TaskEvent.id)).where(TaskEvent.task_id == task_id)
    )
    if not up_to or up_to <= state.last_event_id:
        return 0
    return plan_events(clock, state.last_event_id, up_to, task_id=task_id)


def plan_webhooks(after_delivery_id: int) -> int:
    """One webhook POST per unit, task, kind and day for the reminders planned after
    `after_delivery_id`, to the units of their recipients that have a webhook."""
    W = UnitWebhook.__table__
    query = (
        sa.select(
            W.c.id,
            D.c.task_id,
            D.c.kind,
            D.c.day,
            sa.func.max(D.c.deadline),
            sa.func.min(D.c.send_after_dt),
            sa.literal(DeliveryStatus.PENDING.value),
            sa.literal(0),
            sa.func.min(D.c.created_dt),
        )
        .select_from(D.join(U, U.c.id == D.c.recipient_id).join(W, W.c.unit_id == U.c.unit_id))
        .where(D.c.id > after_delivery_id, W.c.is_active.is_(True))
        .group_by(W.c.id, D.c.task_id, D.c.kind, D.c.day)
    )
    columns = [
        "webhook_id",
        "task_id",
        "kind",
        "day",
        "deadline",
        "send_after_dt",
        "status",
        "attempts",
        "created_dt",
    ]
    return _insert_ignoring_duplicates(WebhookDelivery.__table__, columns, query)


def reminder_state() -> ReminderState:
    """The bookkeeping row, created on first use."""
    state = db.session.get(ReminderState, STATE_ID)
    if state is None:
        _insert_ignoring_duplicates(
            ReminderState.__table__,
            ["id", "last_event_id"],
            sa.select(sa.literal(STATE_ID), sa.literal(0)).where(sa.true()),
        )
        state = db.session.get(ReminderState, STATE_ID)
    assert state is not None
    return state


def plan(clock: Clock, rules: Rules, *, connections: int = 1) -> int:
    """Plan everything due at `clock.now`: event notifications always; the day's rule-based
    reminders once per working day, from the digest time on (on `connections` connections,
    see `plan_scheduled`). Returns rows planned."""
    state = reminder_state()
    last_delivery = db.session.scalar(sa.select(sa.func.max(D.c.id))) or 0
    up_to = db.session.scalar(sa.select(sa.func.max(TaskEvent.id))) or 0
    planned = 0
    if up_to > state.last_event_id:
        planned += plan_events(clock, state.last_event_id, up_to)
        # Only ever forward: a concurrent pass may already have moved it further.
        db.session.execute(
            sa.update(ReminderState)
            .where(ReminderState.id == STATE_ID, ReminderState.last_event_id < up_to)
            .values(last_event_id=up_to)
        )
    today = clock.today
    if clock.is_digest_day() and clock.now >= clock.slot(today) and state.planned_day != today:
        planned += plan_scheduled(clock, rules, connections=connections)
        db.session.execute(
            sa.update(ReminderState).where(ReminderState.id == STATE_ID).values(planned_day=today)
        )
    plan_webhooks(last_delivery)
    db.session.flush()
    db.session.expire(state)
    return planned
