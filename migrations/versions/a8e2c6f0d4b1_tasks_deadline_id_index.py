"""tasks: index in the lists' order, (deadline, id), for dense searches (PostgreSQL only)

Revision ID: a8e2c6f0d4b1
Revises: f7d1a5b9c3e8
Create Date: 2026-11-29 17:30:00

"""

from alembic import op

revision = "a8e2c6f0d4b1"
down_revision = "f7d1a5b9c3e8"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.create_index("ix_tasks_deadline_id", "tasks", ["deadline", "id"])


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.drop_index("ix_tasks_deadline_id", table_name="tasks")
