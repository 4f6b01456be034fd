"""auth: logins kept on the server (login_sessions): each login's cookies carry a key that
logout, a password change or the login's lifetime ends (issue 19, item 1)

Revision ID: 5ec0a1b2c3d4
Revises: review_0001
Create Date: 2026-12-04 14:00:00

Sessions opened before this revision carried no key: they end, and everyone logs in again once.
"""

import sqlalchemy as sa
from alembic import op

import tracker.core.time

revision = "5ec0a1b2c3d4"
down_revision = "review_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_dt", tracker.core.time.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_login_sessions_key_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")
