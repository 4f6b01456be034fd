"""Login throttling, the audit log, API tokens shown once and revocable."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.factories import PASSWORD
from tracker.auth.models import ApiToken, AuditEvent
from tracker.auth.operations import user_for_token
from tracker.extensions import db


def _kinds() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.kind).order_by(AuditEvent.id)))


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_wrong_passwords_slow_the_account_down_without_locking_its_owner_out(app, world) -> None:
    # The owner logged in from their own browser once: it carries the device cookie.
    owner = app.test_client()
    assert owner.post("/login", data={"username": "noivu", "password": PASSWORD}).status_code == 302
    owner.post("/logout")
    # A guesser from rotating addresses: five wrong passwords cost nothing, the sixth sets a wait.
    guesser = app.test_client()
    for i in range(6):
        response = guesser.post(
            "/login", data={"username": "noivu", "password": "sai"}, **_from(f"203.0.113.{i}")
        )
        assert response.status_code == 200
    waiting = guesser.post(
        "/login", data={"username": "noivu", "password": PASSWORD}, **_from("203.0.113.99")
    )
    assert waiting.status_code == 429
    assert "Vui lòng chờ 30 giây" in waiting.get_data(as_text=True)
    assert 0 < int(waiting.headers["Retry-After"]) <= 30
    # Not locked: the owner's browser gets in at once, with the right password.
    back = owner.post("/login", data={"username": "noivu", "password": PASSWORD})
    assert back.status_code == 302
    # Another account is not slowed by these failures.
    assert (
        guesser.post("/login", data={"username": "tckh", "password": PASSWORD}).status_code == 302
    )
    assert _kinds().count("login_failed") == 6 and "login_locked" in _kinds()


def test_successful_logins_do_not_count(client, world) -> None:
    for _ in range(7):
        assert (
            client.post("/login", data={"username": "noivu", "password": PASSWORD}).status_code
            == 302
        )
        client.post("/logout")


def _redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_limits_shared_through_redis(backend, database_urls, tmp_path, world) -> None:
    if not _redis_running():
        pytest.skip("no Redis server on 127.0.0.1:6379 to share limits through")
    import redis

    redis.Redis().flushdb()
    url = "redis://127.0.0.1:6379"
    first = make_app(database_urls[backend], backend, tmp_path / "a", RATELIMIT_STORAGE_URI=url)
    for _ in range(6):
        first.test_client().post("/login", data={"username": "noivu", "password": "sai"})
    # A second web worker sees the same count.
    second = make_app(database_urls[backend], backend, tmp_path / "b", RATELIMIT_STORAGE_URI=url)
    response = second.test_client().post("/login", data={"username": "noivu", "password": PASSWORD})
    assert response.status_code == 429
    redis.Redis().flushdb()


def test_audit_log_records_and_filters(client, login, world) -> None:
    client.post("/login", data={"username": "noivu", "password": "sai"})
    client.post("/login", data={"username": "noivu", "password": PASSWORD})
    admin = login(world.admin)
    admin.post(
        f"/admin/users/{world.other_user.id}",
        data={
            "username": "tuphap",
            "full_name": "Lường Thị Mai",
            "unit_id": str(world.tuphap.id),
            "role": "office",
            "locale": "vi",
            "is_active": "y",
        },
    )
    assert _kinds() == ["login_failed", "login", "user_changed"]
    page = admin.get("/admin/audit?kind=user_changed").get_data(as_text=True)
    assert "role=office" in page and "login_failed" not in page.split("<tbody>")[1]
    assert login(world.chair).get("/admin/audit").status_code == 403


def test_token_shown_once_and_revocable(login, world) -> None:
    client = login(world.lead_user)
    page = client.post("/profile/tokens", data={"label": "Zalo bot"}).get_data(as_text=True)
    token = page.split('<code class="token">')[1].split("</code>")[0]
    assert user_for_token(token) == world.lead_user
    row = db.session.scalar(sa.select(ApiToken))
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert token not in client.get("/profile").get_data(as_text=True)
    # Someone else cannot revoke it.
    assert login(world.other_user).post(f"/profile/tokens/{row.id}/revoke").status_code == 404
    client.post(f"/profile/tokens/{row.id}/revoke")
    assert user_for_token(token) is None
    assert "token_created" in _kinds() and "token_revoked" in _kinds()
