"""Issue 19, sessions and redirects: logout and password change end copied cookies on the
server, a fresh remember token per login living 30 days (configurable), remember cookie flags
following the session cookie's, no open redirect through `next`, and no lockout by a third
party."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import FIXED_NOW, make_app
from tests.factories import PASSWORD, World
from tracker.config import load_config
from tracker.extensions import db, limiter


def _login(app: Flask, username: str, *, remember: bool = False, **kw: object) -> FlaskClient:
    client = app.test_client()
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, **kw)  # type: ignore[arg-type]
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _copy(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding copies of `client`'s cookies `names` (and nothing else)."""
    copy = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        copy.set_cookie(name, cookie.value)
    return copy


def _set_cookie(response: object, name: str) -> str:
    headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    return next(h for h in headers if h.startswith(name + "="))


# --- 1. logout and password change end the login on the server ------------------------------


def test_logout_invalidates_copied_session_cookie(app: Flask, world: World) -> None:
    browser = _login(app, "noivu")
    thief = _copy(app, browser, "session")
    assert thief.get("/profile").status_code == 200  # the copy works while the login lives
    browser.post("/logout")
    response = thief.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_invalidates_copied_remember_cookie(app: Flask, world: World) -> None:
    browser = _login(app, "noivu", remember=True)
    thief = _copy(app, browser, "remember_token")  # no session cookie: the remember one opens
    assert thief.get("/profile").status_code == 200
    thief_after = _copy(app, browser, "remember_token")
    browser.post("/logout")
    response = thief_after.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_invalidates_other_sessions_but_keeps_this_one(
    app: Flask, world: World
) -> None:
    phone = _login(app, "noivu", remember=True)
    desk = _login(app, "noivu")
    stolen = _copy(app, phone, "remember_token")
    response = desk.post(
        "/profile",
        data={"pw-current_password": PASSWORD, "pw-new_password": "Một mật khẩu mới dài"},
    )
    assert response.status_code == 302
    assert desk.get("/profile").status_code == 200  # the browser that changed it carries on
    assert phone.get("/profile").status_code == 302
    assert stolen.get("/profile").status_code == 302


def test_remember_token_is_fresh_per_login(app: Flask, world: World) -> None:
    first = _login(app, "noivu", remember=True).get_cookie("remember_token")
    second = _login(app, "noivu", remember=True).get_cookie("remember_token")
    assert first is not None and second is not None
    assert first.value != second.value
    # Only hashes of the keys are stored.
    from tracker.auth.models import LoginSession

    hashes = db.session.scalars(sa.select(LoginSession.key_hash)).all()
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    assert not any(h in first.value or h in second.value for h in hashes)


def test_remember_lifetime_is_30_days_and_ends_on_the_server(app: Flask, world: World) -> None:
    client = app.test_client()
    response = client.post(
        "/login", data={"username": "noivu", "password": PASSWORD, "remember": "y"}
    )
    header = _set_cookie(response, "remember_token")
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))  # type: ignore[union-attr]
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30.01, header
    copy = _copy(app, client, "remember_token")
    app.config["TRACKER_FIXED_NOW"] = FIXED_NOW + timedelta(days=29)
    assert copy.get("/profile").status_code == 200
    later = _copy(app, client, "remember_token")
    app.config["TRACKER_FIXED_NOW"] = FIXED_NOW + timedelta(days=30, minutes=1)
    assert later.get("/profile").status_code == 302  # the server ends it, whatever the cookie
    app.config["TRACKER_FIXED_NOW"] = FIXED_NOW


def test_remember_lifetime_is_configurable(app: Flask, world: World, monkeypatch, tmp_path) -> None:
    app.config["TRACKER_REMEMBER_DAYS"] = 7
    response = app.test_client().post(
        "/login", data={"username": "noivu", "password": PASSWORD, "remember": "y"}
    )
    header = _set_cookie(response, "remember_token")
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))  # type: ignore[union-attr]
    assert 6.9 < (expires - datetime.now(UTC)).total_seconds() / 86400 <= 7.01
    monkeypatch.setenv("TRACKER_REMEMBER_DAYS", "14")
    assert load_config(str(tmp_path))["TRACKER_REMEMBER_DAYS"] == 14
    monkeypatch.setenv("TRACKER_REMEMBER_DAYS", "0")
    with pytest.raises(RuntimeError, match="TRACKER_REMEMBER_DAYS"):
        load_config(str(tmp_path))


# --- 2. the remember cookie's flags follow the session cookie's ------------------------------


def test_remember_cookie_flags_follow_session_cookie(
    backend: str, database_urls: dict[str, str], tmp_path, world: World
) -> None:
    secure = make_app(
        database_urls[backend],
        backend,
        tmp_path / "secure",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    with secure.app_context():
        response = secure.test_client().post(
            "/login",
            data={"username": "noivu", "password": PASSWORD, "remember": "y"},
            base_url="https://localhost",
        )
        remember = _set_cookie(response, "remember_token")
        session = _set_cookie(response, "session")
        db.session.remove()
    for cookie in (remember, session):
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Strict" in cookie


# --- 3. no open redirect through `next` ------------------------------------------------------

OPEN_REDIRECTS = [
    "%2F%09%2Fevil.example%2Fphish",  # "/\t/evil.example/phish": browsers drop the tab
    "%2F%0A%2Fevil.example",
    "%2F%0D%0A%2Fevil.example",
    "%09%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "%2F%5Cevil.example",  # "/\evil.example": a backslash is a slash to browsers
    "%5C%5Cevil.example",
    "%2F%5C%2Fevil.example",
    "https%3A%2F%2Fevil.example%2F",
    "%2F%2F%2Fevil.example",
    "javascript%3Aalert(1)",
    "%2F%E2%80%AE%2Fevil.example",  # a right-to-left override
    "%2F%C2%A0%2Fevil.example",
    "evil.example",
]


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_login_next_refuses_open_redirect(app: Flask, world: World, payload: str) -> None:
    response = app.test_client().post(
        f"/login?next={payload}", data={"username": "noivu", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost") and not parts.path.startswith("//"), location
    assert "evil" not in location and "javascript" not in location


def test_login_next_keeps_a_path_of_this_site(app: Flask, world: World) -> None:
    client = app.test_client()
    sent = client.get("/tasks/?q=n%E1%BB%99i%20v%E1%BB%A5&status=new")
    login_url = sent.headers["Location"]
    response = client.post(login_url, data={"username": "noivu", "password": PASSWORD})
    assert response.headers["Location"] == "/tasks/?q=n%E1%BB%99i%20v%E1%BB%A5&status=new"


# --- lockout: growing delays instead of a lock a third party can set -------------------------


def _guess(app: Flask, username: str, address: str, password: str = "sai") -> object:
    return app.test_client().post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_third_party_cannot_lock_a_chair_out(app: Flask, world: World) -> None:
    chair = _login(app, "chutich")  # the chair's own browser: it carries the device cookie
    chair.post("/logout")
    for i in range(20):  # twenty guesses from twenty addresses
        _guess(app, "chutich", f"198.51.100.{i}")
    assert _guess(app, "chutich", "198.51.100.200", PASSWORD).status_code == 429
    response = chair.post("/login", data={"username": "chutich", "password": PASSWORD})
    assert response.status_code == 302  # in at once, no lock to wait out


def test_delays_grow_per_account_and_stop_at_the_longest(app: Flask, world: World) -> None:
    app.config["TRACKER_LOGIN_MAX_DELAY_SECONDS"] = 100
    waits = []
    for i in range(5):
        assert _guess(app, "tckh", f"192.0.2.{i}").status_code == 200  # free
    for i in range(4):
        assert _guess(app, "tckh", f"192.0.2.{10 + i}").status_code == 200  # counted
        blocked = _guess(app, "tckh", f"192.0.2.{20 + i}", PASSWORD)
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
        # The wait is over (the storage's clock is real time: skip it rather than sleep).
        limiter.storage.clear("login-account:tckh:wait")
    assert waits[0] <= 30 < waits[1] <= 60 < waits[2] <= 100 and waits[3] <= 100
    assert _guess(app, "tckh", "192.0.2.99", PASSWORD).status_code == 302
