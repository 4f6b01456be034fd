"""notices: the draft remembers whether its text was recognised from a scan, and keeps the
scan's page images for the review screen

Revision ID: review_0001
Revises: d8f2b6c0e4a7
Create Date: 2026-11-30 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "review_0001"
down_revision = "d8f2b6c0e4a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice_drafts") as batch:
        batch.add_column(
            sa.Column("source_kind", sa.String(length=16), server_default="text", nullable=False)
        )
    op.create_table(
        "notice_draft_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("doubtful_words", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["notice_drafts.id"],
            name=op.f("fk_notice_draft_pages_draft_id_notice_drafts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_draft_pages")),
    )
    with op.batch_alter_table("notice_draft_pages") as batch:
        batch.create_index(
            batch.f("ix_notice_draft_pages_draft_id"), ["draft_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_draft_pages") as batch:
        batch.drop_index(batch.f("ix_notice_draft_pages_draft_id"))
    op.drop_table("notice_draft_pages")
    with op.batch_alter_table("notice_drafts") as batch:
        batch.drop_column("source_kind")
