"""How many reminders are in each delivery status, for the admin's settings page.

The statuses still to act on (pending, sending, failed, skipped) are counted exactly through
the status indexes, which hold only those rows. The history (sent, in the application only)
is most of the table and in no index: counting it read the whole table, 0.75 s on
PostgreSQL at a million tasks (2.2 million reminders). Past EXACT_UP_TO rows PostgreSQL's
statistics give it instead, shown as an estimate; SQLite, one office's database, counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from tracker.extensions import db
from tracker.reminders.models import LOOKED_UP_STATUSES, Delivery

# Rows up to which the history is counted exactly on PostgreSQL.
EXACT_UP_TO = 200_000


@dataclass
class StatusCounts:
    """Reminders per delivery status; `estimated`: the statuses given from statistics."""

    counts: dict[str, int] = field(default_factory=dict)
    estimated: set[str] = field(default_factory=set)


def status_counts() -> StatusCounts:
    """Reminders per status (statuses without any are left out)."""
    D = Delivery.__table__
    result = StatusCounts()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # One statement; its condition is the status indexes' own, so it reads them alone.
        looked_up = sa.select(D.c.status, sa.func.count()).where(D.c.status.in_(LOOKED_UP_STATUSES))
        rows = db.session.execute(looked_up.group_by(D.c.status)).all()
        result.counts.update((status, int(count)) for status, count in rows)
    else:
        # SQLite reads a partial index for "status = ?", not for an IN list.
        for status in LOOKED_UP_STATUSES:
            count = db.session.scalar(sa.select(sa.func.count()).where(D.c.status == status))
            if count:
                result.counts[status] = int(count)
    estimate = _history_estimate() if postgres else None
    if estimate is not None:
        result.counts.update(estimate)
        result.estimated = set(estimate)
    else:
        history = sa.select(D.c.status, sa.func.count()).where(
            D.c.status.not_in(LOOKED_UP_STATUSES)
        )
        rows = db.session.execute(history.group_by(D.c.status)).all()
        result.counts.update((status, int(count)) for status, count in rows)
    return result


def _history_estimate() -> dict[str, int] | None:
    """PostgreSQL: the history's statuses from the table's statistics (rows × each status's
    share in the sample ANALYZE took), or None when the table is small enough to count or
    has no statistics yet."""
    rows = db.session.scalar(
        sa.text(
            "SELECT reltuples FROM pg_class WHERE oid = CAST('reminder_deliveries' AS regclass)"
        )
    )
    if rows is None or rows <= EXACT_UP_TO:
        return None
    stats = db.session.execute(
        sa.text(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'reminder_deliveries' "
            "AND attname = 'status'"
        )
    ).first()
    if stats is None or stats[0] is None:
        return None
    return {
        status: round(share * rows)
        for status, share in zip(stats[0], stats[1], strict=True)
        if status not in LOOKED_UP_STATUSES
    }
