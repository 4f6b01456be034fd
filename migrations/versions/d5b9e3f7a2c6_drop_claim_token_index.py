"""reminders: drop the index on claim_token (claimed rows are found by status)

Revision ID: d5b9e3f7a2c6
Revises: c4a8d2e6f1b3
Create Date: 2026-11-29 08:10:00

"""

from alembic import op

revision = "d5b9e3f7a2c6"
down_revision = "c4a8d2e6f1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_reminder_deliveries_claim_token", table_name="reminder_deliveries")


def downgrade():
    op.create_index(
        "ix_reminder_deliveries_claim_token", "reminder_deliveries", ["claim_token"], unique=False
    )
