"""Passwords, logins, users and API tokens."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

from tracker.auth import sessions
from tracker.auth.models import UNIT_ROLES, ApiToken, Role, User
from tracker.core.errors import ValidationError
from tracker.core.limits import control_message, has_control
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


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 commonest passwords (from leaked password sets, as zxcvbn ranks them),
    lower-cased: a dependency's list rather than a copy of one kept in the repository."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # a few MB: loaded on first use only

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, username: str) -> None:
    """Raise ValidationError when the password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            {"password": _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)}
        )
    if username and username.lower() in password.lower():
        raise ValidationError({"password": _("Mật khẩu không được chứa tên đăng nhập.")})
    if password.strip().lower() in common_passwords():
        raise ValidationError(
            {
                "password": _(
                    "Mật khẩu này nằm trong danh sách mật khẩu phổ biến, dễ bị đoán. "
                    "Vui lòng chọn mật khẩu khác."
                )
            }
        )


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
    """Change the password and end every login of the user (the caller may start a new one)."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.session_version += 1
    sessions.end_all(user)
    db.session.flush()


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.is_active_user, User.id != user.id)
        )
        or 0
    )


def check_keeps_an_admin(user: User, *, role: str, active: bool) -> None:
    """Raise ValidationError when `user` is the last active admin and would stop being one
    (another role, or deactivated): nobody could then manage users, units or settings."""
    if not (user.role == Role.ADMIN and user.is_active_user):
        return
    if role == Role.ADMIN and active:
        return
    # Locked, so that two admins demoting each other at once cannot both pass.
    db.session.execute(
        sa.select(User.id)
        .where(User.role == Role.ADMIN.value, User.is_active_user)
        .with_for_update()
    ).all()
    if _other_active_admins(user) == 0:
        field = "role" if role != Role.ADMIN else "is_active"
        raise ValidationError(
            {
                field: _(
                    "%(name)s là quản trị viên cuối cùng đang hoạt động: không thể đổi vai trò "
                    "hay ngừng hoạt động. Hãy cấp quyền quản trị cho người khác trước.",
                    name=user.full_name or user.username,
                )
            }
        )


def set_role(user: User, role: str) -> None:
    """Change the user's role; their logins end (their rights changed)."""
    if role not in {r.value for r in Role}:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")})
    if role in UNIT_ROLES and user.unit_id is None:
        raise ValidationError({"unit_id": _("Người dùng của đơn vị phải thuộc một đơn vị.")})
    check_keeps_an_admin(user, role=role, active=user.is_active_user)
    if user.role != role:
        user.role = role
        user.session_version += 1
        sessions.end_all(user)
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
    elif has_control(username):
        errors["username"] = control_message()
    elif db.session.scalar(sa.select(User.id).where(User.username == username)):
        errors["username"] = _("Tên đăng nhập này đã được dùng.")
    if role not in {r.value for r in Role}:
        errors["role"] = _("Vai trò không hợp lệ.")
    elif role in UNIT_ROLES and unit is None:
        errors["unit_id"] = _("Người dùng của đơn vị phải thuộc một đơn vị.")
    if has_control(full_name):
        errors["full_name"] = control_message()
    if has_control(email):
        errors["email"] = control_message()
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
    """Activate or deactivate a user; deactivation ends their sessions. The last active admin
    stays active."""
    check_keeps_an_admin(user, role=user.role, active=active)
    if user.is_active_user and not active:
        user.session_version += 1
        sessions.end_all(user)
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
