"""The second factor: TOTP authenticators (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Collection
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm.attributes import set_committed_value

from tracker.auth import operations
from tracker.auth.models import RecoveryCode, User
from tracker.core.errors import ValidationError
from tracker.core.time import now_utc
from tracker.extensions import db

STEP_SECONDS = 30
# The current step and the one before: a code typed as it rolls over still works. No step
# ahead is accepted, so a code lives at most 60 seconds (RFC 6238 §5.2 allows one step back).
ACCEPTED_STEPS_BACK = 1
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without look-alikes (0/o, 1/l/i): 31^10, about 2^49.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-]+")


def current_step(now: datetime | None = None) -> int:
    """The TOTP time step of `now` (the application's clock, which tests fix)."""
    return int((now or now_utc()).timestamp()) // STEP_SECONDS


def start_enrollment(user: User) -> str:
    """The secret the user is enrolling with; a new one if enrollment has not started."""
    if user.has_second_factor:
        raise ValidationError({"code": _("Xác thực hai lớp đã được bật.")})
    if not user.totp_secret:
        # 160 random bits from `secrets` (RFC 4226 recommends 160).
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(
        name=user.username, issuer_name=issuer
    )


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code of `uri` as inline SVG markup (no style attribute, no script: the CSP holds)."""
    qr = segno.make(uri, error="m")
    return Markup(qr.svg_inline(scale=4, dark="#000", light="#fff", title=title))


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return _SEPARATORS.sub("", code or "")


def _matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The accepted time step whose code is `code`, later than `after_step`."""
    code = _digits(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = current_step()
    for step in range(now_step - ACCEPTED_STEPS_BACK, now_step + 1):
        if after_step is not None and step <= after_step:
            continue  # that step's code was already used: replay
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used, unless another request already used it or a later one."""
    # One conditional UPDATE, so two requests racing with the same code cannot both win.
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def check_totp(user: User, code: str) -> bool:
    """Whether `code` is a current, never used code of the user's authenticator."""
    if not user.has_second_factor or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    return step is not None and _claim_step(user, step)


def _normalised_recovery_code(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def use_recovery_code(user: User, code: str) -> bool:
    """Whether `code` is one of the user's unused recovery codes; it is used up if so."""
    code = _normalised_recovery_code(code)
    if len(code) != _RECOVERY_LENGTH or not set(code) <= set(_RECOVERY_ALPHABET):
        return False
    rows = db.session.scalars(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_dt.is_(None)
        )
    ).all()
    for row in rows:
        if operations.matches_hash(row.code_hash, code):
            used = db.session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_dt.is_(None))
                .values(used_dt=now_utc())
                .execution_options(synchronize_session=False)
            )
            return used.rowcount == 1
    return False


def verify_second_factor(user: User, code: str) -> str | None:
    """ "totp" or "recovery" when `code` passes (and is used up), None otherwise."""
    if not user.has_second_factor:
        return None
    if _digits(code).isdigit():
        return "totp" if check_totp(user, code) else None
    return "recovery" if use_recovery_code(user, code) else None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    now = now_utc()
    # Below 112 bits of entropy, so stored as salted argon2 hashes like passwords (ASVS 6.5.2).
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=operations.hash_password(code), created_dt=now)
        for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def confirm_enrollment(user: User, code: str) -> list[str]:
    """Turn the second factor on with a current code; returns the recovery codes (shown once).

    The user's other sessions end."""
    if user.has_second_factor or not user.totp_secret:
        raise ValidationError({"code": _("Vui lòng tải lại trang và quét mã QR mới.")})
    step = _matching_step(user.totp_secret, code, None)
    if step is None:
        raise ValidationError(
            {"code": _("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại rồi nhập mã mới.")}
        )
    user.totp_enabled_dt = now_utc()
    user.totp_last_step = step
    user.session_version += 1
    codes = _new_recovery_codes(user)
    db.session.flush()
    return codes


def renew_recovery_codes(user: User) -> list[str]:
    """New recovery codes in place of the old ones (used or not)."""
    codes = _new_recovery_codes(user)
    db.session.flush()
    return codes


def remove_second_factor(user: User) -> None:
    """Turn the second factor off (by the user, or by an admin after a lost phone).

    The user's sessions end; recovery codes are deleted."""
    user.totp_secret = None
    user.totp_enabled_dt = None
    user.totp_last_step = None
    user.session_version += 1
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def recovery_codes_left(user: User) -> int:
    """How many recovery codes the user has not used."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_dt.is_(None))
        )
        or 0
    )


def must_enroll(user: User, required_roles: Collection[str]) -> bool:
    """Whether the policy requires a second factor of this user, who has none yet."""
    return user.role in required_roles and not user.has_second_factor
