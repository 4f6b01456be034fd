"""reminders: on SQLite too the delivery status indexes hold only the rows still looked up
by status, not the sent history (PostgreSQL since e6c0f4a8b3d7)

Revision ID: d8f2b6c0e4a7
Revises: c2e6a0f4b8d3
Create Date: 2026-11-29 20:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8f2b6c0e4a7"
down_revision = "c2e6a0f4b8d3"
branch_labels = None
depends_on = None

# Written out rather than imported: a migration keeps the values it was written with. OR-ed
# terms rather than an IN list: SQLite uses a partial index only for a query with one of them.
INDEXES = {
    "ix_reminder_deliveries_status_send_after": (
        ["status", "send_after_dt"],
        "status = 'sending' OR status = 'failed' OR status = 'skipped'",
    ),
    "ix_reminder_deliveries_recipient_status": (
        ["recipient_id", "status", "send_after_dt"],
        "status = 'pending' OR status = 'sending' OR status = 'failed' OR status = 'skipped'",
    ),
}


def _recreate(partial: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, (columns, where) in INDEXES.items():
        op.drop_index(name, table_name="reminder_deliveries")
        op.create_index(
            name,
            "reminder_deliveries",
            columns,
            unique=False,
            sqlite_where=sa.text(where) if partial else None,
        )


def upgrade():
    _recreate(partial=True)


def downgrade():
    _recreate(partial=False)
