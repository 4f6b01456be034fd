"""Factories for units, users, meetings and tasks, and a small world built from them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from tracker.auth.models import Role, User
from tracker.auth.operations import create_user
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.meetings.operations import save_meeting
from tracker.tasks.models import Task
from tracker.tasks.operations import create_task
from tracker.units.models import Unit, UnitKind
from tracker.units.operations import save_unit

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_unit(name: str | None = None, kind: str = UnitKind.DEPARTMENT, **kw: object) -> Unit:
    """A unit with a unique name."""
    return save_unit(None, name=name or f"Phòng Thử nghiệm {next(_seq)}", kind=kind, **kw)  # type: ignore[arg-type]


def make_user(
    role: str = Role.UNIT, unit: Unit | None = None, username: str | None = None, **kw: object
) -> User:
    """A user with the test password."""
    username = username or f"user{next(_seq)}"
    return create_user(
        username=username,
        full_name=kw.pop("full_name", username.title()),  # type: ignore[arg-type]
        password=PASSWORD,
        role=str(role),
        unit=unit,
        email=kw.pop("email", f"{username}@vanho.example"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def make_meeting(actor: User, held_on: date = date(2017, 4, 4), **kw: object) -> Meeting:
    """A meeting held on `held_on`."""
    return save_meeting(
        None,
        actor=actor,
        title=kw.pop("title", "Hội nghị cải cách hành chính"),  # type: ignore[arg-type]
        held_on=held_on,
        **kw,  # type: ignore[arg-type]
    )


def make_task(meeting: Meeting, actor: User, lead: Unit, **kw: object) -> Task:
    """A task of `meeting` led by `lead`."""
    return create_task(
        meeting,
        actor=actor,
        content=kw.pop("content", f"Xây dựng kế hoạch số {next(_seq)}"),  # type: ignore[arg-type]
        lead_unit=lead,
        **kw,  # type: ignore[arg-type]
    )


@dataclass
class World:
    """Units, one user per role, and a meeting with a task for each relation."""

    office_unit: Unit
    leadership: Unit
    noivu: Unit
    taichinh: Unit
    tuphap: Unit
    admin: User
    chair: User
    office: User
    lead_user: User  # Phòng Nội vụ: leads `task`
    coord_user: User  # Phòng Tài chính - Kế hoạch: coordinates `task`
    other_user: User  # Phòng Tư pháp: unrelated to `task`
    inactive_user: User  # Phòng Nội vụ, deactivated
    meeting: Meeting
    task: Task

    def people(self, *, inactive: bool = True) -> dict[str, User]:
        """The users by role name, as the permission tests call them."""
        people = {
            "lead": self.lead_user,
            "coord": self.coord_user,
            "other": self.other_user,
            "chair": self.chair,
            "office": self.office,
            "admin": self.admin,
        }
        if inactive:
            people["inactive"] = self.inactive_user
        return people


def build_world() -> World:
    """The world most view tests start from, committed."""
    office_unit = make_unit("Văn phòng HĐND và UBND huyện", kind=UnitKind.OFFICE)
    leadership = make_unit("Lãnh đạo UBND huyện", kind=UnitKind.OTHER)
    noivu = make_unit("Phòng Nội vụ", short_name="Nội vụ")
    taichinh = make_unit("Phòng Tài chính - Kế hoạch", short_name="TC-KH", aliases=["Phòng TC-KH"])
    tuphap = make_unit("Phòng Tư pháp")
    admin = make_user(Role.ADMIN, None, "admin")
    chair = make_user(Role.CHAIR, leadership, "chutich", full_name="Nguyễn Huy Anh")
    office = make_user(Role.OFFICE, office_unit, "vanphong", full_name="Lò Thị Hoa")
    lead_user = make_user(Role.UNIT, noivu, "noivu", full_name="Hà Thị Lan")
    coord_user = make_user(Role.UNIT, taichinh, "tckh", full_name="Vì Văn Quang")
    other_user = make_user(Role.UNIT, tuphap, "tuphap", full_name="Lường Thị Mai")
    inactive_user = make_user(Role.UNIT, noivu, "nghiviec", full_name="Người Đã Nghỉ")
    inactive_user.is_active_user = False
    meeting = make_meeting(
        office, chair=chair, notice_number="45/TB-UBND", notice_issued_on=date(2017, 4, 5)
    )
    task = make_task(
        meeting,
        office,
        noivu,
        content="Xây dựng kế hoạch khắc phục hạn chế trong công tác cải cách hành chính",
        coordinating_units=[taichinh],
        deadline=date(2017, 4, 20),
    )
    db.session.commit()
    return World(
        office_unit,
        leadership,
        noivu,
        taichinh,
        tuphap,
        admin,
        chair,
        office,
        lead_user,
        coord_user,
        other_user,
        inactive_user,
        meeting,
        task,
    )
