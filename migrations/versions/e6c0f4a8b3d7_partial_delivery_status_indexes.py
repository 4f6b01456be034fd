"""reminders: on PostgreSQL the delivery status indexes hold only the rows still looked up
by status (pending, sending, failed, skipped), not the sent history

Revision ID: e6c0f4a8b3d7
Revises: d5b9e3f7a2c6
Create Date: 2026-11-29 10:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e6c0f4a8b3d7"
down_revision = "d5b9e3f7a2c6"
branch_labels = None
depends_on = None

# Written out rather than imported: a migration keeps the values it was written with.
LOOKED_UP = "status IN ('pending', 'sending', 'failed', 'skipped')"
INDEXES = {
    "ix_reminder_deliveries_status_send_after": ["status", "send_after_dt"],
    "ix_reminder_deliveries_recipient_status": ["recipient_id", "status", "send_after_dt"],
}


def _recreate(where: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps full indexes (see tracker.reminders.models)
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="reminder_deliveries")
        op.create_index(
            name,
            "reminder_deliveries",
            columns,
            unique=False,
            postgresql_where=sa.text(where) if where else None,
        )


def upgrade():
    _recreate(LOOKED_UP)


def downgrade():
    _recreate(None)
