"""Passwords, logins, users and API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

from tracker.auth.models import ApiToken, Role, User
from tracker.core.errors import ValidationError
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.units.models import Unit

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs as much time as a
# wrong password and the two cannot be told apart.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def matches_hash(stored_hash: str, secret: str) -> bool:
    """Whether `secret` is the one `stored_hash` (argon2) was made from."""
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, username: str) -> None:
    """Raise ValidationError when the password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            {"password": _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)}
        )
    if username and username.lower() in password.lower():
        raise ValidationError({"password": _("Mật khẩu không được chứa tên đăng nhập.")})


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Re-hashes outdated hashes."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_dt = now_utc()
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end the user's other sessions."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()


def create_user(
    *,
    username: str,
    full_name: str,
    password: str,
    role: str = Role.UNIT.value,
    unit: Unit | None = None,
    email: str | None = None,
    locale: str = "vi",
    check_policy: bool = True,
) -> User:
    """Create a user after checking the username is free and the role fits the unit."""
    username = username.strip().lower()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Vui lòng nhập tên đăng nhập.")
    elif db.session.scalar(sa.select(User.id).where(User.username == username)):
        errors["username"] = _("Tên đăng nhập này đã được dùng.")
    if role not in {r.value for r in Role}:
        errors["role"] = _("Vai trò không hợp lệ.")
    elif role == Role.UNIT and unit is None:
        errors["unit_id"] = _("Người dùng của đơn vị phải thuộc một đơn vị.")
    if errors:
        raise ValidationError(errors)
    if check_policy:
        check_password_policy(password, username)
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        role=role,
        unit=unit,
        email=(email or "").strip() or None,
        locale=locale if locale in ("vi", "en") else "vi",
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends their sessions."""
    if user.is_active_user and not active:
        user.session_version += 1
    user.is_active_user = active
    db.session.flush()


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, label: str = "") -> str:
    """A new API token for `user`; the token itself is returned once and never stored."""
    token = "trk_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_token_digest(token), label=label))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning a valid, unrevoked token."""
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _token_digest(token), ApiToken.revoked_dt.is_(None)
        )
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def revoke_api_token(token_row: ApiToken) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    token_row.revoked_dt = now_utc()
    db.session.flush()
