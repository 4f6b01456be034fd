"""Logging in and out, sessions, CSRF, the profile."""

from __future__ import annotations

from tests.conftest import make_app
from tests.factories import PASSWORD
from tracker.auth.operations import authenticate, set_password
from tracker.extensions import db

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def test_login_and_logout(client, world) -> None:
    response = client.post("/login", data={"username": "noivu", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/tasks/mine").get_data(as_text=True)
    assert "Xây dựng kế hoạch khắc phục" in page
    client.post("/logout")
    assert client.get("/tasks/mine").status_code == 302


def test_wrong_password_and_unknown_user_read_the_same(client, world) -> None:
    wrong_password = client.post("/login", data={"username": "noivu", "password": "nope"})
    unknown_user = client.post("/login", data={"username": "nobody", "password": "nope"})
    assert WRONG in wrong_password.get_data(as_text=True)
    assert WRONG in unknown_user.get_data(as_text=True)
    assert wrong_password.status_code == unknown_user.status_code == 200


def test_deactivated_user_cannot_log_in(client, world) -> None:
    response = client.post("/login", data={"username": "nghiviec", "password": PASSWORD})
    assert WRONG in response.get_data(as_text=True)


def test_username_is_case_insensitive(client, world) -> None:
    response = client.post("/login", data={"username": "  NoiVu ", "password": PASSWORD})
    assert response.status_code == 302


def test_password_change_ends_other_sessions(app, world) -> None:
    other_session = app.test_client()
    other_session.post("/login", data={"username": "noivu", "password": PASSWORD})
    assert other_session.get("/tasks/mine").status_code == 200
    set_password(world.lead_user, "a brand new passphrase")
    db.session.commit()
    assert other_session.get("/tasks/mine").status_code == 302
    assert authenticate("noivu", "a brand new passphrase") is not None


def test_session_cookie_flags(client, world) -> None:
    response = client.post("/login", data={"username": "noivu", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_argon2_hashes(world) -> None:
    assert world.lead_user.password_hash.startswith("$argon2id$")


def test_csrf_is_enforced(backend, database_urls, tmp_path, world) -> None:
    protected = make_app(database_urls[backend], backend, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/login", data={"username": "noivu", "password": PASSWORD})
    assert response.status_code == 400
    assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True)


def test_english_on_request_and_remembered(login, world) -> None:
    client = login(world.lead_user)
    assert "Việc của đơn vị" in client.get("/tasks/mine").get_data(as_text=True)
    client.post("/language/en")
    db.session.refresh(world.lead_user)
    assert world.lead_user.locale == "en"
    assert "Unit tasks" in client.get("/tasks/mine").get_data(as_text=True)


def test_profile_password_policy_keeps_form(login, world) -> None:
    client = login(world.lead_user)
    response = client.post(
        "/profile", data={"pw-current_password": PASSWORD, "pw-new_password": "short"}
    )
    assert "ít nhất 10 ký tự" in response.get_data(as_text=True)
    response = client.post(
        "/profile",
        data={"pw-current_password": PASSWORD, "pw-new_password": "noivu-is-my-name"},
    )
    assert "không được chứa tên đăng nhập" in response.get_data(as_text=True)
