"""search: trigram index on tasks.content_folded (PostgreSQL only)

Revision ID: 3c1f0e7a9b21
Revises: 80b604a05375
Create Date: 2026-11-29 04:20:00

"""

from alembic import op

revision = "3c1f0e7a9b21"
down_revision = "80b604a05375"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_tasks_content_folded_trgm",
        "tasks",
        ["content_folded"],
        postgresql_using="gin",
        postgresql_ops={"content_folded": "gin_trgm_ops"},
    )


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.drop_index("ix_tasks_content_folded_trgm", table_name="tasks")
    # The extension stays: other objects of the database may use it.



