"""Two-factor sign-in: TOTP enrollment, the second login step, recovery codes, admin reset,
the required-role policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.conftest import FIXED_NOW, make_app
from tests.factories import PASSWORD
from tracker.auth import mfa
from tracker.auth.models import AuditEvent, RecoveryCode, User
from tracker.auth.operations import create_api_token, set_password
from tracker.config import load_config
from tracker.extensions import db

WRONG_CODE = "Mã xác thực không đúng hoặc đã được dùng."
# Enrollment happens two minutes before the logins the tests make, so its code is not the
# one they type (that would be a replay).
ENROLLED_AT = FIXED_NOW - timedelta(minutes=2)


def _kinds() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.kind).order_by(AuditEvent.id)))


def _code(secret: str, at=FIXED_NOW) -> str:  # type: ignore[no-untyped-def]
    return pyotp.TOTP(secret).at(at)


def _set_clock(app, moment) -> None:  # type: ignore[no-untyped-def]
    app.config["TRACKER_FIXED_NOW"] = moment


def _enable(app, user: User) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Turn the second factor on for `user` (directly), at ENROLLED_AT."""
    _set_clock(app, ENROLLED_AT)
    secret = mfa.start_enrollment(user)
    codes = mfa.confirm_enrollment(user, _code(secret, ENROLLED_AT))
    db.session.commit()
    _set_clock(app, FIXED_NOW)
    return secret, codes


def _password_step(client, username: str = "noivu"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": PASSWORD})


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/profile").status_code == 200


def _secret_on_page(page: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found, "the enrollment page shows the secret as text"
    return found.group(1).replace(" ", "")


def test_enroll_with_a_current_code_shows_recovery_codes_once(app, login, world) -> None:
    client = login(world.lead_user)
    page = client.get("/profile/two-factor").get_data(as_text=True)
    secret = _secret_on_page(page)
    # The QR code is inline SVG markup: no style attribute, no script, no data: URI.
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "style=" not in svg and "<script" not in svg and "data:" not in page
    response = client.post(
        "/profile/two-factor",
        data={"on-password": PASSWORD, "on-code": _code(secret)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    codes = re.findall(r'<code class="token">([a-z2-9]{5}-[a-z2-9]{5})</code>', page)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(world.lead_user)
    assert world.lead_user.has_second_factor
    stored = db.session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == world.lead_user.id)
    ).all()
    assert len(stored) == 10
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not {c.replace("-", "") for c in codes} & set(stored)
    assert "mfa_enabled" in _kinds()
    # Never shown again: neither the secret nor the codes.
    again = client.get("/profile/two-factor").get_data(as_text=True)
    assert secret[:8] not in again.replace(" ", "") and codes[0] not in again
    assert "Số mã dự phòng chưa dùng: 10." in again


def test_enrollment_refuses_a_wrong_code_or_password_and_keeps_the_form(app, login, world) -> None:
    client = login(world.lead_user)
    secret = _secret_on_page(client.get("/profile/two-factor").get_data(as_text=True))
    wrong_code = client.post(
        "/profile/two-factor", data={"on-password": PASSWORD, "on-code": "000000"}
    ).get_data(as_text=True)
    assert "Mã xác thực không đúng" in wrong_code
    assert _secret_on_page(wrong_code) == secret  # the same secret, still to be confirmed
    wrong_password = client.post(
        "/profile/two-factor", data={"on-password": "sai mật khẩu", "on-code": _code(secret)}
    ).get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in wrong_password
    db.session.refresh(world.lead_user)
    assert not world.lead_user.has_second_factor


def test_enabling_ends_other_sessions_and_keeps_this_one(app, login, world) -> None:
    other = app.test_client()
    _password_step(other)
    assert _logged_in(other)
    client = login(world.lead_user)
    secret = _secret_on_page(client.get("/profile/two-factor").get_data(as_text=True))
    client.post("/profile/two-factor", data={"on-password": PASSWORD, "on-code": _code(secret)})
    assert _logged_in(client)
    assert not _logged_in(other)


def test_login_asks_for_the_code_and_a_wrong_code_keeps_the_user_out(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    response = _password_step(client)
    assert response.status_code == 302 and "/login/verify" in response.headers["Location"]
    assert not _logged_in(client)  # the password alone does not log in
    page = client.get("/login/verify").get_data(as_text=True)
    assert "Xác thực hai lớp" in page
    wrong = client.post("/login/verify", data={"code": "123456"})
    assert wrong.status_code == 200 and WRONG_CODE in wrong.get_data(as_text=True)
    assert not _logged_in(client)
    right = client.post("/login/verify", data={"code": _code(secret)})
    assert right.status_code == 302
    assert _logged_in(client)
    login_event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.kind == "login").order_by(AuditEvent.id.desc())
    ).first()
    assert login_event is not None and login_event.detail == "mfa=totp"
    assert "mfa_failed" in _kinds()


def test_second_step_keeps_the_next_page(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    response = client.post(
        "/login?next=/meetings/", data={"username": "noivu", "password": PASSWORD}
    )
    verify_url = response.headers["Location"]
    response = client.post(verify_url, data={"code": _code(secret)})
    assert response.headers["Location"] == "/meetings/"


def test_a_code_is_accepted_only_once(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _password_step(client)
    assert client.post("/login/verify", data={"code": _code(secret)}).status_code == 302
    client.post("/logout")
    _password_step(client)
    replay = client.post("/login/verify", data={"code": _code(secret)})
    assert WRONG_CODE in replay.get_data(as_text=True)
    # Nor an earlier step's code once a later one was used.
    earlier = client.post(
        "/login/verify", data={"code": _code(secret, FIXED_NOW - timedelta(seconds=30))}
    )
    assert WRONG_CODE in earlier.get_data(as_text=True)
    assert not _logged_in(client)
    # The next time step brings a new code, which works.
    later = FIXED_NOW + timedelta(seconds=30)
    _set_clock(app, later)
    assert client.post("/login/verify", data={"code": _code(secret, later)}).status_code == 302


def test_code_of_the_previous_step_works_a_future_one_does_not(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _password_step(client)
    ahead = client.post(
        "/login/verify", data={"code": _code(secret, FIXED_NOW + timedelta(seconds=30))}
    )
    assert WRONG_CODE in ahead.get_data(as_text=True)
    behind = client.post(
        "/login/verify", data={"code": _code(secret, FIXED_NOW - timedelta(seconds=30))}
    )
    assert behind.status_code == 302


def test_a_recovery_code_works_once(app, client, world) -> None:
    _secret, codes = _enable(app, world.lead_user)
    _password_step(client)
    # Typed in capitals with spaces instead of the dash: still the same code.
    typed = codes[3].upper().replace("-", " ")
    response = client.post("/login/verify", data={"code": typed}, follow_redirects=True)
    assert "còn lại 9 mã" in response.get_data(as_text=True)
    assert _logged_in(client)
    assert "mfa_recovery_used" in _kinds()
    client.post("/logout")
    _password_step(client)
    again = client.post("/login/verify", data={"code": codes[3]})
    assert WRONG_CODE in again.get_data(as_text=True)
    assert not _logged_in(client)
    assert mfa.recovery_codes_left(world.lead_user) == 9


def test_the_pending_step_expires(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _password_step(client)
    late = FIXED_NOW + timedelta(minutes=5, seconds=1)
    _set_clock(app, late)
    response = client.post("/login/verify", data={"code": _code(secret, late)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _logged_in(client)
    page = client.get("/login").get_data(as_text=True)
    assert "Phiên xác thực đã hết hạn" in page


def test_a_password_change_voids_the_pending_step(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _password_step(client)
    set_password(world.lead_user, "một mật khẩu hoàn toàn mới")
    db.session.commit()
    response = client.post("/login/verify", data={"code": _code(secret)})
    assert response.status_code == 302 and not _logged_in(client)


def test_the_second_step_is_rate_limited(app, client, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    _password_step(client)
    for _ in range(5):
        assert client.post("/login/verify", data={"code": "000000"}).status_code == 200
    locked = client.post("/login/verify", data={"code": _code(secret)})
    assert locked.status_code == 429
    assert "Nhập sai mã quá nhiều lần" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0
    assert not _logged_in(client)
    # Starting over with the password does not reset the count: it is kept per account.
    fresh = app.test_client()
    _password_step(fresh)
    assert fresh.post("/login/verify", data={"code": _code(secret)}).status_code == 429
    assert _kinds().count("mfa_failed") == 5 and "mfa_locked" in _kinds()


def test_verify_without_a_pending_login_goes_to_the_login_page(client, world) -> None:
    response = client.post("/login/verify", data={"code": "123456"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_needs_password_and_code_and_ends_other_sessions(app, login, world) -> None:
    secret, _codes = _enable(app, world.lead_user)
    other = app.test_client()
    _password_step(other)
    other.post("/login/verify", data={"code": _code(secret)})
    assert _logged_in(other)
    client = login(world.lead_user)
    later = FIXED_NOW + timedelta(seconds=30)
    _set_clock(app, later)
    wrong = client.post(
        "/profile/two-factor/disable", data={"off-password": PASSWORD, "off-code": "111111"}
    )
    assert WRONG_CODE in wrong.get_data(as_text=True)
    no_password = client.post(
        "/profile/two-factor/disable",
        data={"off-password": "sai", "off-code": _code(secret, later)},
    )
    assert "Mật khẩu hiện tại không đúng." in no_password.get_data(as_text=True)
    db.session.refresh(world.lead_user)
    assert world.lead_user.has_second_factor
    done = client.post(
        "/profile/two-factor/disable",
        data={"off-password": PASSWORD, "off-code": _code(secret, later)},
    )
    assert done.status_code == 302
    db.session.refresh(world.lead_user)
    assert not world.lead_user.has_second_factor and world.lead_user.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert _logged_in(client) and not _logged_in(other)
    assert "mfa_disabled" in _kinds()


def test_renewing_recovery_codes_replaces_the_old_ones(app, login, world) -> None:
    secret, old_codes = _enable(app, world.lead_user)
    client = login(world.lead_user)
    page = client.post(
        "/profile/two-factor/recovery-codes",
        data={"renew-password": PASSWORD, "renew-code": _code(secret)},
    ).get_data(as_text=True)
    new_codes = re.findall(r'<code class="token">([a-z2-9]{5}-[a-z2-9]{5})</code>', page)
    assert len(new_codes) == 10
    assert not mfa.use_recovery_code(world.lead_user, old_codes[0])
    assert mfa.use_recovery_code(world.lead_user, new_codes[0])
    assert "mfa_codes_renewed" in _kinds()


def test_changing_the_factor_is_rate_limited(app, login, world) -> None:
    _enable(app, world.lead_user)
    client = login(world.lead_user)
    for _ in range(5):
        response = client.post(
            "/profile/two-factor/disable", data={"off-password": "sai", "off-code": "000000"}
        )
        assert response.status_code == 200
    response = client.post(
        "/profile/two-factor/disable", data={"off-password": PASSWORD, "off-code": "000000"}
    )
    assert response.status_code == 429


def test_admin_resets_a_lost_second_factor(app, login, world) -> None:
    _enable(app, world.lead_user)
    user_session = login(world.lead_user)  # a session made before the reset
    assert _logged_in(user_session)
    admin = login(world.admin)
    assert "Huỷ xác thực hai lớp" in admin.get(f"/admin/users/{world.lead_user.id}").get_data(
        as_text=True
    )
    response = admin.post(f"/admin/users/{world.lead_user.id}/two-factor/reset")
    assert response.status_code == 302
    db.session.refresh(world.lead_user)
    assert not world.lead_user.has_second_factor
    assert not _logged_in(user_session)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == "mfa_reset")).one()
    assert event.actor_id == world.admin.id and event.username == "noivu"
    # The password alone logs in again.
    fresh = app.test_client()
    assert _password_step(fresh).status_code == 302 and _logged_in(fresh)


def test_a_password_set_by_the_admin_does_not_bypass_the_second_factor(app, login, world) -> None:
    _enable(app, world.lead_user)
    admin = login(world.admin)
    admin.post(
        f"/admin/users/{world.lead_user.id}",
        data={
            "username": "noivu",
            "full_name": "Hà Thị Lan",
            "unit_id": str(world.noivu.id),
            "role": "unit",
            "locale": "vi",
            "is_active": "y",
            "password": "mật khẩu do quản trị đặt",
        },
    )
    client = app.test_client()
    response = client.post(
        "/login", data={"username": "noivu", "password": "mật khẩu do quản trị đặt"}
    )
    assert "/login/verify" in response.headers["Location"]
    assert not _logged_in(client)


def test_only_admins_reset(app, login, world) -> None:
    _enable(app, world.lead_user)
    chair = login(world.chair)
    assert chair.post(f"/admin/users/{world.lead_user.id}/two-factor/reset").status_code == 403
    db.session.refresh(world.lead_user)
    assert world.lead_user.has_second_factor


def test_required_roles_must_enroll_before_anything_else(app, world) -> None:
    app.config["TRACKER_MFA_REQUIRED_ROLES"] = ["admin"]
    token = create_api_token(world.admin, "máy chủ báo cáo")
    db.session.commit()
    client = app.test_client()
    assert _password_step(client, "admin").status_code == 302
    for url in ("/admin/users", "/tasks/", "/profile"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/profile/two-factor")
    refused = client.post(f"/admin/users/{world.lead_user.id}", data={"username": "x"})
    assert refused.status_code == 302
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert "bắt buộc dùng xác thực hai lớp" in page
    # API tokens are the machine credential: not asked for a second factor.
    api = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    # Other roles are not concerned.
    unit = app.test_client()
    _password_step(unit, "noivu")
    assert unit.get("/tasks/mine").status_code == 200
    # Once enrolled, the admin works as before.
    secret = _secret_on_page(page)
    client.post("/profile/two-factor", data={"on-password": PASSWORD, "on-code": _code(secret)})
    assert client.get("/admin/users").status_code == 200
    assert client.post("/logout").status_code == 302


def test_unknown_required_role_stops_the_app(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TRACKER_MFA_REQUIRED_ROLES", "admin, chairman")
    with pytest.raises(RuntimeError, match="chairman"):
        load_config(str(tmp_path))
    monkeypatch.setenv("TRACKER_MFA_REQUIRED_ROLES", " Admin , chair")
    assert load_config(str(tmp_path))["TRACKER_MFA_REQUIRED_ROLES"] == ["admin", "chair"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found
    return found.group(1)


def test_csrf_on_the_second_factor_forms(backend, database_urls, tmp_path, world) -> None:
    protected = make_app(database_urls[backend], backend, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with protected.app_context():
        user = db.session.get(User, world.lead_user.id)
        secret, _codes = _enable(protected, user)
        admin_id = world.admin.id
    client = protected.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "noivu", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.post("/login/verify", data={"code": _code(secret)}).status_code == 400
    token = _csrf(client.get("/login/verify").get_data(as_text=True))
    ok = client.post("/login/verify", data={"code": _code(secret), "csrf_token": token})
    assert ok.status_code == 302
    for url in ("/profile/two-factor/disable", "/profile/two-factor/recovery-codes"):
        assert client.post(url, data={"off-password": PASSWORD}).status_code == 400, url
    admin = protected.test_client()
    token = _csrf(admin.get("/login").get_data(as_text=True))
    admin.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    reset = admin.post(f"/admin/users/{world.lead_user.id}/two-factor/reset")
    assert reset.status_code == 400
    enroll = admin.post("/profile/two-factor", data={"on-password": PASSWORD, "on-code": "1"})
    assert enroll.status_code == 400
    with protected.app_context():
        assert db.session.get(User, world.lead_user.id).has_second_factor
        assert db.session.get(User, admin_id).totp_enabled_dt is None
