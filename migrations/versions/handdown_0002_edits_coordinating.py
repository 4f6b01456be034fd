"""handdown: a part's edits in its history; parts a coordinating unit gives its officers

Revision ID: handdown_0002
Revises: handdown_0001
Create Date: 2026-12-04 19:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "handdown_0002"
down_revision = "handdown_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("subtasks", schema=None) as batch_op:
        # Existing parts were all given by the lead unit's head.
        batch_op.add_column(
            sa.Column("is_coordinating", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("subtask_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("old_value", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("new_value", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("subtask_events", schema=None) as batch_op:
        batch_op.drop_column("new_value")
        batch_op.drop_column("old_value")
        batch_op.drop_column("field")
    with op.batch_alter_table("subtasks", schema=None) as batch_op:
        batch_op.drop_column("is_coordinating")
