"""task_coordinating_units: (unit_id, task_id) index instead of (unit_id), so a unit's
coordinated task ids come from the index alone

Revision ID: b9f3d7a1e5c2
Revises: a8e2c6f0d4b1
Create Date: 2026-11-29 17:45:00

"""

from alembic import op

revision = "b9f3d7a1e5c2"
down_revision = "a8e2c6f0d4b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_task_coordinating_units_unit_task", "task_coordinating_units", ["unit_id", "task_id"]
    )
    op.drop_index("ix_task_coordinating_units_unit_id", table_name="task_coordinating_units")


def downgrade():
    op.create_index(
        "ix_task_coordinating_units_unit_id", "task_coordinating_units", ["unit_id"]
    )
    op.drop_index("ix_task_coordinating_units_unit_task", table_name="task_coordinating_units")
