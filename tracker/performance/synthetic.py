"""A synthetic province: units, users, meetings and N tasks with realistic Vietnamese content,
deadlines over three years, a mix of statuses and extensions. Inserted in bulk."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.auth.operations import hash_password
from tracker.core.text import fold
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.tasks.models import EventKind, Status, Task, TaskEvent, task_coordinating_units
from tracker.units.models import Unit, UnitKind

BENCH_TODAY = date(2025, 6, 16)  # a Monday; deadlines run from 2023 to the end of 2025
BENCH_PASSWORD = "bench-password-2025"

DEPARTMENTS = [
    "Sở Nội vụ",
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tư pháp",
    "Sở Xây dựng",
    "Sở Giao thông vận tải",
    "Sở Tài nguyên và Môi trường",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Công Thương",
    "Sở Khoa học và Công nghệ",
    "Sở Thông tin và Truyền thông",
    "Thanh tra tỉnh",
    "Ban Dân tộc",
    "Công an tỉnh",
    "Bộ Chỉ huy Quân sự tỉnh",
    "Cục Thuế tỉnh",
    "Kho bạc Nhà nước tỉnh",
    "Bảo hiểm xã hội tỉnh",
]
DISTRICTS = [
    "Mộc Châu",
    "Vân Hồ",
    "Yên Châu",
    "Mai Sơn",
    "Sông Mã",
    "Thuận Châu",
    "Quỳnh Nhai",
    "Mường La",
    "Bắc Yên",
    "Phù Yên",
    "Sốp Cộp",
    "Thành phố Sơn La",
]
VERBS = [
    "Xây dựng kế hoạch",
    "Rà soát, tổng hợp",
    "Tham mưu ban hành",
    "Kiểm tra, đôn đốc",
    "Hoàn thiện hồ sơ",
    "Triển khai thực hiện",
    "Báo cáo kết quả",
    "Đề xuất phương án",
    "Tổ chức tuyên truyền về",
    "Chủ động phối hợp giải quyết",
]
SUBJECTS = [
    "cải cách hành chính",
    "giải phóng mặt bằng dự án đường nối",
    "xây dựng nông thôn mới",
    "phòng chống thiên tai, tìm kiếm cứu nạn",
    "giảm nghèo bền vững",
    "chuyển đổi số",
    "thu ngân sách nhà nước",
    "đầu tư công năm",
    "quản lý đất đai",
    "an toàn thực phẩm",
    "phòng chống dịch bệnh",
    "tuyển sinh năm học mới",
    "đơn thư khiếu nại tồn đọng",
    "bảo vệ rừng",
    "an ninh trật tự dịp lễ",
    "hỗ trợ đồng bào dân tộc thiểu số",
]
TAILS = [
    "trên địa bàn tỉnh",
    "tại các huyện, thành phố",
    "theo chỉ đạo của Chủ tịch UBND tỉnh",
    "bảo đảm đúng quy định",
    "trình UBND tỉnh xem xét",
    "",
    "",
]


def _chunks(rows: list[dict[str, object]], size: int = 5000) -> list[list[dict[str, object]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour)).replace(tzinfo=UTC) - timedelta(hours=7)


def build_province(
    tasks: int,
    units: int,
    users: int,
    progress: Callable[[int], None] | None = None,
    seed: int = 2025,
) -> dict[str, int]:
    """Insert the synthetic province; returns counts. `progress(n)` is called as tasks go in."""
    rng = random.Random(seed)
    names = list(DEPARTMENTS)
    names += [f"UBND huyện {d}" for d in DISTRICTS]
    n = 0
    while len(names) < units:
        n += 1
        names.append(f"UBND xã {DISTRICTS[n % len(DISTRICTS)]} {n}")
    names = names[:units]
    unit_rows = [
        {
            "name": name,
            "name_folded": fold(name),
            "short_name": None,
            "kind": UnitKind.COMMUNE.value
            if name.startswith("UBND")
            else UnitKind.DEPARTMENT.value,
            "is_active": True,
            "created_dt": _at(date(2023, 1, 2)),
            "updated_dt": _at(date(2023, 1, 2)),
        }
        for name in names
    ]
    office_unit = {
        "name": "Văn phòng UBND tỉnh",
        "name_folded": fold("Văn phòng UBND tỉnh"),
        "short_name": "VP UBND",
        "kind": UnitKind.OFFICE.value,
        "is_active": True,
        "created_dt": _at(date(2023, 1, 2)),
        "updated_dt": _at(date(2023, 1, 2)),
    }
    db.session.execute(sa.insert(Unit), [*unit_rows, office_unit])
    unit_ids = list(db.session.scalars(sa.select(Unit.id).where(Unit.kind != UnitKind.OFFICE)))
    office_id = db.session.scalar(sa.select(Unit.id).where(Unit.kind == UnitKind.OFFICE))
    password = hash_password(BENCH_PASSWORD)
    user_rows: list[dict[str, object]] = []

    def user(username: str, role: Role, unit_id: int | None) -> None:
        user_rows.append(
            {
                "username": username,
                "full_name": username.title(),
                "role": role.value,
                "unit_id": unit_id,
                "email": f"{username}@province.example",
                "locale": "vi",
                "is_active_user": True,
                "password_hash": password,
                "session_version": 1,
                "created_dt": _at(date(2023, 1, 2)),
                "updated_dt": _at(date(2023, 1, 2)),
            }
        )

    for i in range(3):
        user(f"chair{i}", Role.CHAIR, office_id)
    for i in range(5):
        user(f"office{i}", Role.OFFICE, office_id)
    user("admin", Role.ADMIN, None)
    for i in range(max(0, users - len(user_rows))):
        user(f"unit{i}", Role.UNIT, unit_ids[i % len(unit_ids)])
    db.session.execute(sa.insert(User), user_rows)
    chair_ids = list(db.session.scalars(sa.select(User.id).where(User.role == Role.CHAIR)))
    office_user = db.session.scalar(sa.select(User.id).where(User.role == Role.OFFICE).limit(1))

    start = date(2023, 1, 2)
    # Meetings up to the bench day, not after it: a task created in the future would make
    # its whole history "news" for the reminder pass (created_dt >= now - 3 days).
    span = (BENCH_TODAY - start).days
    meeting_count = max(1, tasks // 8)
    meeting_rows = []
    for i in range(meeting_count):
        held = start + timedelta(days=rng.randrange(span - 2))
        meeting_rows.append(
            {
                "title": f"Hội nghị {rng.choice(SUBJECTS)} số {i + 1}",
                "held_on": held,
                "place": "Hội trường UBND tỉnh",
                "chair_id": rng.choice(chair_ids),
                "created_by_id": office_user,
                "notice_number": f"{i + 1}/TB-UBND",
                "notice_issued_on": held + timedelta(days=2),
                "notice_signer": "Chánh Văn phòng",
                "notice_text": "",
                "created_dt": _at(held),
                "updated_dt": _at(held),
            }
        )
    for chunk in _chunks(meeting_rows):
        db.session.execute(sa.insert(Meeting), chunk)
    meetings = db.session.execute(sa.select(Meeting.id, Meeting.held_on)).all()

    task_rows: list[dict[str, object]] = []
    for i in range(tasks):
        meeting_id, held = meetings[i % len(meetings)]
        deadline = held + timedelta(days=rng.randrange(7, 120))
        has_deadline = rng.random() > 0.06
        extended = has_deadline and rng.random() < 0.08
        original = deadline - timedelta(days=rng.randrange(10, 40)) if extended else deadline
        if original < held:
            original = held
        due = has_deadline and deadline < BENCH_TODAY
        roll = rng.random()
        if due:
            status = (
                Status.DONE
                if roll < 0.72
                else Status.IN_PROGRESS
                if roll < 0.90
                else Status.SUBMITTED
                if roll < 0.95
                else Status.CANCELLED
            )
        elif held > BENCH_TODAY:
            status = Status.NEW
        else:
            status = (
                Status.NEW
                if roll < 0.3
                else Status.IN_PROGRESS
                if roll < 0.85
                else Status.SUBMITTED
                if roll < 0.95
                else Status.DONE
            )
        completed = None
        if status == Status.DONE:
            late = rng.random() < 0.15
            base = deadline if has_deadline else held + timedelta(days=30)
            completed = base + timedelta(
                days=rng.randrange(1, 20) if late else -rng.randrange(0, 6)
            )
            completed = max(completed, held)
        content = (
            " ".join(
                part
                for part in (rng.choice(VERBS), rng.choice(SUBJECTS), rng.choice(TAILS))
                if part
            )
            + f" (mục {i % 97 + 1})"
        )
        created = _at(held + timedelta(days=2))
        task_rows.append(
            {
                "meeting_id": meeting_id,
                "content": content,
                "content_folded": fold(content),
                "lead_unit_id": rng.choice(unit_ids),
                "deadline": deadline if has_deadline else None,
                "original_deadline": original if has_deadline else None,
                "is_recurring": not has_deadline,
                "status": status.value,
                "progress": 100 if status == Status.DONE else rng.randrange(0, 90, 10),
                "completed_on": completed,
                "submitted_dt": _at(completed) if completed else None,
                "result": "",
                "source_text": "",
                "extension_count": 1 if extended else 0,
                "version": 1,
                "created_by_id": office_user,
                "last_activity_dt": created,
                "created_dt": created,
                "updated_dt": created,
            }
        )
    done = 0
    for chunk in _chunks(task_rows):
        db.session.execute(sa.insert(Task), chunk)
        done += len(chunk)
        if progress:
            progress(len(chunk))
    first_id = db.session.scalar(sa.select(sa.func.min(Task.id)))
    coordination: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for offset, row in enumerate(task_rows):
        task_id = first_id + offset
        for unit_id in rng.sample(unit_ids, rng.choice((0, 0, 1, 1, 2, 3))):
            if unit_id != row["lead_unit_id"]:
                coordination.append({"task_id": task_id, "unit_id": unit_id})
        events.append(
            {
                "task_id": task_id,
                "actor_id": office_user,
                "created_dt": row["created_dt"],
                "kind": EventKind.CREATED.value,
                "note": "",
            }
        )
    for chunk in _chunks(coordination):
        db.session.execute(sa.insert(task_coordinating_units), chunk)
    for chunk in _chunks(events):
        db.session.execute(sa.insert(TaskEvent), chunk)
    db.session.commit()
    return {
        "units": len(unit_ids) + 1,
        "users": len(user_rows),
        "meetings": meeting_count,
        "tasks": tasks,
        "coordinating": len(coordination),
    }


def reminder_history(today: date) -> int:
    """Give the province the reminder history of a tracker that has been running: the
    rule-based reminders of the working day before `today`, planned by the real planner and
    marked sent, with each overdue notice moved back to the day its deadline put it on (they
    repeat every N working days, so on a given morning about 1/N of the overdue tasks are
    due for the next one). Returns the rows made.

    Without a history the first pass is an import day: it sends at once every overdue notice
    and every escalation of three years of deadlines. That day happens once per deployment;
    the benchmark measures an ordinary busy morning and reports the import day apart."""
    from tracker.calendar.operations import working_calendar
    from tracker.reminders.models import Delivery, DeliveryStatus, ReminderKind
    from tracker.reminders.operations.planning import plan_scheduled
    from tracker.reminders.operations.rules import load_rules
    from tracker.reminders.passes import make_clock

    rules = load_rules()
    calendar = working_calendar()
    previous = calendar.add_working_days(today, -1)
    probe = make_clock(_at(previous, 12), rules)
    clock = make_clock(probe.slot(previous), rules)
    made = plan_scheduled(clock, rules)
    D = Delivery.__table__
    db.session.execute(
        sa.update(D)
        .where(D.c.status == DeliveryStatus.PENDING.value)
        .values(
            status=DeliveryStatus.SENT.value,
            sent_dt=sa.literal(clock.now, Delivery.sent_dt.type),
            attempts=1,
        )
    )
    every = max(1, rules.overdue_every)
    for shift in range(1, every):
        db.session.execute(
            sa.update(D)
            .where(D.c.kind == ReminderKind.OVERDUE.value, D.c.task_id % every == shift)
            .values(day=calendar.add_working_days(previous, -shift))
        )
    db.session.commit()
    return made
