"""Logins kept on the server: each login's cookies carry a key that logout, a password change
or its lifetime ends, so a copied cookie dies with the login it was copied from."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import login_user

from tracker.auth.models import LoginSession, User
from tracker.core.time import now_utc
from tracker.extensions import db


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime() -> timedelta:
    """How long a login lasts at most, remembered or not (TRACKER_REMEMBER_DAYS)."""
    return timedelta(days=int(current_app.config.get("TRACKER_REMEMBER_DAYS", 30)))


def start(user: User, *, remember: bool, now: datetime | None = None) -> LoginSession:
    """Begin a login of `user` in this browser: a fresh key (so a fresh remember token) and
    the Flask-Login cookies carrying it. The caller commits."""
    row = create(user, remember=remember, now=now)
    login_user(user, remember=remember, duration=lifetime())
    return row


def create(user: User, *, remember: bool, now: datetime | None = None) -> LoginSession:
    """The login row alone, its key set on `user` (`user.get_id()` carries it)."""
    now = now or now_utc()
    # The user's ended and expired logins go now: the table holds live logins and a few more.
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id,
            sa.or_(LoginSession.ended_dt.is_not(None), LoginSession.expires_dt <= now),
        )
    )
    key = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        key_hash=_digest(key),
        created_dt=now,
        expires_dt=now + lifetime(),
        remember=remember,
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    db.session.add(row)
    db.session.flush()
    user.login_key = key
    return row


def current(user: User) -> LoginSession | None:
    """The live login `user` was loaded for in this request, if any."""
    if not user.login_key:
        return None
    return db.session.scalar(
        sa.select(LoginSession).where(LoginSession.key_hash == _digest(user.login_key))
    )


def end(user: User, now: datetime | None = None) -> None:
    """End the login this request was made in (logout): its cookies open nothing anymore."""
    row = current(user)
    if row is not None and row.ended_dt is None:
        row.ended_dt = now or now_utc()
        db.session.flush()


def end_all(user: User, now: datetime | None = None) -> None:
    """End every login of `user` (password change, deactivation, rights changed)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_dt.is_(None))
        .values(ended_dt=now or now_utc())
    )


def renew(user: User) -> LoginSession:
    """After the user's other logins were ended (a new password, a second factor turned on or
    off), carry on in this browser under a new login, remembered as the old one was."""
    row = current(user)
    remember = bool(row.remember) if row is not None else False
    end_all(user)
    return start(user, remember=remember)


def load(user_id: str) -> User | None:
    """The user of a session or remember cookie ("id:generation:key"), if that login is still
    live: not ended, not expired, the generation current and the user active."""
    try:
        raw_id, raw_version, key = user_id.split(":", 2)
        uid = int(raw_id)
    except (ValueError, TypeError, AttributeError):
        return None
    if not key:
        return None
    row = db.session.execute(
        sa.select(LoginSession.user_id, LoginSession.ended_dt, LoginSession.expires_dt).where(
            LoginSession.key_hash == _digest(key)
        )
    ).first()
    if row is None or row.user_id != uid or row.ended_dt is not None:
        return None
    if row.expires_dt <= now_utc():
        return None
    user = db.session.get(User, uid)
    if user is None or str(user.session_version) != raw_version or not user.is_active:
        return None
    user.login_key = key
    return user


def pending_id(user: User) -> str:
    """Who is half-way through logging in (password right, second factor to come): the user
    and the generation, so a password change or deactivation in between voids the step."""
    return f"{user.id}:{user.session_version}"


def pending_user(value: str) -> User | None:
    """The user named by `pending_id`, if still current and active."""
    try:
        raw_id, raw_version = value.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError, AttributeError):
        return None
    if user is None or str(user.session_version) != raw_version or not user.is_active:
        return None
    return user
