"""Fixtures of the hand-down tests: the small world plus a head and two officers of the lead
unit (Phòng Nội vụ) and a child unit under it; the real SMTP server of the reminder tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from tests import factories
from tests.reminders.conftest import mail_app, run, smtp  # noqa: F401  (fixtures)
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.subtasks import operations
from tracker.subtasks.models import Subtask
from tracker.units.models import Unit


@dataclass
class Unit3:
    """The people of the hand-down."""

    head: User
    officer: User
    officer2: User
    child: Unit
    child_member: User


@pytest.fixture
def hd(world: factories.World) -> Unit3:
    """A head and two officers in the lead unit, a child unit with one member."""
    head = factories.make_user(
        Role.UNIT_HEAD, world.noivu, "truongnoivu", full_name="Trưởng Phòng Nội Vụ"
    )
    officer = factories.make_user(Role.UNIT, world.noivu, "canbo1", full_name="Cán Bộ Một")
    officer2 = factories.make_user(Role.UNIT, world.noivu, "canbo2", full_name="Cán Bộ Hai")
    child = factories.make_unit("Tổ Văn thư - Lưu trữ", parent=world.noivu)
    child_member = factories.make_user(Role.UNIT, child, "vanthu", full_name="Văn Thư")
    db.session.commit()
    return Unit3(head, officer, officer2, child, child_member)


TODAY = date(2017, 4, 10)


def give(world: factories.World, hd: Unit3, **kw: Any) -> Subtask:
    """The head gives a part of the world's task (to the first officer unless told), committed."""
    values: dict[str, Any] = {
        "actor": hd.head,
        "content": "Rà soát thủ tục hành chính",
        "deadline": date(2017, 4, 18),
        "today": TODAY,
        "assignee": hd.officer,
    }
    values.update(kw)
    subtask = operations.create_subtask(world.task, **values)
    db.session.commit()
    return subtask
