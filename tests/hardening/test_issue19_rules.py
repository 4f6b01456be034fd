"""Issue 19, rules: the last active admin stays (web and command line), web forms without a
version are stale, one-line fields refuse control characters, invisible-only text is empty,
and common passwords are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import PASSWORD, World, make_user
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import Task, TaskEvent
from tracker.units.models import Unit


def _user_form(user: User, **changes: str) -> dict[str, str]:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email or "",
        "unit_id": str(user.unit_id or 0),
        "role": user.role,
        "locale": "vi",
        "is_active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _fresh(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


# --- 7. the last active admin ----------------------------------------------------------------


def test_last_active_admin_cannot_be_demoted_or_deactivated_on_the_web(login, world: World) -> None:
    admin = login(world.admin)
    demote = admin.post(
        f"/admin/users/{world.admin.id}", data=_user_form(world.admin, role="office")
    )
    page = demote.get_data(as_text=True)
    assert demote.status_code == 200 and "quản trị viên cuối cùng đang hoạt động" in page
    form = _user_form(world.admin)
    del form["is_active"]  # the box unticked
    deactivate = admin.post(f"/admin/users/{world.admin.id}", data=form)
    assert "quản trị viên cuối cùng đang hoạt động" in deactivate.get_data(as_text=True)
    user = _fresh(world.admin)
    assert (user.role, user.is_active_user) == ("admin", True)
    # With a second active admin, the first may step down.
    make_user(Role.ADMIN, None, "admin2")
    db.session.commit()
    assert (
        admin.post(
            f"/admin/users/{world.admin.id}", data=_user_form(world.admin, role="office")
        ).status_code
        == 302
    )
    assert _fresh(world.admin).role == "office"


def test_last_active_admin_cannot_be_demoted_or_deactivated_from_the_command_line(
    runner, world: World
) -> None:
    result = runner.invoke(args=["users", "set-role", "admin", "chair"])
    assert result.exit_code == 1 and "quản trị viên cuối cùng" in result.output
    result = runner.invoke(args=["users", "deactivate", "admin"])
    assert result.exit_code == 1 and "quản trị viên cuối cùng" in result.output
    assert (_fresh(world.admin).role, _fresh(world.admin).is_active_user) == ("admin", True)
    # Other users are changed, their logins ended, and the change is in the audit log.
    version = world.chair.session_version
    assert runner.invoke(args=["users", "deactivate", "chutich"]).exit_code == 0
    chair = _fresh(world.chair)
    assert not chair.is_active_user and chair.session_version == version + 1
    assert runner.invoke(args=["users", "set-role", "tckh", "office"]).exit_code == 0
    assert _fresh(world.coord_user).role == "office"


# --- 8. a web form without a version is stale ------------------------------------------------


@pytest.mark.parametrize("version", ["", " ", None])
def test_empty_version_is_stale(login, world: World, version: str | None) -> None:
    data = {
        "progress-note": "Báo cáo từ một trang cũ",
        "progress-progress": "30",
    }
    if version is not None:
        data["progress-version"] = version
    response = login(world.lead_user).post(f"/tasks/{world.task.id}/progress", data=data)
    assert response.status_code == 409
    assert "Báo cáo từ một trang cũ" in response.get_data(as_text=True)  # kept as typed
    db.session.expire_all()
    task = db.session.get(Task, world.task.id)
    assert (task.progress, task.version) == (0, 1)


def test_edit_form_with_empty_version_is_stale(login, world: World) -> None:
    response = login(world.office).post(
        f"/tasks/{world.task.id}/edit",
        data={
            "content": "Nội dung sửa từ một trang cũ",
            "lead_unit_id": str(world.noivu.id),
            "coordinating_unit_ids": [str(world.taichinh.id)],
            "responsible_id": str(world.lead_user.id),
            "deadline": "28/04/2017",
            "reason": "Sửa theo chỉ đạo",
            "version": "",
        },
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Task, world.task.id).content.startswith("Xây dựng kế hoạch")


# --- 12. control characters in one-line fields -----------------------------------------------

CONTROLS = ["\r\nBcc: x@evil.example", "\n", "\t", "\x1b[31m", "\u202e", "\u2028", "\x85"]


@pytest.mark.parametrize("bad", CONTROLS, ids=[repr(c)[1:8] for c in CONTROLS])
def test_control_characters_refused_in_single_line_fields(login, world: World, bad: str) -> None:
    message = "không được chứa ký tự điều khiển"
    lead = login(world.lead_user)
    profile = lead.post(
        "/profile",
        data={"profile-full_name": f"Hà Thị Lan{bad}", "profile-email": "", "profile-locale": "vi"},
    )
    assert profile.status_code == 200 and message in profile.get_data(as_text=True)
    assert _fresh(world.lead_user).full_name == "Hà Thị Lan"
    admin = login(world.admin)
    users = admin.post(
        f"/admin/users/{world.other_user.id}",
        data=_user_form(world.other_user, full_name=f"Lường Thị Mai{bad}"),
    )
    assert message in users.get_data(as_text=True)
    units = admin.post("/admin/units/new", data={"name": f"Phòng Y tế{bad}", "kind": "department"})
    assert message in units.get_data(as_text=True)
    assert db.session.scalar(sa.select(Unit).where(Unit.name.like("Phòng Y tế%"))) is None
    meeting = login(world.office).post(
        "/meetings/new",
        data={"title": f"Họp{bad}giao ban", "held_on": "2017-04-10", "chair_id": "0"},
    )
    assert message in meeting.get_data(as_text=True)
    assert db.session.scalar(sa.select(Meeting).where(Meeting.title.like("Họp%giao ban"))) is None


def test_control_characters_refused_when_creating_users_from_the_command_line(
    runner, world: World
) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "moi",
            "--full-name",
            "Người\r\nBcc: x@evil.example",
            "--password-stdin",
        ],
        input="một mật khẩu đủ dài\n",
    )
    assert result.exit_code == 1 and "ký tự điều khiển" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "moi")) is None


# --- 14. invisible-only text is empty; common passwords --------------------------------------

ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060 \u200b"


def test_zero_width_only_content_is_refused_as_empty(login, api_client, world: World) -> None:
    coordinating = login(world.coord_user)
    comment = coordinating.post(
        f"/tasks/{world.task.id}/comment", data={"comment-note": ZERO_WIDTH}
    )
    assert comment.status_code == 422 and "Vui lòng điền mục này" in comment.get_data(as_text=True)
    task = login(world.office).post(
        f"/meetings/{world.meeting.id}/tasks/new",
        data={"content": ZERO_WIDTH, "lead_unit_id": str(world.noivu.id)},
    )
    assert task.status_code in (200, 422) and "Vui lòng" in task.get_data(as_text=True)
    api = api_client(world.lead_user).post(
        f"/api/v1/tasks/{world.task.id}/updates", json={"note": ZERO_WIDTH, "version": 1}
    )
    assert api.status_code == 422 and "note" in api.json["errors"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskEvent)) == 1  # created
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_common_passwords_are_refused(login, world: World) -> None:
    from tracker.auth.operations import common_passwords

    assert len(common_passwords()) > 10_000
    client = login(world.lead_user)
    for common in ("1234567890", "qwertyuiop", "Password123"):
        response = client.post(
            "/profile", data={"pw-current_password": PASSWORD, "pw-new_password": common}
        )
        assert "danh sách mật khẩu phổ biến" in response.get_data(as_text=True), common
    admin = login(world.admin)
    created = admin.post(
        "/admin/users/new",
        data={
            "username": "nguoimoi",
            "full_name": "Người Mới",
            "unit_id": str(world.noivu.id),
            "role": "unit",
            "locale": "vi",
            "is_active": "y",
            "password": "iloveyou123",
        },
    )
    assert "danh sách mật khẩu phổ biến" in created.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "nguoimoi")) is None
    # A password of the user's own making is taken.
    ok = client.post(
        "/profile",
        data={"pw-current_password": PASSWORD, "pw-new_password": "Sông Đà chảy qua Vân Hồ"},
    )
    assert ok.status_code == 302


@pytest.fixture
def api_client(app: Flask):  # type: ignore[no-untyped-def]
    """`api_client(user)`: a client sending a bearer token of `user`."""
    from tracker.auth.operations import create_api_token

    def _client(user: User):  # type: ignore[no-untyped-def]
        token = create_api_token(user, "test")
        db.session.commit()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return _client
