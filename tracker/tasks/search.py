"""Reading a page of a search with many matches without collecting them all.

PostgreSQL finds the tasks matching `content_folded LIKE '%word%'` through the trigram index,
but estimates each word's condition independently (a phrase whose words always come together
is taken for rare), so for a common phrase it collects every match and sorts them by
deadline to keep the first 50: at a million tasks "giai phong mat bang" matches 62,000 tasks
spread over most of the table's pages, 250 ms of a 300 ms page. SQLite has no index for the
words at all: it reads all million tasks and sorts the matches, 230 ms.

When the page's capped count says the matches are dense, the page is read among the first
tasks in list order only: the list-order key of the N-th task comes from an index in that
order (ix_tasks_deadline_id), and the page is read among the tasks up to that key, found
through that index, the words tested on each (`substrings`: the same test as the LIKE, which
PostgreSQL would otherwise answer from the trigram index again and filter 62,000 rows by the
range): at a million tasks, 10,000 tasks read, 16–72 ms on PostgreSQL, 17–25 ms on SQLite.
The first matches among a prefix of the order are the first matches overall, so a full page
read this way is the page; a page that comes out short (the matches lie later in the order
than their density promised) is read again without the bound.
"""

from __future__ import annotations

import math
import time
from typing import Any

import sqlalchemy as sa

from tracker.extensions import db
from tracker.tasks.models import Task

# Read a bounded prefix only when the matches are at least this many (fewer are cheap to
# collect) and the prefix it would take is at most this many tasks.
DENSE_MATCHES = 1_000
MAX_PREFIX = 100_000
# The prefix holds twice the tasks the page needs at the matches' average density.
MARGIN = 2
# How long the table's size (an estimate) is kept per process and database, in seconds.
SIZE_SECONDS = 300.0

_sizes: dict[str, tuple[float, float]] = {}  # database URL: (tasks, when read)


def _table_size(dialect: str) -> float:
    """About how many tasks there are, kept a few minutes as it only sizes the prefix:
    PostgreSQL's own estimate (0 before the table is analyzed); on SQLite the highest id,
    read from the end of the table's B-tree (deleted tasks only make the prefix longer)."""
    now = time.monotonic()
    database = db.engine.url.render_as_string(hide_password=True)
    tasks, at = _sizes.get(database, (0.0, -math.inf))
    if now - at > SIZE_SECONDS:
        if dialect == "postgresql":
            estimate = db.session.scalar(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST('tasks' AS regclass)")
            )
        else:
            estimate = db.session.scalar(sa.select(sa.func.max(Task.id)))
        tasks = max(float(estimate or 0), 0.0)
        _sizes[database] = (tasks, now)
    return tasks


def forget_table_size() -> None:
    """Read the table's size again at the next search (tests)."""
    _sizes.clear()


def prefix_bound(matches: int, rows_needed: int) -> sa.ColumnElement[bool] | None:
    """A condition keeping the tasks up to the list-order key of the prefix where
    `rows_needed` of `matches` are expected (with a margin), or None when the plain query is
    the better one: few matches, or a prefix nearly as long as the list."""
    if matches < DENSE_MATCHES:
        return None
    dialect = db.session.get_bind().dialect.name
    tasks = _table_size(dialect)
    prefix = math.ceil(MARGIN * rows_needed * tasks / matches)
    if tasks <= 0 or prefix > min(MAX_PREFIX, tasks / 2):
        return None
    if dialect == "postgresql":
        # The lists' order, (deadline IS NULL, deadline, id), is (deadline NULLS LAST, id)
        # on PostgreSQL: ix_tasks_deadline_id answers it from the index alone.
        key_query = sa.select(Task.deadline, Task.id).order_by(
            Task.deadline.asc().nulls_last(), Task.id
        )
    else:
        # SQLite's index holds the NULLs first, so the dated tasks, which come first in the
        # lists, in its order; a prefix longer than them finds no key here (plain query).
        key_query = (
            sa.select(Task.deadline, Task.id)
            .where(Task.deadline.is_not(None))
            .order_by(Task.deadline, Task.id)
        )
    key = db.session.execute(key_query.offset(prefix - 1).limit(1)).first()
    if key is None:
        return None
    deadline, task_id = key
    if deadline is None:
        return sa.or_(Task.deadline.is_not(None), Task.id <= task_id)
    # "deadline <= key" first: the range the database finds through the index.
    return sa.and_(Task.deadline <= deadline, sa.or_(Task.deadline < deadline, Task.id <= task_id))


def substrings(words: list[str]) -> list[sa.ColumnElement[bool]]:
    """Each word in the task's folded content, as a test no index answers (`strpos`, on
    SQLite `instr`), so the planner reads the bounded prefix through its range."""
    find: Any = (
        sa.func.strpos if db.session.get_bind().dialect.name == "postgresql" else sa.func.instr
    )
    return [find(Task.content_folded, word) > 0 for word in words]
