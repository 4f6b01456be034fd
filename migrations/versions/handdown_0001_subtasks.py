"""handdown: sub-tasks a unit head gives its officers, their history and reminders (issue 21)

Revision ID: handdown_0001
Revises: reports_0001
Create Date: 2026-12-04 16:40:51.304231

"""

import sqlalchemy as sa
from alembic import op

import tracker.core.time

# revision identifiers, used by Alembic.
revision = "handdown_0001"
down_revision = "reports_0001"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "subtasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("child_unit_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("last_note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(assignee_id IS NULL) <> (child_unit_id IS NULL)",
            name=op.f("ck_subtasks_one_assignee"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_subtasks_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_subtasks_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["child_unit_id"], ["units.id"], name=op.f("fk_subtasks_child_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_subtasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_subtasks_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_subtasks_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subtasks")),
    )
    with op.batch_alter_table("subtasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subtasks_assignee_status_deadline",
            ["assignee_id", "status", "deadline"],
            unique=False,
        )
        batch_op.create_index(
            "ix_subtasks_child_unit_status", ["child_unit_id", "status"], unique=False
        )
        batch_op.create_index("ix_subtasks_status_deadline", ["status", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_subtasks_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subtasks_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "subtask_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subtask_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_subtask_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subtask_id"],
            ["subtasks.id"],
            name=op.f("fk_subtask_events_subtask_id_subtasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subtask_events")),
    )
    with op.batch_alter_table("subtask_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subtask_events_subtask_id"), ["subtask_id"], unique=False
        )

    op.create_table(
        "subtask_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subtask_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_subtask_reminders_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subtask_id"],
            ["subtasks.id"],
            name=op.f("fk_subtask_reminders_subtask_id_subtasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subtask_reminders")),
        sa.UniqueConstraint(
            "subtask_id", "recipient_id", "kind", "day", name="uq_subtask_reminder"
        ),
    )
    with op.batch_alter_table("subtask_reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subtask_reminders_unsent",
            ["recipient_id"],
            unique=False,
            postgresql_where=sa.text("sent_dt IS NULL"),
            sqlite_where=sa.text("sent_dt IS NULL"),
        )


def downgrade():

    with op.batch_alter_table("subtask_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_subtask_reminders_unsent")

    op.drop_table("subtask_reminders")
    with op.batch_alter_table("subtask_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subtask_events_subtask_id"))

    op.drop_table("subtask_events")
    with op.batch_alter_table("subtasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subtasks_unit_id"))
        batch_op.drop_index(batch_op.f("ix_subtasks_task_id"))
        batch_op.drop_index("ix_subtasks_status_deadline")
        batch_op.drop_index("ix_subtasks_child_unit_status")
        batch_op.drop_index("ix_subtasks_assignee_status_deadline")

    op.drop_table("subtasks")
