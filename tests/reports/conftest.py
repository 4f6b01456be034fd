"""A fixed district for report tests: three units, two meetings, sixteen tasks around April 2017.

Today is Monday 10/04/2017 (tests/conftest.py FIXED_NOW). The numbers in the comments are
the task numbers the tests refer to; the expected counts are worked out by hand in
test_operations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from tests.factories import make_meeting, make_task, make_unit, make_user
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import Task
from tracker.units.models import Unit, UnitKind


@dataclass
class Dataset:
    """Units, users, meetings and the numbered tasks."""

    a: Unit
    b: Unit
    c: Unit
    office: User
    chair: User
    a_user: User
    b_user: User
    m1: Meeting
    m2: Meeting
    tasks: dict[int, Task]


# number: (meeting, lead, deadline, status, completed_on, extension: original deadline or None)
SPEC: dict[int, tuple[str, str, date | None, str, date | None, date | None]] = {
    1: ("m1", "a", date(2017, 4, 5), "done", date(2017, 4, 4), None),
    2: ("m1", "a", date(2017, 4, 5), "done", date(2017, 4, 7), None),
    3: ("m1", "a", date(2017, 4, 6), "in_progress", None, None),
    4: ("m1", "a", date(2017, 4, 10), "new", None, None),
    5: ("m1", "a", date(2017, 4, 20), "in_progress", None, None),
    6: ("m1", "a", date(2017, 4, 25), "done", date(2017, 4, 8), None),
    7: ("m1", "a", date(2017, 4, 3), "submitted", None, None),
    8: ("m1", "a", date(2017, 4, 7), "paused", None, None),
    9: ("m1", "a", date(2017, 4, 7), "cancelled", None, None),
    10: ("m1", "a", date(2017, 3, 30), "in_progress", None, None),
    11: ("m1", "a", None, "new", None, None),
    12: ("m1", "a", date(2017, 4, 8), "done", date(2017, 4, 8), date(2017, 3, 31)),
    13: ("m1", "b", date(2017, 4, 1), "done", date(2017, 4, 1), None),
    14: ("m2", "b", date(2017, 5, 15), "new", None, None),
    15: ("m1", "b", date(2017, 4, 9), "returned", None, date(2017, 4, 2)),
    16: ("m2", "c", date(2017, 7, 5), "new", None, None),
}


def build_dataset() -> Dataset:
    """Create the dataset and commit it."""
    office_unit = make_unit("Văn phòng HĐND và UBND huyện", kind=UnitKind.OFFICE)
    a = make_unit("Phòng Nội vụ", short_name="Nội vụ", aliases=["Phòng NV"])
    b = make_unit("Phòng Tài chính - Kế hoạch", short_name="TC-KH", aliases=["Phòng TC-KH"])
    c = make_unit("Phòng Tư pháp")
    office = make_user(Role.OFFICE, office_unit, "vanphong", full_name="Lò Thị Hoa")
    chair = make_user(Role.CHAIR, None, "chutich", full_name="Nguyễn Huy Anh")
    a_user = make_user(Role.UNIT, a, "noivu", full_name="Hà Thị Lan")
    b_user = make_user(Role.UNIT, b, "tckh", full_name="Vì Văn Quang")
    m1 = make_meeting(
        office,
        held_on=date(2017, 3, 20),
        title="Hội nghị giao ban tháng 3",
        chair=chair,
        notice_number="45/TB-UBND",
        notice_issued_on=date(2017, 3, 22),
    )
    m2 = make_meeting(office, held_on=date(2017, 4, 3), title="Họp bàn kế hoạch quý II")
    meetings = {"m1": m1, "m2": m2}
    units = {"a": a, "b": b, "c": c}
    tasks: dict[int, Task] = {}
    for number, (meeting, lead, deadline, status, completed_on, original) in SPEC.items():
        coordinating = [c] if number in (1, 3) else [a] if number == 14 else []
        task = make_task(
            meetings[meeting],
            office,
            units[lead],
            content=f"Nhiệm vụ số {number}: rà soát thủ tục hành chính",
            coordinating_units=coordinating,
            deadline=deadline,
        )
        task.status = status
        task.completed_on = completed_on
        if original is not None:
            task.original_deadline = original
            task.extension_count = 1
        tasks[number] = task
    db.session.commit()
    return Dataset(a, b, c, office, chair, a_user, b_user, m1, m2, tasks)


@pytest.fixture
def data(app) -> Dataset:  # type: ignore[no-untyped-def]
    """The fixed dataset, committed."""
    return build_dataset()
