"""The second factor: TOTP authenticators (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import base64
import functools
import hmac
import logging
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
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
# Secrets stored before they were sealed are bare base32 (pyotp.random_base32); a sealed one
# starts with "v1:", so neither is ever taken for the other.
_PLAINTEXT_SECRET = re.compile(r"[A-Z2-7]{16,64}")
# v1: AES-256-GCM (ASVS 5.0 appendix C lists AES-128 and CBC, hence Fernet, as legacy), a
# random 96-bit nonce per sealing, then nonce + ciphertext + tag in URL-safe base64.
_SEALED_PREFIX = "v1:"
_NONCE_BYTES = 12
_TAG_BYTES = 16
# Binds the key derived from SECRET_KEY to this one use: it signs nothing else.
_DERIVED_KEY_INFO = b"tracker totp secret v1"

security_log = logging.getLogger("tracker.security")


class SecretUnreadable(Exception):
    """No configured key opens the user's stored TOTP secret (a wrong or lost key)."""


def _derived_key(secret_key: str | bytes) -> bytes:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVED_KEY_INFO)
    return hkdf.derive(material)


@functools.lru_cache(maxsize=8)
def _build_ciphers(
    key: str,
    old_keys: tuple[str, ...],
    secret_key: str | bytes,
    fallbacks: tuple[str | bytes, ...],
) -> tuple[AESGCM, tuple[AESGCM, ...]]:
    derived = AESGCM(_derived_key(secret_key))
    current = AESGCM(base64.urlsafe_b64decode(key)) if key else derived
    older = [AESGCM(base64.urlsafe_b64decode(old)) for old in old_keys]
    if key:
        # Secrets sealed before TRACKER_MFA_KEY was set still open: setting it needs no
        # step beyond `tracker users rekey-mfa`.
        older.append(derived)
    # Flask's SECRET_KEY_FALLBACKS: a rotated SECRET_KEY keeps opening what it sealed.
    older += [AESGCM(_derived_key(fallback)) for fallback in fallbacks]
    return current, (current, *older)


def _ciphers() -> tuple[AESGCM, tuple[AESGCM, ...]]:
    """The current key (seals) and every accepted key, current first (open)."""
    config = current_app.config
    return _build_ciphers(
        config.get("TRACKER_MFA_KEY") or "",
        tuple(config.get("TRACKER_MFA_OLD_KEYS") or ()),
        config["SECRET_KEY"],
        tuple(config.get("SECRET_KEY_FALLBACKS") or ()),
    )


def _associated_data(user: User) -> bytes:
    # Binds the sealed value to its row: copied into another user's row, it does not open.
    return f"users.totp_secret:{user.id}".encode()


def _seal(user: User, secret: str) -> str:
    """`secret` encrypted with the current key, as stored in `users.totp_secret`."""
    current, _every = _ciphers()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = current.encrypt(nonce, secret.encode(), _associated_data(user))
    return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(user: User) -> tuple[str, bool]:
    """The user's stored TOTP secret in clear, and whether the current key sealed it.

    Raises SecretUnreadable when no configured key opens it."""
    stored = user.totp_secret or ""
    if _PLAINTEXT_SECRET.fullmatch(stored):
        return stored, False  # stored before secrets were sealed; sealed once it proves right
    raw = b""
    if stored.startswith(_SEALED_PREFIX):
        try:
            raw = base64.urlsafe_b64decode(stored[len(_SEALED_PREFIX) :])
        except ValueError:
            raw = b""
    if len(raw) > _NONCE_BYTES + _TAG_BYTES:
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        current, every = _ciphers()
        for key in every:
            try:
                secret = key.decrypt(nonce, sealed, _associated_data(user))
            except InvalidTag:
                continue
            return secret.decode(), key is current
    security_log.error(
        "TOTP secret of user %s opens with no configured key (TRACKER_MFA_KEY, "
        "TRACKER_MFA_OLD_KEYS, SECRET_KEY): an admin must reset the second factor",
        user.username,
    )
    raise SecretUnreadable(user.username)


def _open(user: User) -> str | None:
    """The user's TOTP secret in clear, None without one; SecretUnreadable when no
    configured key opens it."""
    return _unseal(user)[0] if user.totp_secret else None


def current_step(now: datetime | None = None) -> int:
    """The TOTP time step of `now` (the application's clock, which tests fix)."""
    return int((now or now_utc()).timestamp()) // STEP_SECONDS


def start_enrollment(user: User) -> str:
    """The secret the user is enrolling with; a new one if enrollment has not started."""
    if user.has_second_factor:
        raise ValidationError({"code": _("Xác thực hai lớp đã được bật.")})
    if user.totp_secret:
        try:
            return _open(user) or ""
        except SecretUnreadable:
            pass  # enrollment was never confirmed: nothing is lost by starting it over
    # 160 random bits from `secrets` (RFC 4226 recommends 160).
    secret = pyotp.random_base32()
    user.totp_secret = _seal(user, secret)
    db.session.flush()
    return secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(_open(user) or "").provisioning_uri(name=user.username, issuer_name=issuer)


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
    """Whether `code` is a current, never used code of the user's authenticator.

    Raises SecretUnreadable when no configured key opens the stored secret."""
    if not user.has_second_factor or not user.totp_secret:
        return False
    secret, sealed_with_current_key = _unseal(user)
    step = _matching_step(secret, code, user.totp_last_step)
    if step is None or not _claim_step(user, step):
        return False
    if not sealed_with_current_key:
        # Plaintext or an old key: sealed with the current key now the secret proved right.
        user.totp_secret = _seal(user, secret)
        db.session.flush()
    return True


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
    """ "totp" or "recovery" when `code` passes (and is used up), None otherwise.

    Raises SecretUnreadable for an authenticator code when no configured key opens the
    stored secret; recovery codes (hashes, no key involved) still work then."""
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
    try:
        secret = None if user.has_second_factor else _open(user)
    except SecretUnreadable:
        secret = None  # the page, reloaded, starts enrollment over with a new secret
    if not secret:
        raise ValidationError({"code": _("Vui lòng tải lại trang và quét mã QR mới.")})
    step = _matching_step(secret, code, None)
    if step is None:
        raise ValidationError(
            {"code": _("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại rồi nhập mã mới.")}
        )
    user.totp_secret = _seal(user, secret)  # plaintext or an old key: the current one now
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


@dataclass
class RekeyResult:
    """What `reseal_all` did: secrets sealed again, how many were plaintext, who failed."""

    resealed: int = 0
    plaintext: int = 0
    unreadable: list[str] = field(default_factory=list)


def reseal_all() -> RekeyResult:
    """Seal every stored TOTP secret with the current key (after a key change, or to seal
    secrets stored in plaintext). Secrets no configured key opens are left as they are."""
    result = RekeyResult()
    users = db.session.scalars(
        sa.select(User).where(User.totp_secret.is_not(None)).order_by(User.id)
    ).all()
    for user in users:
        try:
            secret = _open(user)
        except SecretUnreadable:
            result.unreadable.append(user.username)
            continue
        if not secret:
            continue
        if _PLAINTEXT_SECRET.fullmatch(user.totp_secret or ""):
            result.plaintext += 1
        user.totp_secret = _seal(user, secret)
        result.resealed += 1
    db.session.flush()
    return result
