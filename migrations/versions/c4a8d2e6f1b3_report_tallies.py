"""reports: task_tallies, counts per deadline day and lead unit kept by triggers

Revision ID: c4a8d2e6f1b3
Revises: b7e3f1a9c2d4
Create Date: 2026-11-29 07:10:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.reports import tallies

revision = "c4a8d2e6f1b3"
down_revision = "b7e3f1a9c2d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_tallies",
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("done_on_time", sa.Integer(), nullable=False),
        sa.Column("done_late", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("deadline", "lead_unit_id", name=op.f("pk_task_tallies")),
    )
    connection = op.get_bind()
    # The triggers before the counts, in the same transaction: no task changes between.
    tallies.install(connection)
    tallies.rebuild(connection)


def downgrade():
    connection = op.get_bind()
    for statement in tallies.drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    op.drop_table("task_tallies")
