"""The audit log of security events."""

from __future__ import annotations

import enum

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from tracker.auth.models import AuditEvent, User
from tracker.core.time import now_utc
from tracker.extensions import db


class AuditKind(enum.StrEnum):
    """Events the admin can filter on."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"  # role, unit or active flag
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    EXPORT = "export"
    CALENDAR_FEED = "calendar_feed"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    MFA_RESET = "mfa_reset"  # by an admin, for a user who lost the authenticator
    MFA_FAILED = "mfa_failed"  # a wrong code at the second login step
    MFA_LOCKED = "mfa_locked"
    MFA_RECOVERY_USED = "mfa_recovery_used"
    MFA_CODES_RENEWED = "mfa_codes_renewed"
    MFA_UNREADABLE = "mfa_unreadable"  # no configured key opens the stored TOTP secret


# What the audit log page shows for each event: a phrase in the reader's language, not the key.
KIND_LABELS: dict[str, object] = {
    AuditKind.LOGIN: _l("Đăng nhập"),
    AuditKind.LOGIN_FAILED: _l("Đăng nhập sai"),
    AuditKind.LOGIN_LOCKED: _l("Tạm khoá đăng nhập"),
    AuditKind.LOGOUT: _l("Đăng xuất"),
    AuditKind.PASSWORD_CHANGED: _l("Đổi mật khẩu"),
    AuditKind.USER_CREATED: _l("Tạo người dùng"),
    AuditKind.USER_CHANGED: _l("Sửa người dùng"),
    AuditKind.TOKEN_CREATED: _l("Tạo mã truy cập API"),
    AuditKind.TOKEN_REVOKED: _l("Thu hồi mã truy cập API"),
    AuditKind.EXPORT: _l("Tải báo cáo"),
    AuditKind.CALENDAR_FEED: _l("Đọc lịch hạn nhiệm vụ"),
    AuditKind.MFA_ENABLED: _l("Bật xác thực hai lớp"),
    AuditKind.MFA_DISABLED: _l("Tắt xác thực hai lớp"),
    AuditKind.MFA_RESET: _l("Đặt lại xác thực hai lớp"),
    AuditKind.MFA_FAILED: _l("Nhập sai mã xác thực"),
    AuditKind.MFA_LOCKED: _l("Tạm khoá bước xác thực"),
    AuditKind.MFA_RECOVERY_USED: _l("Dùng mã khôi phục"),
    AuditKind.MFA_CODES_RENEWED: _l("Cấp lại mã khôi phục"),
    AuditKind.MFA_UNREADABLE: _l("Không đọc được khoá xác thực"),
}


def kind_label(kind: str) -> str:
    """The event's name for people; an event recorded by an older version keeps its key."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def record(
    kind: AuditKind | str,
    *,
    actor: User | None = None,
    username: str = "",
    detail: str = "",
) -> AuditEvent:
    """Add an audit event to the session (it is committed with the request's work)."""
    address = ""
    if has_request_context():
        address = (request.remote_addr or "")[:64]
    event = AuditEvent(
        created_dt=now_utc(),
        kind=str(kind),
        actor=actor if actor is not None and getattr(actor, "id", None) else None,
        username=(username or (actor.username if actor is not None else ""))[:64],
        address=address,
        detail=detail[:2000],
    )
    db.session.add(event)
    return event
