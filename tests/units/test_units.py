"""The unit directory: operations and admin pages."""

from __future__ import annotations

import pytest

from tracker.core.errors import ValidationError
from tracker.extensions import db
from tracker.units.models import Unit
from tracker.units.operations import add_alias, find_unit, save_unit


def test_find_unit_by_name_alias_and_short_name_without_diacritics(world) -> None:
    assert find_unit("phong noi vu") is world.noivu
    assert find_unit("PHÒNG TC-KH") is world.taichinh
    assert find_unit("TC-KH") is world.taichinh
    assert find_unit("Phòng không có") is None


def test_duplicate_name_and_alias_refused(world) -> None:
    with pytest.raises(ValidationError) as error:
        save_unit(None, name="phong noi vu")
    assert "name" in error.value.errors
    with pytest.raises(ValidationError) as error:
        save_unit(None, name="Phòng Mới", aliases=["Phòng TC-KH"])
    assert "aliases" in error.value.errors


def test_parent_cycle_refused(world) -> None:
    child = save_unit(None, name="Tổ công tác", parent=world.noivu)
    with pytest.raises(ValidationError) as error:
        save_unit(world.noivu, name="Phòng Nội vụ", parent=child)
    assert "parent" in error.value.errors


def test_add_alias_is_idempotent(world) -> None:
    add_alias(world.noivu, "Phòng NV")
    add_alias(world.noivu, "phong nv")
    db.session.commit()
    assert [a.alias for a in world.noivu.aliases] == ["Phòng NV"]


def test_another_units_own_name_is_never_learned_as_an_alias(world) -> None:
    # A clerk who picks Phòng Nội vụ for a row whose notice wrote "Phòng Tư pháp" has fixed one
    # notice; the name stays Phòng Tư pháp's for every later one.
    add_alias(world.noivu, world.tuphap.name.upper())
    db.session.commit()
    assert world.noivu.aliases == []
    assert find_unit("Phòng Tư pháp") == world.tuphap


def test_admin_creates_unit_with_aliases(login, world) -> None:
    client = login(world.admin)
    response = client.post(
        "/admin/units/new",
        data={
            "name": "Phòng Y tế",
            "short_name": "Y tế",
            "kind": "department",
            "parent_id": "0",
            "aliases": "Phòng YT\nPhong Y te huyen",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(db.select(Unit).where(Unit.name == "Phòng Y tế"))
    assert sorted(a.alias for a in unit.aliases) == ["Phong Y te huyen", "Phòng YT"]
    listing = client.get("/admin/units/?q=y te").get_data(as_text=True)
    assert "Phòng Y tế" in listing and "Phòng Nội vụ" not in listing


def test_unit_form_keeps_input_on_error(login, world) -> None:
    client = login(world.admin)
    response = client.post(
        "/admin/units/new",
        data={
            "name": "Phòng Nội vụ",
            "short_name": "Giữ nguyên",
            "kind": "department",
            "parent_id": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã có đơn vị tên này." in page and 'value="Giữ nguyên"' in page


@pytest.mark.parametrize("who", ["chair", "office", "lead_user"])
def test_only_admins_manage_units(login, world, who) -> None:
    assert login(getattr(world, who)).get("/admin/units/").status_code == 403
    assert login(getattr(world, who)).get("/admin/users").status_code == 403


def test_admin_manages_users(login, world) -> None:
    client = login(world.admin)
    response = client.post(
        "/admin/users/new",
        data={
            "username": "tuphap2",
            "full_name": "Cán bộ Tư pháp",
            "email": "tuphap2@vanho.example",
            "unit_id": str(world.tuphap.id),
            "role": "unit",
            "locale": "en",
            "is_active": "y",
            "password": "mật khẩu đủ dài",
        },
    )
    assert response.status_code == 302
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Cán bộ Tư pháp" in listing
    # A unit user without a unit is refused, and what was typed stays.
    response = client.post(
        "/admin/users/new",
        data={
            "username": "x1",
            "full_name": "Không Đơn Vị",
            "unit_id": "0",
            "role": "unit",
            "locale": "vi",
            "password": "mật khẩu đủ dài",
        },
    )
    page = response.get_data(as_text=True)
    assert "phải thuộc một đơn vị" in page and 'value="Không Đơn Vị"' in page
