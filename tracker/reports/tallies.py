"""Report tallies: the dashboard's counts kept per lead unit and deadline day by the database.

The per-unit and per-month tables of the dashboard classify every task of the period; at a
million tasks a year holds about 240,000 of them, and counting them twice per page was most of
its time. What a task contributes to the four official classes depends on the report date only
through its deadline (already due or not, past or not), so counts per (deadline, lead unit)
are enough: `task_tallies` keeps, per deadline day and lead unit, the counted tasks (paused and
cancelled left out) that are open, done on time, done late, and extended. A report sums at
most one row per unit and day of its period, whatever the number of tasks.

Triggers on `tasks` keep the table exact in the same transaction as every change, whatever
writes it (the ORM, bulk inserts, imports, cascades, plain SQL): on SQLite one trigger per
case; on PostgreSQL statement-level triggers over the transition tables for inserts and
deletes (a bulk insert adds one row per key, not one per task) and a row-level trigger for
the updates that change what a task counts as. `rebuild()` recomputes the table from the
tasks (`tracker reports rebuild-tallies`), and the migration that created it filled it so.

Only reports counted against the current deadline, seen by a user who sees every unit's
tasks, without a meeting filter, read the tallies (`reads_tallies()`); the others count the
tasks, which are few for one meeting or one unit's own view.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

TABLE = "task_tallies"
COLUMNS = ("open_count", "done_on_time", "done_late", "extended")
UNCOUNTED = "('paused', 'cancelled')"  # Status.PAUSED, Status.CANCELLED, as in reports


def _counts(row: str) -> dict[str, str]:
    """What one task (`row` is NEW, OLD or a table alias) adds to each column, 0 or 1."""
    return {
        "open_count": f"CASE WHEN {row}.status <> 'done' THEN 1 ELSE 0 END",
        "done_on_time": (
            f"CASE WHEN {row}.status = 'done' AND ({row}.completed_on IS NULL"
            f" OR {row}.completed_on <= {row}.deadline) THEN 1 ELSE 0 END"
        ),
        "done_late": (
            f"CASE WHEN {row}.status = 'done' AND {row}.completed_on > {row}.deadline"
            " THEN 1 ELSE 0 END"
        ),
        "extended": f"CASE WHEN {row}.extension_count > 0 THEN 1 ELSE 0 END",
    }


def _counted(row: str) -> str:
    return f"{row}.deadline IS NOT NULL AND {row}.status NOT IN {UNCOUNTED}"


def _sqlite_row_statements(row: str, sign: str) -> str:
    counts = _counts(row)
    sets = ", ".join(f"{c} = {c} {sign} ({counts[c]})" for c in COLUMNS)
    create = (
        f"INSERT OR IGNORE INTO {TABLE} (deadline, lead_unit_id, {', '.join(COLUMNS)}) "
        f"VALUES ({row}.deadline, {row}.lead_unit_id, 0, 0, 0, 0);"
        if sign == "+"
        else ""
    )
    return (
        f"{create} UPDATE {TABLE} SET {sets} "
        f"WHERE deadline = {row}.deadline AND lead_unit_id = {row}.lead_unit_id;"
    )


# What a task's count depends on: an update touching none of these changes no tally.
WATCHED = ("lead_unit_id", "deadline", "status", "completed_on", "extension_count")


def sqlite_statements() -> list[str]:
    """The SQLite triggers (an update is the old row taken out and the new one put in)."""
    watched = ", ".join(WATCHED)
    return [
        f"CREATE TRIGGER IF NOT EXISTS tasks_tally_insert AFTER INSERT ON tasks "
        f"WHEN {_counted('NEW')} BEGIN {_sqlite_row_statements('NEW', '+')} END",
        f"CREATE TRIGGER IF NOT EXISTS tasks_tally_delete AFTER DELETE ON tasks "
        f"WHEN {_counted('OLD')} BEGIN {_sqlite_row_statements('OLD', '-')} END",
        f"CREATE TRIGGER IF NOT EXISTS tasks_tally_update_old AFTER UPDATE OF {watched} ON tasks "
        f"WHEN {_counted('OLD')} BEGIN {_sqlite_row_statements('OLD', '-')} END",
        f"CREATE TRIGGER IF NOT EXISTS tasks_tally_update_new AFTER UPDATE OF {watched} ON tasks "
        f"WHEN {_counted('NEW')} BEGIN {_sqlite_row_statements('NEW', '+')} END",
    ]


def _grouped(source: str) -> str:
    """Per (deadline, lead unit) sums of the counted rows of `source` (aliased r)."""
    counts = _counts("r")
    sums = ", ".join(f"SUM({counts[c]}) AS {c}" for c in COLUMNS)
    return (
        f"SELECT r.deadline, r.lead_unit_id, {sums} FROM {source} AS r "
        f"WHERE {_counted('r')} GROUP BY r.deadline, r.lead_unit_id"
    )


def _upsert(select: str) -> str:
    added = ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in COLUMNS)
    # In key order, so two transactions adding to the same keys lock them in the same order.
    return (
        f"INSERT INTO {TABLE} AS t (deadline, lead_unit_id, {', '.join(COLUMNS)}) "
        f"{select} ORDER BY 1, 2 ON CONFLICT (deadline, lead_unit_id) DO UPDATE SET {added}"
    )


def postgresql_statements() -> list[str]:
    """The PostgreSQL functions and triggers."""
    subtract = ", ".join(f"{c} = t.{c} - d.{c}" for c in COLUMNS)
    old_counts, new_counts = _counts("OLD"), _counts("NEW")
    take_old = ", ".join(f"{c} = {c} - ({old_counts[c]})" for c in COLUMNS)
    new_values = ", ".join(f"({new_counts[c]})" for c in COLUMNS)
    changed = " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED if c != "extension_count"
    )
    changed += " OR (OLD.extension_count > 0) IS DISTINCT FROM (NEW.extension_count > 0)"
    return [
        f"""CREATE OR REPLACE FUNCTION tracker_tally_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_upsert(_grouped("new_rows"))};
    RETURN NULL;
END $$""",
        f"""CREATE OR REPLACE FUNCTION tracker_tally_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {TABLE} AS t SET {subtract}
    FROM ({_grouped("old_rows")} ORDER BY 1, 2) AS d
    WHERE t.deadline = d.deadline AND t.lead_unit_id = d.lead_unit_id;
    RETURN NULL;
END $$""",
        f"""CREATE OR REPLACE FUNCTION tracker_tally_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_counted("OLD")} THEN
        UPDATE {TABLE} SET {take_old}
        WHERE deadline = OLD.deadline AND lead_unit_id = OLD.lead_unit_id;
    END IF;
    IF {_counted("NEW")} THEN
        {_upsert(f"SELECT NEW.deadline, NEW.lead_unit_id, {new_values}")};
    END IF;
    RETURN NULL;
END $$""",
        "DROP TRIGGER IF EXISTS tasks_tally_insert ON tasks",
        "CREATE TRIGGER tasks_tally_insert AFTER INSERT ON tasks "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION tracker_tally_insert()",
        "DROP TRIGGER IF EXISTS tasks_tally_delete ON tasks",
        "CREATE TRIGGER tasks_tally_delete AFTER DELETE ON tasks "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION tracker_tally_delete()",
        "DROP TRIGGER IF EXISTS tasks_tally_update ON tasks",
        f"CREATE TRIGGER tasks_tally_update AFTER UPDATE OF {', '.join(WATCHED)} ON tasks "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION tracker_tally_update()",
    ]


def drop_statements(dialect: str) -> list[str]:
    """Undo install()."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS tasks_tally_insert ON tasks",
            "DROP TRIGGER IF EXISTS tasks_tally_delete ON tasks",
            "DROP TRIGGER IF EXISTS tasks_tally_update ON tasks",
            "DROP FUNCTION IF EXISTS tracker_tally_insert()",
            "DROP FUNCTION IF EXISTS tracker_tally_delete()",
            "DROP FUNCTION IF EXISTS tracker_tally_update()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "tasks_tally_insert",
            "tasks_tally_delete",
            "tasks_tally_update_old",
            "tasks_tally_update_new",
        )
    ]


def install(connection: sa.Connection) -> None:
    """Create the triggers that keep the tallies (idempotent)."""
    dialect = connection.dialect.name
    statements = postgresql_statements() if dialect == "postgresql" else sqlite_statements()
    for statement in statements:
        connection.exec_driver_sql(statement)


def rebuild(connection: sa.Connection) -> int:
    """Recompute every tally from the tasks; returns the number of rows."""
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    result = connection.exec_driver_sql(
        f"INSERT INTO {TABLE} (deadline, lead_unit_id, {', '.join(COLUMNS)}) {_grouped('tasks')}"
    )
    return int(result.rowcount or 0)


def differences(connection: sa.Connection) -> list[tuple[Any, ...]]:
    """Keys whose tally differs from a count of the tasks: (deadline, unit, kept, counted)."""
    columns = ", ".join(COLUMNS)
    kept = {
        (row[0], row[1]): tuple(row[2:])
        for row in connection.exec_driver_sql(
            f"SELECT deadline, lead_unit_id, {columns} FROM {TABLE}"
        )
    }
    counted = {
        (row[0], row[1]): tuple(row[2:]) for row in connection.exec_driver_sql(_grouped("tasks"))
    }
    zero = (0,) * len(COLUMNS)
    return [
        (*key, kept.get(key, zero), counted.get(key, zero))
        for key in sorted(kept.keys() | counted.keys(), key=str)
        if kept.get(key, zero) != counted.get(key, zero)
    ]


def install_after_create(target: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
    """`create_all()` hook: the triggers once both tables exist."""
    names = set(sa.inspect(connection).get_table_names())
    if {"tasks", TABLE} <= names:
        install(connection)
