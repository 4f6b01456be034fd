"""A coordinating unit's head hands down the unit's own contribution (phối hợp) to its
officers: the parts are shown under that unit only (its members, and read-only the chair,
the office and admins), never to the lead unit and never in the task's roll-up."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from tests.api.conftest import ApiClient
from tests.api.openapi_check import OpenApiChecker
from tests.subtasks.conftest import TODAY, give
from tracker.api.openapi import openapi_document
from tracker.auth.models import Role
from tracker.auth.operations import create_api_token
from tracker.core.errors import ValidationError
from tracker.extensions import db
from tracker.subtasks import operations


@pytest.fixture
def coord_head(world):  # type: ignore[no-untyped-def]
    """The head of Phòng Tài chính - Kế hoạch, which coordinates the world's task."""
    head = factories.make_user(
        Role.UNIT_HEAD, world.taichinh, "truongtckh", full_name="Trưởng Phòng TCKH"
    )
    db.session.commit()
    return head


def _give_coordinating(world, coord_head, **kw):  # type: ignore[no-untyped-def]
    values = {
        "actor": coord_head,
        "content": "Thẩm định dự toán kinh phí kiểm tra",
        "deadline": date(2017, 4, 17),
        "today": TODAY,
        "assignee": world.coord_user,
    }
    values.update(kw)
    part = operations.create_subtask(world.task, **values)
    db.session.commit()
    return part


def test_a_coordinating_head_gives_a_part_of_its_own_contribution(world, hd, coord_head) -> None:
    part = _give_coordinating(world, coord_head)
    assert (part.unit_id, part.is_coordinating) == (world.taichinh.id, True)
    # Only to the coordinating unit's own officers, and within the task's deadline.
    for kw in ({"assignee": hd.officer}, {"deadline": date(2017, 4, 21)}):
        with pytest.raises(ValidationError):
            _give_coordinating(world, coord_head, **kw)
    lead_part = give(world, hd)
    assert (lead_part.unit_id, lead_part.is_coordinating) == (world.noivu.id, False)


def test_the_rollup_counts_the_lead_units_parts_only(world, hd, coord_head, login) -> None:
    lead_part = give(world, hd)
    coord_part = _give_coordinating(world, coord_head)
    operations.report_subtask(
        coord_part,
        actor=world.coord_user,
        note="Đã thẩm định",
        progress=None,
        done=True,
        today=TODAY,
        seen_version=1,
    )
    operations.decide_subtask(
        coord_part, actor=coord_head, decision="confirm", reason="", seen_version=2
    )
    db.session.commit()

    lead = login(world.lead_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "0/1 việc đã hoàn thành" in lead  # the coordinating part, done, is not counted
    assert lead_part.content in lead
    assert coord_part.content not in lead and "Phần phối hợp" not in lead
    assert "Đã thẩm định" not in lead  # nor in the report drafted from the parts

    coord = login(world.coord_user).get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Phần phối hợp của Phòng Tài chính - Kế hoạch" in coord
    assert coord_part.content in coord and "1/1 việc đã hoàn thành" in coord
    assert lead_part.content not in coord  # the lead unit's breakdown stays its own
    assert "Điền báo cáo từ các việc đã giao" not in coord

    # The assigner sees both, the coordinating part under its unit, read-only.
    chair = login(world.chair)
    page = chair.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "0/1 việc đã hoàn thành" in page
    assert page.index(lead_part.content) < page.index("Phần phối hợp của Phòng Tài chính")
    assert page.index("Phần phối hợp của Phòng Tài chính") < page.index(coord_part.content)
    detail = chair.get(f"/subtasks/{coord_part.id}").get_data(as_text=True)
    assert coord_part.content in detail
    assert f"/subtasks/{coord_part.id}/decision" not in detail
    assert f"/subtasks/{coord_part.id}/edit" not in detail
    assert chair.get(f"/subtasks/{coord_part.id}/edit").status_code == 403


def test_each_head_manages_its_own_units_parts_only(world, hd, coord_head, login) -> None:
    lead_part = give(world, hd)
    coord_part = _give_coordinating(world, coord_head)
    coord = login(coord_head)
    page = coord.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Giao phần phối hợp cho cán bộ" in page
    assert coord.get(f"/subtasks/{lead_part.id}").status_code == 404
    response = coord.post(
        f"/subtasks/{coord_part.id}/edit",
        data={
            "assignee": f"u{world.coord_user.id}",
            "content": "Thẩm định dự toán",
            "deadline": "17/04/2017",
            "version": "1",
        },
    )
    assert response.status_code == 302
    db.session.refresh(coord_part)
    assert coord_part.content == "Thẩm định dự toán"
    # The lead unit's head and officers do not know the coordinating part.
    assert login(hd.head).get(f"/subtasks/{coord_part.id}").status_code == 404
    assert login(hd.head).get(f"/subtasks/{coord_part.id}/edit").status_code == 404
    # The break-down form lists this unit's parts only, and says what they are.
    form = coord.get(f"/tasks/{world.task.id}/subtasks/new").get_data(as_text=True)
    assert "phần phối hợp của đơn vị" in form
    assert "Thẩm định dự toán" in form and lead_part.content not in form
    # "Việc của tôi": the head's list of parts given, marked as the unit's coordinating part.
    mine = coord.get("/my-work").get_data(as_text=True)
    assert "Thẩm định dự toán" in mine and "phần phối hợp" in mine


def test_the_per_officer_views_are_by_the_unit_that_gave_the_parts(world, hd, coord_head) -> None:
    give(world, hd)
    _give_coordinating(world, coord_head)
    assert [r.name for r in operations.officer_summary(world.taichinh.id, TODAY)] == [
        world.coord_user.full_name
    ]
    assert [r.name for r in operations.officer_summary(world.noivu.id, TODAY)] == ["Cán Bộ Một"]


@pytest.fixture
def api(app, world, hd):  # type: ignore[no-untyped-def]
    checker = OpenApiChecker(openapi_document())

    def _api(user):  # type: ignore[no-untyped-def]
        token = create_api_token(user, "test")
        db.session.commit()
        return ApiClient(app, checker, token)

    return _api


def test_the_api_shows_each_unit_its_own_parts(world, hd, coord_head, api) -> None:
    give(world, hd)
    created = api(coord_head).post(
        f"/api/v1/tasks/{world.task.id}/subtasks",
        json={
            "assignee_id": world.coord_user.id,
            "content": "Thẩm định dự toán",
            "deadline": "2017-04-17",
            "version": world.task.version,
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["is_coordinating"] is True
    assert created.json["unit"] == {"id": world.taichinh.id, "name": world.taichinh.name}

    def seen(user):  # type: ignore[no-untyped-def]
        task = api(user).get(f"/api/v1/tasks/{world.task.id}").json
        return sorted((s["content"], s["is_coordinating"]) for s in task["subtasks"])

    lead_only = [("Rà soát thủ tục hành chính", False)]
    coord_only = [("Thẩm định dự toán", True)]
    assert seen(world.lead_user) == lead_only
    assert seen(hd.head) == lead_only
    assert seen(world.coord_user) == coord_only
    assert seen(world.chair) == sorted(lead_only + coord_only)
    assert api(world.other_user).get(f"/api/v1/tasks/{world.task.id}").status_code == 404
