"""reports: covering index on tasks for the dashboard's counts

Revision ID: b7e3f1a9c2d4
Revises: 9d4b7e2a6c13
Create Date: 2026-11-29 05:15:00

"""

from alembic import op

revision = "b7e3f1a9c2d4"
down_revision = "9d4b7e2a6c13"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_tasks_report",
        "tasks",
        ["deadline", "status", "lead_unit_id", "completed_on", "extension_count", "meeting_id"],
    )


def downgrade():
    op.drop_index("ix_tasks_report", table_name="tasks")
