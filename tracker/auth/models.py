"""Users and their roles."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.time import UTCDateTime
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.units.models import Unit


class Role(enum.StrEnum):
    """What a user does in the tracker."""

    UNIT = "unit"  # member of a department or commune: reports on its tasks
    # A unit member who also breaks its received tasks down for its officers (trưởng phòng,
    # chủ tịch xã): everything a unit member may do, and the hand-down (tracker/subtasks).
    UNIT_HEAD = "unit_head"
    CHAIR = "chair"  # Chủ tịch / Phó Chủ tịch UBND: assigns and confirms
    OFFICE = "office"  # Văn phòng HĐND và UBND: enters notices, follows up for the chair
    ADMIN = "admin"  # manages the directory of units and users


# The roles that belong to a unit and must name one.
UNIT_ROLES = frozenset({Role.UNIT.value, Role.UNIT_HEAD.value})


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.UNIT.value)
    locale: Mapped[str] = mapped_column(sa.String(8), default="vi")
    is_active_user: Mapped[bool] = mapped_column("is_active", default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Bumped on password change and deactivation: every session carrying the old value ends.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Second factor (TOTP, RFC 6238). The secret is set when enrollment starts and shown only
    # until it is confirmed; `totp_enabled_dt` marks it confirmed. `totp_last_step` is the time
    # step of the last code accepted: a code is never accepted twice (replay). The secret is
    # stored sealed (AES-256-GCM, tracker/auth/mfa.py), never as the base32 seed.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column()

    unit: Mapped[Unit | None] = relationship()

    @property
    def has_second_factor(self) -> bool:
        """The user confirmed a TOTP authenticator: logins ask for a code."""
        return self.totp_enabled_dt is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    # The login (LoginSession) this object was loaded for or has just started; not a column.
    login_key = None  # str when set

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie and signs it into the remember cookie:
        # the user, the session generation (bumped when rights change) and the login's secret
        # key, so that each login has cookies of its own that end with it on the server.
        return f"{self.id}:{self.session_version}:{self.login_key or ''}"

    @property
    def is_chair(self) -> bool:
        return self.role == Role.CHAIR

    @property
    def is_office(self) -> bool:
        return self.role == Role.OFFICE

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_unit_head(self) -> bool:
        """Heads the unit they belong to: breaks its tasks down (tracker/subtasks)."""
        return self.role == Role.UNIT_HEAD and self.unit_id is not None

    @property
    def sees_all_tasks(self) -> bool:
        """Chairs, the office and admins see every unit's tasks."""
        return self.role in (Role.CHAIR, Role.OFFICE, Role.ADMIN)

    @property
    def manages_tasks(self) -> bool:
        """Chairs and the office create meetings and tasks, confirm and decide."""
        return self.role in (Role.CHAIR, Role.OFFICE, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginSession(db.Model):
    """One login: a browser's session and remember cookies carry its key, which only lives as
    long as this row does not end (logout, password change) or expire."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the key in the cookies: a copy of the database opens no session.
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remember: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(sa.String(64), default="")

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator; only its argon2 hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime())
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(db.Model):
    """A security event (login, failed login, role change, token, export) for the admin."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_kind_created_dt", "kind", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(sa.String(64), default="")  # as typed, for failures
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    actor: Mapped[User | None] = relationship()
