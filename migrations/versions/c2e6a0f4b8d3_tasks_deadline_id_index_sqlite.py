"""tasks: the list-order index (deadline, id) on SQLite too, for dense searches

Revision ID: c2e6a0f4b8d3
Revises: b9f3d7a1e5c2
Create Date: 2026-11-29 19:45:00

"""

from alembic import op

revision = "c2e6a0f4b8d3"
down_revision = "b9f3d7a1e5c2"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL has had it since a8e2c6f0d4b1.
    if op.get_context().dialect.name != "sqlite":
        return
    op.create_index("ix_tasks_deadline_id", "tasks", ["deadline", "id"], if_not_exists=True)


def downgrade():
    if op.get_context().dialect.name != "sqlite":
        return
    op.drop_index("ix_tasks_deadline_id", table_name="tasks")
