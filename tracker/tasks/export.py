"""The task list as an Excel file: the tasks of the list's filters, in the offices' layout of
the report's task sheet (the same columns, so the report importer reads it back), counted as
they stand on the day of the download."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.meetings.models import Meeting
from tracker.reports import exports
from tracker.reports.operations import ReportScope
from tracker.reports.periods import Period
from tracker.tasks.models import Task
from tracker.units.models import Unit

security_log = logging.getLogger("tracker.security")

XLSX_MIME = exports.MIME_TYPES["xlsx"]
TITLE = "DANH SÁCH NHIỆM VỤ"
NO_TASKS = "Không có nhiệm vụ nào phù hợp với bộ lọc."
# Every deadline a task may have (dates are bounded to 2000-2100 on entry): a period that
# holds them all, whose report date is the day of the download.
_ALL_TIME = Period(date(2000, 1, 1), date(2100, 12, 31))
TIMELINESS_WORDS = {
    "done_on_time": "hoàn thành đúng hạn",
    "done_late": "hoàn thành quá hạn",
    "open_on_time": "chưa hoàn thành, trong hạn",
    "open_overdue": "chưa hoàn thành, quá hạn",
    "due_soon": "sắp đến hạn",
    "no_deadline": "không thời hạn",
}
ROLE_WORDS = {"lead": "chủ trì", "coordinating": "phối hợp"}


def query_options() -> list[Any]:
    """Eager loads for the file's rows (the whole task and meeting: the notes print the
    result and the first deadline, the meeting column the notice's date)."""
    return [
        selectinload(Task.lead_unit),
        selectinload(Task.coordinating_units),
        selectinload(Task.meeting),
    ]


def filters_line(
    filters: dict[str, Any],
    *,
    unit: Unit | None,
    meeting: Meeting | None,
    status_label: Callable[[str], str],
) -> str:
    """The filters in words, for the file's heading ("Bộ lọc: đơn vị chủ trì Phòng Y tế;
    chưa hoàn thành, quá hạn; có từ “kiểm tra”."). The file's words are Vietnamese whatever
    the page's language, as the reports' are."""
    parts: list[str] = []
    if unit is not None:
        parts.append(
            f"đơn vị {ROLE_WORDS.get(filters.get('role') or 'lead', 'chủ trì')} {unit.name}"
        )
    if meeting is not None:
        parts.append(f"cuộc họp {meeting.notice_label or meeting.title}")
    if filters.get("status"):
        parts.append(f"trạng thái {status_label(filters['status']).lower()}")
    if filters.get("timeliness"):
        parts.append(TIMELINESS_WORDS.get(filters["timeliness"], filters["timeliness"]))
    if filters.get("from") or filters.get("to"):
        start = date.fromisoformat(filters["from"]) if filters.get("from") else None
        end = date.fromisoformat(filters["to"]) if filters.get("to") else None
        if start and end:
            parts.append(f"thời hạn từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}")
        elif start:
            parts.append(f"thời hạn từ {start:%d/%m/%Y}")
        elif end:
            parts.append(f"thời hạn đến {end:%d/%m/%Y}")
    if filters.get("q"):
        parts.append(f"có từ “{filters['q']}”")
    if not parts:
        return "Bộ lọc: mọi nhiệm vụ người tải được xem."
    return "Bộ lọc: " + "; ".join(parts) + "."


def task_list_xlsx(tasks: list[Task], *, today: date, filters_line: str, capped: bool) -> bytes:
    """The tasks, in the order given, on one sheet: the report's task columns, each task's
    class and notes (days overdue, completion, extensions) as on `today`."""
    scope = ReportScope(period=_ALL_TIME, today=today)
    workbook = Workbook()
    exports.cell_styles(workbook)
    sheet = workbook.active
    sheet.title = "Nhiệm vụ"
    width = len(exports.TASK_COLUMNS)
    lines = [f"Số liệu tính đến ngày {today:%d/%m/%Y}. {filters_line}"]
    if capped:
        count = f"{len(tasks):,}".replace(",", ".")  # 10.000, as Vietnamese writes it
        lines.append(
            f"Chỉ gồm {count} nhiệm vụ đầu tiên theo thứ tự của danh sách; hãy thu hẹp bộ lọc "
            "để có đủ."
        )
    exports.sheet_heading(sheet, TITLE, [" ".join(lines)], width)
    exports.write_header(sheet, exports.TASK_COLUMNS, exports.TASK_WIDTHS)
    row = exports.HEADER_ROW + 1
    for number, task in enumerate(tasks, start=1):
        exports.write_row(sheet, row, exports.task_values(task, number, scope))
        row += 1
    if not tasks:
        exports.write_row(sheet, row, [None, NO_TASKS, *[None] * (width - 2)])
    workbook.properties.title = "Danh sách nhiệm vụ"
    workbook.properties.creator = "tracker"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def log_list_export(user: User, count: int, filters: dict[str, Any]) -> None:
    """Exports take data out of the tracker: record who took what (as the reports do)."""
    from tracker.auth.audit import AuditKind, record

    shown = ",".join(f"{key}={value}" for key, value in filters.items() if value)
    security_log.info("task list export user=%s tasks=%d %s", user.username, count, shown)
    record(
        AuditKind.EXPORT,
        actor=user,
        username=user.username,
        detail=f"xlsx task list via web: tasks={count} {shown}"[:500],
    )
