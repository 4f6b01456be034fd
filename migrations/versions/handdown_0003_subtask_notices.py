"""handdown: the notices of a part given or taken away shown in-app (read mark, time)

Revision ID: handdown_0003
Revises: handdown_0002
Create Date: 2026-12-04 20:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import tracker.core.time

# revision identifiers, used by Alembic.
revision = "handdown_0003"
down_revision = "handdown_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("subtask_reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=True))
        # Rows planned before: no time; the notifications page puts them last.
        batch_op.add_column(sa.Column("created_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_subtask_reminders_recipient_read", ["recipient_id", "read_dt"], unique=False
        )


def downgrade():
    with op.batch_alter_table("subtask_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_subtask_reminders_recipient_read")
        batch_op.drop_column("created_dt")
        batch_op.drop_column("read_dt")
