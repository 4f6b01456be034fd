"""Reports as files: Excel (.xlsx) in the offices' layout, Word (.docx) ready to sign, CSV."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import current_app, has_app_context
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker.auth.models import User
from tracker.reports.operations import (
    CLASS_LABELS,
    Report,
    ReportScope,
    UnitRow,
    days_overdue,
)
from tracker.tasks.models import Status, Task

security_log = logging.getLogger("tracker.security")

FORMATS = ("xlsx", "docx", "csv")
MIME_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text types: named once
}

# The offices' layout. These are the words of the official forms, kept in Vietnamese whatever
# the user's language, and the importer recognises them.
TASK_COLUMNS = (
    "STT",
    "Nội dung nhiệm vụ",
    "Cuộc họp / Thông báo",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Tình trạng",
    "Kết quả thực hiện / Ghi chú",
)
TASK_WIDTHS = (6, 60, 26, 26, 30, 12, 24, 42)
SUMMARY_COLUMNS = (
    "STT",
    "Đơn vị",
    "Tổng số nhiệm vụ",
    "Đã đến hạn",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Chưa hoàn thành trong hạn",
    "Chưa hoàn thành quá hạn",
    "Được gia hạn",
    "Tỷ lệ hoàn thành (%)",
    "Tỷ lệ hoàn thành đúng hạn (%)",
)
SUMMARY_WIDTHS = (6, 40, 12, 12, 13, 13, 14, 14, 11, 13, 15)
# Column widths of the Word summary table, in cm: 16 cm of text width on A4 portrait.
DOCX_SUMMARY_WIDTHS = (1.0, 3.6, *(1.26,) * 9)
# The head's per-officer sheet ("Theo cán bộ"): the parts given inside the unit, by class on the
# report date, judged on each part's own deadline.
OFFICER_SHEET = "Theo cán bộ"
OFFICER_COLUMNS = (
    "STT",
    "Cán bộ / đơn vị",
    "Số việc được giao",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Chưa hoàn thành trong hạn",
    "Chưa hoàn thành quá hạn",
)
OFFICER_WIDTHS = (6, 40, 14, 14, 14, 16, 16)
NO_PARTS = "Không có việc giao cán bộ nào có thời hạn trong kỳ báo cáo."
TITLE = "Báo cáo tình hình thực hiện các nhiệm vụ được giao"
NO_TASKS = "Không có nhiệm vụ nào trong kỳ báo cáo."
TOTAL = "Tổng cộng"


def log_export(user: User | None, fmt: str, report: Report, channel: str) -> None:
    """Exports take data out of the tracker: record who took what."""
    scope = report.scope
    security_log.info(
        "report export format=%s channel=%s user=%s period=%s..%s unit=%s meeting=%s tasks=%d",
        fmt,
        channel,
        user.username if user is not None else "-",
        scope.period.start.isoformat(),
        scope.period.end.isoformat(),
        scope.unit.id if scope.unit else "-",
        scope.meeting.id if scope.meeting else "-",
        len(report.tasks),
    )
    from tracker.auth.audit import AuditKind, record

    # Also in the admin's audit log; committed with the request (nothing else is written).
    record(
        AuditKind.EXPORT,
        actor=user,
        username=user.username if user is not None else "(cli)",
        detail=f"{fmt} via {channel}: {scope.period.start.isoformat()}..{scope.period.end.isoformat()}"
        f" unit={scope.unit.id if scope.unit else '-'} meeting={scope.meeting.id if scope.meeting else '-'}"
        f" tasks={len(report.tasks)}",
    )


def filename(report: Report, fmt: str) -> str:
    """ "bao-cao-nhiem-vu-2017-Q2.xlsx"."""
    period = report.scope.period
    code = period.code or f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return f"bao-cao-nhiem-vu-{code}.{fmt}"


def render(report: Report, fmt: str) -> bytes:
    """The report as a file of format `fmt` (xlsx, docx, csv)."""
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "docx":
        return to_docx(report)
    if fmt == "csv":
        return to_csv(report)
    raise ValueError(fmt)


# --- what each task's row says -------------------------------------------------------------


def meeting_text(task: Task) -> str:
    """ "45/TB-UBND ngày 05/04/2017", or the meeting and its date without a notice."""
    meeting = task.meeting
    if meeting.notice_number:
        if meeting.notice_issued_on:
            return f"{meeting.notice_number} ngày {meeting.notice_issued_on:%d/%m/%Y}"
        return meeting.notice_number
    return f"{meeting.title} ({meeting.held_on:%d/%m/%Y})"


def status_text(task: Task, scope: ReportScope) -> str:
    """The task's class on the report date in the report's words, with the work status where
    it says more (only when that status is today's as well as the report date's)."""
    state = scope.state(task)
    text = str(CLASS_LABELS[state.kind]) if state.kind in CLASS_LABELS else ""
    if scope.looks_back:
        return text
    if task.status == Status.SUBMITTED:
        text += " (chờ xác nhận)"
    elif task.status == Status.RETURNED:
        text += " (thực hiện lại)"
    return text


def notes_text(task: Task, scope: ReportScope) -> str:
    """The result, the completion date, days overdue on the report date and extensions."""
    state = scope.state(task)
    lines = []
    if task.result and task.status in (Status.DONE, Status.SUBMITTED):
        lines.append(task.result)
    if state.completed_on:
        lines.append(f"Hoàn thành ngày {state.completed_on:%d/%m/%Y}.")
    elif state.kind == "open_overdue":
        lines.append(f"Quá hạn {state.days_overdue(scope.as_of)} ngày.")
    if task.status == Status.DONE and task.completed_on and not state.completed_on:
        # Done since the report date: the file says so, and counts the task as open then.
        lines.append(f"Hoàn thành ngày {task.completed_on:%d/%m/%Y}, sau ngày tính số liệu.")
    if state.extension_count:
        line = f"Đã gia hạn {state.extension_count} lần"
        if task.original_deadline and task.original_deadline != state.deadline:
            line += f", thời hạn ban đầu {task.original_deadline:%d/%m/%Y}"
        lines.append(line + ".")
    if state.deadline != task.deadline:
        changed = f"{task.deadline:%d/%m/%Y}" if task.deadline else "không thời hạn"
        lines.append(f"Thời hạn đổi thành {changed} sau ngày tính số liệu.")
    return "\n".join(lines)


def task_values(task: Task, number: int, scope: ReportScope) -> list[Any]:
    """One row of the task list, in TASK_COLUMNS order (the deadline on the report date, as a
    date)."""
    return [
        number,
        task.content,
        meeting_text(task),
        task.lead_unit.name,
        "; ".join(u.name for u in task.coordinating_units),
        scope.state(task).deadline,
        status_text(task, scope),
        notes_text(task, scope),
    ]


def summary_values(row: UnitRow, number: int | None) -> list[Any]:
    """One row of the per-unit summary, in SUMMARY_COLUMNS order."""
    return [
        number,
        row.unit_name,
        row.assigned,
        row.due,
        row.done_on_time,
        row.done_late,
        row.open_on_time,
        row.open_overdue,
        row.extended,
        row.completion_rate,
        row.on_time_rate,
    ]


def period_line(report: Report) -> str:
    """ "Kỳ báo cáo: Quý II năm 2017 (từ 01/04/2017 đến 30/06/2017)"."""
    period = report.scope.period
    if period.code:
        return f"Kỳ báo cáo: {period.label} ({period.range_text})"
    return f"Kỳ báo cáo: {period.range_text}"


def scope_line(report: Report) -> str:
    """The report date and the filters."""
    scope = report.scope
    parts = [f"Số liệu tính đến ngày {scope.as_of:%d/%m/%Y}"]
    if scope.unit is not None:
        parts.append(f"đơn vị chủ trì: {scope.unit.name}")
    if scope.meeting is not None:
        label = scope.meeting.notice_label or scope.meeting.title
        parts.append(f"cuộc họp: {label}")
    if scope.against == "original":
        parts.append("tính theo thời hạn ban đầu")
    return "; ".join(parts) + "."


# --- Excel ---------------------------------------------------------------------------------

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_ROW = 5  # rows 1-3: title, period, report date; row 4 blank


def _sheet_heading(sheet: Any, title: str, report: Report, width: int) -> None:
    sheet_heading(sheet, title, [period_line(report), scope_line(report)], width)


def sheet_heading(sheet: Any, title: str, lines: list[str], width: int) -> None:
    """Rows 1-3 of a sheet: the title, then up to two lines (period, report date and
    filters) across the table's width."""
    last = get_column_letter(width)
    sizes = (12, 11)
    for row, text, font in (
        (1, title, Font(bold=True, size=14)),
        *(
            (2 + index, line, Font(italic=True, size=sizes[index]))
            for index, line in enumerate(lines[:2])
        ),
    ):
        sheet.merge_cells(f"A{row}:{last}{row}")
        # (What the user typed, as a search in the filters, may hold control characters,
        # which make openpyxl refuse the whole file.)
        cell = sheet.cell(row=row, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", text))
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 24


def write_header(sheet: Any, columns: tuple[str, ...], widths: tuple[int, ...]) -> None:
    """The column headers on HEADER_ROW (frozen, repeated on printed pages) and the sheet's
    page setup: landscape A4, fit to width."""
    for index, (name, width) in enumerate(zip(columns, widths, strict=True), start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _row_height(sheet: Any, values: list[Any]) -> float:
    # Spreadsheets do not grow wrapped rows on their own when a file is written by a library:
    # estimate the lines each cell needs at its column's width.
    lines = 1
    for column, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value:
            continue
        width = sheet.column_dimensions[get_column_letter(column)].width or 10
        per_line = max(1, int(width * 1.15))
        needed = sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))
        lines = max(lines, needed)
    return 15.0 * min(lines, 30)


def cell_styles(workbook: Workbook) -> None:
    """Named styles for the body cells: setting border, alignment and format on each of
    tens of thousands of cells made openpyxl hash style objects millions of times (4.5 s for
    a quarter of 100,000 tasks); a named style is one lookup."""
    for bold in (False, True):
        for kind, number_format in (("text", "General"), ("date", "DD/MM/YYYY"), ("rate", "0.0")):
            style = NamedStyle(name=_style_name(kind, bold))
            style.border = _BORDER
            style.alignment = _WRAP_TOP
            style.number_format = number_format
            if bold:
                style.font = Font(bold=True)
            workbook.add_named_style(style)


def _style_name(kind: str, bold: bool) -> str:
    return f"tracker-{kind}{'-bold' if bold else ''}"


def write_row(sheet: Any, row: int, values: list[Any], bold: bool = False) -> None:
    """One body row in the named styles of `cell_styles`, typed text kept as text."""
    sheet.row_dimensions[row].height = _row_height(sheet, values)
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            # A control character pasted into a task makes openpyxl refuse the whole file.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = sheet.cell(row=row, column=column, value=value)
        if cell.data_type == "f":
            # Text beginning with "=" is what the user typed, not a formula for the
            # spreadsheet to run.
            cell.data_type = "s"
        if isinstance(value, date):
            kind = "date"
        elif isinstance(value, float):
            kind = "rate"
        else:
            kind = "text"
        cell.style = _style_name(kind, bold)


def to_xlsx(report: Report) -> bytes:
    """Sheet 1: the task list in the offices' layout; sheet 2: the per-unit summary."""
    workbook = Workbook()
    cell_styles(workbook)
    tasks_sheet = workbook.active
    tasks_sheet.title = "Nhiệm vụ"
    _sheet_heading(tasks_sheet, TITLE.upper(), report, len(TASK_COLUMNS))
    write_header(tasks_sheet, TASK_COLUMNS, TASK_WIDTHS)
    row = HEADER_ROW + 1
    for number, task in enumerate(report.tasks, start=1):
        write_row(tasks_sheet, row, task_values(task, number, report.scope))
        row += 1
    if not report.tasks:
        write_row(tasks_sheet, row, [None, NO_TASKS, *[None] * (len(TASK_COLUMNS) - 2)])

    summary_sheet = workbook.create_sheet("Tổng hợp theo đơn vị")
    _sheet_heading(summary_sheet, "TỔNG HỢP THEO ĐƠN VỊ CHỦ TRÌ", report, len(SUMMARY_COLUMNS))
    write_header(summary_sheet, SUMMARY_COLUMNS, SUMMARY_WIDTHS)
    row = HEADER_ROW + 1
    for number, unit_row in enumerate(report.summary.rows, start=1):
        write_row(summary_sheet, row, summary_values(unit_row, number))
        row += 1
    if not report.summary.rows:
        write_row(summary_sheet, row, [None, NO_TASKS, *[None] * (len(SUMMARY_COLUMNS) - 2)])
        row += 1
    total = summary_values(report.summary.total, None)
    total[1] = TOTAL
    write_row(summary_sheet, row, total, bold=True)

    if report.officers is not None:
        _officer_sheet(workbook.create_sheet(OFFICER_SHEET), report)

    workbook.properties.title = TITLE
    workbook.properties.creator = "tracker"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def officer_values(row: Any, number: int) -> list[Any]:
    """A line of the per-officer sheet (an OfficerPeriodRow)."""
    return [number, row.name, *row.cells]


def _officer_sheet(sheet: Any, report: Report) -> None:
    _sheet_heading(sheet, "TỔNG HỢP THEO CÁN BỘ TRONG ĐƠN VỊ", report, len(OFFICER_COLUMNS))
    write_header(sheet, OFFICER_COLUMNS, OFFICER_WIDTHS)
    row = HEADER_ROW + 1
    officers = report.officers or []
    for number, officer in enumerate(officers, start=1):
        write_row(sheet, row, officer_values(officer, number))
        row += 1
    if not officers:
        write_row(sheet, row, [None, NO_PARTS, *[None] * (len(OFFICER_COLUMNS) - 2)])
        return
    totals = [sum(o.cells[i] for o in officers) for i in range(len(OFFICER_COLUMNS) - 2)]
    write_row(sheet, row, [None, TOTAL, *totals], bold=True)


# --- CSV -----------------------------------------------------------------------------------


# A spreadsheet opening a CSV file reads a cell beginning with one of these as a formula: a
# task typed as "=HYPERLINK(...)" would become a link or a command, and one typed as a bullet
# ("- Xây dựng kế hoạch", common in notices) an error. A leading apostrophe keeps it text.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as the text typed (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(report: Report) -> bytes:
    """The task list as CSV, UTF-8 with a byte-order mark so Excel reads Vietnamese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TASK_COLUMNS)
    for number, task in enumerate(report.tasks, start=1):
        values = task_values(task, number, report.scope)
        values[5] = f"{values[5]:%d/%m/%Y}" if values[5] else ""
        writer.writerow([csv_text(value) for value in values])
    if not report.tasks:
        writer.writerow(["", NO_TASKS, "", "", "", "", "", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def officers_csv(rows: list[Any]) -> bytes:
    """The unit head's per-officer view (OfficerPeriodRow lines) as CSV, one table: the
    columns of the "Theo cán bộ" sheet, without its total line (a tool summing the column
    would count it twice)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(OFFICER_COLUMNS)
    for number, row in enumerate(rows, start=1):
        writer.writerow([csv_text(value) for value in officer_values(row, number)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def log_officer_export(user: User | None, scope: ReportScope, lines: int) -> None:
    """The per-officer CSV takes people's figures out of the tracker: recorded as the other
    exports are."""
    detail = (
        f"officers csv via web: {scope.period.start.isoformat()}..{scope.period.end.isoformat()}"
        f" as_of={scope.as_of.isoformat()}"
        f" unit={user.unit_id if user else '-'} meeting={scope.meeting.id if scope.meeting else '-'}"
        f" lines={lines}"
    )
    security_log.info("report export %s user=%s", detail, user.username if user else "-")
    from tracker.auth.audit import AuditKind, record

    record(
        AuditKind.EXPORT,
        actor=user,
        username=user.username if user is not None else "(cli)",
        detail=detail,
    )


# --- Word ----------------------------------------------------------------------------------


def _config(name: str, default: str) -> str:
    return str(current_app.config.get(name) or default) if has_app_context() else default


def _no_borders(table: Any) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _cell_text(
    cell: Any,
    lines: list[str],
    *,
    bold: bool = False,
    italic: bool = False,
    size: int | None = None,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    for index, line in enumerate(lines):
        if index:
            paragraph = cell.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run(line)
        run.bold = bold
        run.italic = italic
        if size:
            run.font.size = Pt(size)


def _paragraph(
    document: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Any = None,
    size: int | None = None,
) -> Any:
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    if size:
        run.font.size = Pt(size)
    return paragraph


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def to_docx(report: Report) -> bytes:
    """ "Báo cáo tình hình thực hiện các nhiệm vụ được giao": heading block, per-unit summary,
    overdue tasks per unit, and the signature block, ready to edit and sign."""
    scope = report.scope
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    document.core_properties.title = TITLE

    organisation = _config("TRACKER_ORGANISATION", "HUYỆN ..........")
    place = _config("TRACKER_PLACE", "..........")
    as_of = scope.as_of
    heading = document.add_table(rows=2, cols=2)
    _no_borders(heading)
    _cell_text(heading.cell(0, 0), ["ỦY BAN NHÂN DÂN", organisation.upper()], bold=True, size=12)
    _cell_text(
        heading.cell(0, 1),
        ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"],
        bold=True,
        size=12,
    )
    _cell_text(heading.cell(1, 0), ["Số:        /BC-UBND"], size=13)
    _cell_text(
        heading.cell(1, 1),
        [f"{place}, ngày {as_of.day:02d} tháng {as_of.month:02d} năm {as_of.year}"],
        italic=True,
        size=13,
    )

    document.add_paragraph()
    _paragraph(document, TITLE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    _paragraph(document, period_line(report), italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, scope_line(report), italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    total = report.summary.total
    _paragraph(document, "I. TỔNG HỢP KẾT QUẢ THỰC HIỆN", bold=True)
    _paragraph(
        document,
        f"Tổng số nhiệm vụ có thời hạn trong kỳ: {total.assigned}; đã đến hạn: {total.due}, "
        f"trong đó hoàn thành đúng hạn {total.done_on_time}, hoàn thành quá hạn "
        f"{total.done_late}, chưa hoàn thành trong hạn {total.open_on_time}, chưa hoàn thành "
        f"quá hạn {total.open_overdue}; được gia hạn {total.extended}. Tỷ lệ hoàn thành: "
        f"{_percent(total.completion_rate) or '—'}%; tỷ lệ hoàn thành đúng hạn: "
        f"{_percent(total.on_time_rate) or '—'}%.",
    )
    table = document.add_table(rows=1, cols=len(SUMMARY_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, name in enumerate(SUMMARY_COLUMNS):
        _cell_text(table.rows[0].cells[index], [name], bold=True, size=9)
    body_rows = [summary_values(r, n) for n, r in enumerate(report.summary.rows, start=1)]
    if not body_rows:
        body_rows.append(["", NO_TASKS, *[""] * (len(SUMMARY_COLUMNS) - 2)])
    total_values = summary_values(total, None)
    total_values[1] = TOTAL
    for values in [*body_rows, total_values]:
        cells = table.add_row().cells
        bold = values is total_values
        for index, value in enumerate(values):
            if isinstance(value, float):
                text = _percent(value)
            else:
                text = "" if value is None else str(value)
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(cells[index], [text], bold=bold, size=10, align=align)
    table.autofit = False
    # Word reads the cell widths, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, DOCX_SUMMARY_WIDTHS, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, DOCX_SUMMARY_WIDTHS, strict=True):
            cell.width = Cm(width)

    _paragraph(document, "")
    _paragraph(document, "II. CÁC NHIỆM VỤ CHƯA HOÀN THÀNH QUÁ HẠN", bold=True)
    by_unit: dict[str, list[Task]] = {}
    for task in report.overdue:
        by_unit.setdefault(task.lead_unit.name, []).append(task)
    if not by_unit:
        _paragraph(document, "Không có nhiệm vụ chưa hoàn thành quá hạn.")
    for number, (unit_name, tasks) in enumerate(by_unit.items(), start=1):
        _paragraph(document, f"{number}. {unit_name} ({len(tasks)} nhiệm vụ)", bold=True)
        for task in tasks:
            shown = scope.state(task).deadline
            deadline = f"{shown:%d/%m/%Y}" if shown else ""
            _paragraph(
                document,
                f"- {task.content} ({meeting_text(task)}; thời hạn {deadline}; "
                f"quá hạn {days_overdue(task, scope)} ngày).",
            )

    _paragraph(document, "III. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    _paragraph(document, "..........................................................")

    document.add_paragraph()
    signature = document.add_table(rows=1, cols=2)
    _no_borders(signature)
    _cell_text(
        signature.cell(0, 0),
        ["Nơi nhận:", "- Như trên;", "- Lưu: VT."],
        italic=False,
        size=11,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _cell_text(signature.cell(0, 1), ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], bold=True, size=13)
    if report.officers is not None:
        _officer_appendix(document, report)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _officer_appendix(document: Any, report: Report) -> None:
    """The unit head's per-officer table, after the signature: it is the unit's own working
    view, not a part of the report the chair signs."""
    document.add_page_break()
    _paragraph(
        document,
        "PHỤ LỤC: TỔNG HỢP THEO CÁN BỘ TRONG ĐƠN VỊ",
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(
        document,
        "Việc trưởng đơn vị giao cán bộ có thời hạn trong kỳ, tính theo thời hạn của từng việc "
        "như vào ngày tính số liệu (việc chờ xác nhận hoặc hoàn thành sau ngày đó là chưa "
        "hoàn thành; không tính việc đã huỷ).",
        italic=True,
    )
    officers = report.officers or []
    table = document.add_table(rows=1, cols=len(OFFICER_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, name in enumerate(OFFICER_COLUMNS):
        _cell_text(table.rows[0].cells[index], [name], bold=True, size=9)
    lines = [officer_values(o, n) for n, o in enumerate(officers, start=1)]
    if not lines:
        lines.append(["", NO_PARTS, *[""] * (len(OFFICER_COLUMNS) - 2)])
    for values in lines:
        cells = table.add_row().cells
        for index, value in enumerate(values):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(cells[index], [str(value)], size=10, align=align)
