"""auth: room for sealed TOTP secrets in users.totp_secret (64 -> 255 characters)

Revision ID: 9d4b7e2a6c13
Revises: 5e2a9c4d7f10
Create Date: 2026-11-29 05:00:00

Existing secrets stay as they are: the key lives in the application's settings, not here.
The application opens a plaintext secret and seals it at the user's next successful code;
`tracker users rekey-mfa` seals them all at once.
"""

from alembic import op
import sqlalchemy as sa

revision = "9d4b7e2a6c13"
down_revision = "5e2a9c4d7f10"
branch_labels = None
depends_on = None


def _sqlite_retype(length):
    # Not batch mode: its move-and-copy drops `users`, and with PRAGMA foreign_keys=ON (set on
    # every connection, and a no-op inside the migration's transaction) dropping a table
    # deletes the rows that cascade from it (recovery codes, API tokens) or fails on the
    # others. A new column, copied, then swapped in keeps every row (SQLite 3.35+).
    op.execute(f"ALTER TABLE users ADD COLUMN totp_secret_new VARCHAR({length})")
    op.execute("UPDATE users SET totp_secret_new = totp_secret")
    op.execute("ALTER TABLE users DROP COLUMN totp_secret")
    op.execute("ALTER TABLE users RENAME COLUMN totp_secret_new TO totp_secret")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_retype(255)
        return
    op.alter_column(
        "users",
        "totp_secret",
        existing_type=sa.String(length=64),
        type_=sa.String(length=255),
        existing_nullable=True,
    )


def downgrade():
    # A sealed secret does not fit in 64 characters, and the older code cannot open it: those
    # second factors are dropped (the users enroll again) rather than cut into garbage.
    op.execute(
        "UPDATE users SET totp_secret = NULL, totp_enabled_dt = NULL, totp_last_step = NULL"
        " WHERE length(totp_secret) > 64"
    )
    op.execute(
        "DELETE FROM recovery_codes WHERE user_id IN"
        " (SELECT id FROM users WHERE totp_enabled_dt IS NULL)"
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_retype(64)
        return
    op.alter_column(
        "users",
        "totp_secret",
        existing_type=sa.String(length=255),
        type_=sa.String(length=64),
        existing_nullable=True,
    )
