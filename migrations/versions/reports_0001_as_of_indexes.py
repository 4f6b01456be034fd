"""reports: partial indexes for reports that count tasks as they stood on a past day

Revision ID: reports_0001
Revises: 5ec0a1b2c3d4
Create Date: 2026-12-04 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0001"
down_revision = "5ec0a1b2c3d4"
branch_labels = None
depends_on = None

# Written out rather than imported: a migration keeps the values it was written with.
DONE_LATE = "completed_on > deadline"
DEADLINE_FIELD = "field = 'deadline'"


def upgrade():
    op.create_index(
        "ix_tasks_done_late",
        "tasks",
        ["deadline", "completed_on"],
        postgresql_where=sa.text(DONE_LATE),
        sqlite_where=sa.text(DONE_LATE),
    )
    op.create_index(
        "ix_task_events_deadline_changes",
        "task_events",
        ["created_dt"],
        postgresql_where=sa.text(DEADLINE_FIELD),
        sqlite_where=sa.text(DEADLINE_FIELD),
    )


def downgrade():
    op.drop_index("ix_task_events_deadline_changes", table_name="task_events")
    op.drop_index("ix_tasks_done_late", table_name="tasks")
