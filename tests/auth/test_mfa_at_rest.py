"""TOTP secrets sealed at rest: what the database holds, key rotation, `tracker users
rekey-mfa`, a key that no longer opens a secret, secrets stored before sealing."""

from __future__ import annotations

import base64
import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from tests.auth.test_mfa import (
    WRONG_CODE,
    _code,
    _enable,
    _kinds,
    _logged_in,
    _password_step,
    _secret_on_page,
)
from tests.conftest import FIXED_NOW, make_app
from tests.factories import PASSWORD
from tracker.auth import mfa
from tracker.auth.models import User
from tracker.config import load_config
from tracker.extensions import db

KEY_A = base64.urlsafe_b64encode(os.urandom(32)).decode()
KEY_B = base64.urlsafe_b64encode(os.urandom(32)).decode()
# The key the tests' SECRET_KEY gives when TRACKER_MFA_KEY is empty (HKDF-SHA256, fixed label).
DERIVED = base64.urlsafe_b64encode(
    HKDF(hashes.SHA256(), 32, None, b"tracker totp secret v1").derive(b"test-secret")
).decode()
UNREADABLE = "Không kiểm tra được mã từ ứng dụng xác thực của tài khoản này."
LATER = FIXED_NOW + timedelta(seconds=30)


def _stored(user_id: int) -> str | None:
    """users.totp_secret as a dump would show it: the raw column, read with SQL."""
    db.session.rollback()  # see what other apps on the same database committed
    return db.session.execute(
        sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}
    ).scalar_one()


def _opened_with(key: str, stored: str | None, user_id: int) -> str:
    """`stored` opened with `key` by hand, not by tracker's code: it is AES-256-GCM under that
    key, bound to the user's row."""
    assert stored is not None and stored.startswith("v1:")
    raw = base64.urlsafe_b64decode(stored[3:])
    aad = f"users.totp_secret:{user_id}".encode()
    return AESGCM(base64.urlsafe_b64decode(key)).decrypt(raw[:12], raw[12:], aad).decode()


def _restarted(
    backend: str, database_urls: dict[str, str], tmp_path: Path, name: str, **settings: object
) -> Flask:
    """Another app on the same database, as after a restart with other settings."""
    return make_app(database_urls[backend], backend, tmp_path / name, **settings)


def _logs_in(app: Flask, secret: str, at=FIXED_NOW) -> bool:  # type: ignore[no-untyped-def]
    app.config["TRACKER_FIXED_NOW"] = at
    client = app.test_client()
    assert _password_step(client).status_code == 302
    response = client.post("/login/verify", data={"code": _code(secret, at)})
    assert response.status_code in (200, 302)
    return response.status_code == 302 and _logged_in(client)


def test_the_database_holds_a_sealed_secret_and_enrollment_and_login_work(
    app, login, world
) -> None:
    client = login(world.lead_user)
    secret = _secret_on_page(client.get("/profile/two-factor").get_data(as_text=True))
    pending = _stored(world.lead_user.id)
    assert pending and secret not in pending and secret.lower() not in pending
    done = client.post(
        "/profile/two-factor", data={"on-password": PASSWORD, "on-code": _code(secret)}
    )
    assert done.status_code == 200 and "mfa_enabled" in _kinds()
    stored = _stored(world.lead_user.id)
    assert stored is not None and len(stored) <= 255
    assert secret not in stored and secret.lower() not in stored
    # Sealed with the key derived from SECRET_KEY (no TRACKER_MFA_KEY in the tests).
    assert _opened_with(DERIVED, stored, world.lead_user.id) == secret
    client.post("/logout")
    assert _logs_in(app, secret, LATER)


def test_a_dump_of_the_users_table_gives_no_working_code(
    app, world, backend, database_urls, tmp_path
) -> None:
    secret, _codes = _enable(app, world.lead_user)
    stored = _stored(world.lead_user.id)
    assert stored is not None and not re.fullmatch(r"[A-Z2-7]+", stored)
    # Whatever one makes of the dumped value as a seed, its codes are refused.
    client = app.test_client()
    _password_step(client)
    for guess in (stored, re.sub(r"[^A-Z2-7]", "", stored.upper())[:32]):
        try:
            code = pyotp.TOTP(guess).at(FIXED_NOW)
        except Exception:  # not base32 at all: no code to try
            continue
        if code == _code(secret):
            pytest.fail("the dumped value gives the authenticator's code")
        refused = client.post("/login/verify", data={"code": code})
        assert WRONG_CODE in refused.get_data(as_text=True)
    assert not _logged_in(client)
    # The dump on another server, whose SECRET_KEY differs, opens nothing either.
    other = _restarted(backend, database_urls, tmp_path, "other", SECRET_KEY="another-secret")
    with other.app_context():
        user = db.session.get(User, world.lead_user.id)
        with pytest.raises(mfa.SecretUnreadable):
            mfa._open(user)
    # Copied into another user's row (write access to the table), it does not open either.
    db.session.execute(
        sa.text("UPDATE users SET totp_secret = :stored WHERE id = :id"),
        {"stored": stored, "id": world.chair.id},
    )
    db.session.commit()
    db.session.refresh(world.chair)
    with pytest.raises(mfa.SecretUnreadable):
        mfa._open(world.chair)
    assert mfa._open(world.lead_user) == secret


def test_rotation_old_key_opens_and_rekey_lets_the_new_key_work_alone(
    app, world, backend, database_urls, tmp_path
) -> None:
    app.config["TRACKER_MFA_KEY"] = KEY_A
    secret, _codes = _enable(app, world.lead_user)
    sealed_with_a = _stored(world.lead_user.id)
    assert sealed_with_a is not None
    assert _opened_with(KEY_A, sealed_with_a, world.lead_user.id) == secret

    # Restarted with key B, A kept as an old key: the login works.
    rotated = _restarted(
        backend,
        database_urls,
        tmp_path,
        "rotated",
        TRACKER_MFA_KEY=KEY_B,
        TRACKER_MFA_OLD_KEYS=[KEY_A],
    )
    with rotated.app_context():
        assert _logs_in(rotated, secret, FIXED_NOW)
    # ... and the successful code sealed the secret again, with B.
    resealed = _stored(world.lead_user.id)
    assert resealed != sealed_with_a
    assert _opened_with(KEY_B, resealed, world.lead_user.id) == secret

    # Another user still sealed with A: `rekey-mfa` seals every secret with B.
    app.config["TRACKER_MFA_KEY"] = KEY_A
    other_secret, _other_codes = _enable(app, world.chair)
    with rotated.app_context():
        result = rotated.test_cli_runner().invoke(args=["users", "rekey-mfa"])
    assert result.exit_code == 0, result.output
    assert (
        "Sealed 2 TOTP secret(s)" in result.output
        and "(0 were stored in plaintext)" in result.output
    )
    chair_stored = _stored(world.chair.id)
    assert _opened_with(KEY_B, chair_stored, world.chair.id) == other_secret

    # Restarted with B alone: both log in.
    alone = _restarted(backend, database_urls, tmp_path, "alone", TRACKER_MFA_KEY=KEY_B)
    with alone.app_context():
        assert _logs_in(alone, secret, LATER)
        alone.config["TRACKER_FIXED_NOW"] = LATER
        client = alone.test_client()
        client.post("/login", data={"username": "chutich", "password": PASSWORD})
        assert (
            client.post("/login/verify", data={"code": _code(other_secret, LATER)}).status_code
            == 302
        )


def test_setting_a_key_keeps_secrets_sealed_with_the_derived_one(app, world) -> None:
    secret, _codes = _enable(app, world.lead_user)  # no TRACKER_MFA_KEY: the derived key
    app.config["TRACKER_MFA_KEY"] = KEY_A
    assert _logs_in(app, secret)
    assert _opened_with(KEY_A, _stored(world.lead_user.id), world.lead_user.id) == secret


def test_a_wrong_key_says_so_at_the_second_step_and_recovery_codes_still_work(
    app, login, world, caplog
) -> None:
    app.config["TRACKER_MFA_KEY"] = KEY_A
    secret, codes = _enable(app, world.lead_user)
    app.config["TRACKER_MFA_KEY"] = KEY_B  # A lost: no key opens the secret
    client = app.test_client()
    _password_step(client)
    with caplog.at_level(logging.ERROR, logger="tracker.security"):
        response = client.post("/login/verify", data={"code": _code(secret)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert UNREADABLE in page and "quản trị viên đặt lại xác thực hai lớp" in page
    assert not _logged_in(client)
    assert "mfa_unreadable" in _kinds()
    assert any("noivu" in record.getMessage() for record in caplog.records)
    # The recovery codes are hashes, no key involved: the user gets in with one.
    typed = client.post("/login/verify", data={"code": codes[0]})
    assert typed.status_code == 302 and _logged_in(client)
    # Turning the factor off (password + code) says the same rather than failing.
    profile = login(world.lead_user)
    off = profile.post(
        "/profile/two-factor/disable", data={"off-password": PASSWORD, "off-code": _code(secret)}
    )
    assert off.status_code == 200 and UNREADABLE in off.get_data(as_text=True)
    # The admin's reset clears it; the user enrolls again under the current key.
    admin = login(world.admin)
    assert admin.post(f"/admin/users/{world.lead_user.id}/two-factor/reset").status_code == 302
    assert _stored(world.lead_user.id) is None


def test_a_pending_enrollment_no_key_opens_starts_over(app, login, world) -> None:
    app.config["TRACKER_MFA_KEY"] = KEY_A
    client = login(world.lead_user)
    first = _secret_on_page(client.get("/profile/two-factor").get_data(as_text=True))
    app.config["TRACKER_MFA_KEY"] = KEY_B
    refused = client.post(
        "/profile/two-factor", data={"on-password": PASSWORD, "on-code": _code(first)}
    )
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "Vui lòng tải lại trang và quét mã QR mới." in page
    second = _secret_on_page(page)
    assert second != first
    done = client.post(
        "/profile/two-factor", data={"on-password": PASSWORD, "on-code": _code(second)}
    )
    assert done.status_code == 200 and "mfa_enabled" in _kinds()


def _store_plaintext(user: User, secret: str) -> None:
    # As the column held it before secrets were sealed.
    db.session.execute(
        sa.text("UPDATE users SET totp_secret = :secret WHERE id = :id"),
        {"secret": secret, "id": user.id},
    )
    db.session.commit()
    db.session.expire_all()


def test_a_plaintext_secret_still_works_and_is_sealed_at_the_next_login(app, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _store_plaintext(world.lead_user, secret)
    assert _stored(world.lead_user.id) == secret
    assert _logs_in(app, secret)
    stored = _stored(world.lead_user.id)
    assert secret not in stored
    assert _opened_with(DERIVED, stored, world.lead_user.id) == secret
    assert _logs_in(app, secret, LATER)


def test_rekey_seals_plaintext_secrets_and_names_the_unreadable_ones(app, runner, world) -> None:
    plain, _codes = _enable(app, world.lead_user)
    _store_plaintext(world.lead_user, plain)
    app.config["TRACKER_MFA_KEY"] = KEY_A
    _enable(app, world.chair)
    app.config["TRACKER_MFA_KEY"] = KEY_B  # the chair's key is lost
    result = runner.invoke(args=["users", "rekey-mfa"])
    assert result.exit_code == 1
    assert (
        "Sealed 1 TOTP secret(s)" in result.output
        and "(1 were stored in plaintext)" in result.output
    )
    assert "chutich" in result.output and "TRACKER_MFA_OLD_KEYS" in result.output
    assert _opened_with(KEY_B, _stored(world.lead_user.id), world.lead_user.id) == plain
    # The unreadable one is left as it was, for an old key to open later.
    app.config["TRACKER_MFA_OLD_KEYS"] = [KEY_A]
    again = runner.invoke(args=["users", "rekey-mfa"])
    assert again.exit_code == 0 and "Sealed 2 TOTP secret(s)" in again.output


def test_mfa_keys_are_checked_at_startup(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TRACKER_MFA_KEY", "not-a-key")
    with pytest.raises(RuntimeError, match="TRACKER_MFA_KEY") as refused:
        load_config(str(tmp_path))
    assert "not-a-key" not in str(refused.value)  # a key is never echoed
    monkeypatch.setenv("TRACKER_MFA_KEY", KEY_B)
    monkeypatch.setenv("TRACKER_MFA_OLD_KEYS", f"{KEY_A}, short")
    with pytest.raises(RuntimeError, match="TRACKER_MFA_OLD_KEYS"):
        load_config(str(tmp_path))
    short = base64.urlsafe_b64encode(os.urandom(16)).decode()  # AES-128: refused
    monkeypatch.setenv("TRACKER_MFA_OLD_KEYS", short)
    with pytest.raises(RuntimeError, match="32 random bytes"):
        load_config(str(tmp_path))
    monkeypatch.setenv("TRACKER_MFA_OLD_KEYS", f" {KEY_A} ,")
    config = load_config(str(tmp_path))
    assert config["TRACKER_MFA_KEY"] == KEY_B and config["TRACKER_MFA_OLD_KEYS"] == [KEY_A]


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_migration_keeps_plaintext_secrets_and_recovery_codes(backend_name, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from tests.conftest import PG_URL
    from tests.test_schema import fresh_database

    if backend_name == "postgresql" and not PG_URL:
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    plain = pyotp.random_base32()
    rows = sa.text(
        "SELECT users.username, users.totp_secret, count(recovery_codes.id) FROM users"
        " LEFT JOIN recovery_codes ON recovery_codes.user_id = users.id"
        " GROUP BY users.username, users.totp_secret ORDER BY users.username"
    )

    def add_user(conn, username: str, secret: str) -> None:  # type: ignore[no-untyped-def]
        conn.execute(
            sa.text(
                "INSERT INTO users (username, full_name, role, locale, is_active, password_hash,"
                " session_version, created_dt, updated_dt, totp_secret, totp_enabled_dt)"
                " VALUES (:u, :u, 'unit', 'vi', :yes, 'x', 1, :now, :now, :secret, :now)"
            ),
            {"u": username, "yes": True, "now": FIXED_NOW, "secret": secret},
        )
        user_id = conn.execute(
            sa.text("SELECT id FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO recovery_codes (user_id, code_hash, created_dt) VALUES (:id, 'x', :now)"
            ),
            {"id": user_id, "now": FIXED_NOW},
        )

    with fresh_database(backend_name, tmp_path) as url:
        app = make_app(url, "sqlite", tmp_path / "instance")  # no schema override
        with app.app_context():
            upgrade(revision="5e2a9c4d7f10")
            with db.engine.begin() as conn:
                add_user(conn, "cu", plain)
            upgrade(revision="9d4b7e2a6c13")
            with db.engine.begin() as conn:
                # On SQLite a batch move-and-copy of `users` would have cascaded the recovery
                # codes away (foreign keys are on): the plaintext secret and its codes stay.
                assert conn.execute(rows).all() == [("cu", plain, 1)]
                add_user(conn, "moi", "v1:" + "A" * 80)
            downgrade(revision="5e2a9c4d7f10")
            with db.engine.begin() as conn:
                assert conn.execute(rows).all() == [("cu", plain, 1), ("moi", None, 0)]
            db.engine.dispose()
