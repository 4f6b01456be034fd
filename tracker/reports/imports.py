"""Reading the task lists offices keep in Excel, checking each row, then creating the tasks."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.limits import date_in_range, date_range_message
from tracker.core.text import fold, normalize
from tracker.meetings.models import Meeting
from tracker.tasks.models import Task
from tracker.tasks.operations import MAX_CONTENT_CHARS, create_task
from tracker.units.models import Unit
from tracker.units.operations import find_unit

MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 30

# Folded header words, most specific first; a header cell matches when it equals one of
# them or starts with it ("thoi han hoan thanh (ngay)").
HEADERS: dict[str, tuple[str, ...]] = {
    "lead": (
        "don vi chu tri",
        "co quan chu tri",
        "co quan, don vi chu tri",
        "don vi thuc hien",
        "co quan thuc hien",
        "chu tri",
    ),
    "coordinating": ("don vi phoi hop", "co quan phoi hop", "co quan, don vi phoi hop", "phoi hop"),
    "deadline": ("thoi han hoan thanh", "thoi han", "han hoan thanh", "han xu ly"),
    "content": (
        "noi dung nhiem vu",
        "noi dung cong viec",
        "noi dung",
        "ten nhiem vu",
        "nhiem vu",
        "cong viec",
    ),
}

_DATE_IN_TEXT = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_RECURRING = ("thuong xuyen", "hang thang", "hang quy", "hang nam", "khong thoi han")
_SEPARATORS = re.compile(r"[;\n]+")


class ImportFileError(ValueError):
    """The file cannot be read as a task list; the message says why."""


@dataclass
class ImportRow:
    """One row of the workbook, read and checked."""

    row_number: int
    content: str
    lead_text: str = ""
    coordinating_text: str = ""
    deadline_text: str = ""
    lead: Unit | None = None
    coordinating: list[Unit] = field(default_factory=list)
    deadline: date | None = None
    is_recurring: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem: the row becomes a task on confirmation."""
        return not self.problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize(str(value))


def _header_field(value: Any) -> str | None:
    key = re.sub(r"[*:]", "", fold(_text(value))).strip()
    if not key:
        return None
    for name, words in HEADERS.items():
        for word in words:
            if key == word or key.startswith(word + " ") or key.startswith(word + "("):
                return name
    return None


def _grid(sheet: Any) -> list[list[Any]]:
    """The sheet's values, with every cell of a merged range holding the range's value."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = rows[merged.min_row - 1][merged.min_col - 1] if rows else None
        for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = value
    return rows


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for column, value in enumerate(row):
            name = _header_field(value)
            if name and name not in columns:
                columns[name] = column
        if "content" in columns and "lead" in columns:
            return index, columns
    return None


def parse_deadline(value: Any) -> tuple[date | None, bool]:
    """A deadline cell: a real date, a date typed as text ("15/4/2017", "trước ngày
    30/6/2017"), an Excel day number, "thường xuyên" (no deadline, recurring) or empty.
    Returns (deadline, is_recurring); raises ValueError when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, datetime):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into a cell formatted as a number: Excel's day count.
        if 20_000 <= value <= 80_000:
            return from_excel(value).date(), False
        raise ValueError(value)
    text = fold(str(value))
    match = _DATE_IN_TEXT.search(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000
        return date(year, month, day), False
    match = _ISO_DATE.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day), False
    if any(word in text for word in _RECURRING):
        return None, True
    raise ValueError(value)


def _units(text: str, cache: dict[str, Unit | None]) -> tuple[list[Unit], list[str]]:
    def lookup(name: str) -> Unit | None:
        if name not in cache:
            cache[name] = find_unit(name)
        return cache[name]

    names = [n.strip(" .-") for n in _SEPARATORS.split(text) if n.strip(" .-")]
    found: list[Unit] = []
    unknown: list[str] = []
    for name in names:
        unit = lookup(name)
        if unit is None and "," in name:
            # Some lists separate units with commas; unit names themselves rarely hold one.
            parts = [p.strip(" .-") for p in name.split(",") if p.strip(" .-")]
            units = [lookup(p) for p in parts]
            if all(units):
                found.extend(u for u in units if u is not None)
                continue
        if unit is None:
            unknown.append(name)
        else:
            found.append(unit)
    return found, unknown


def _refuse_dtd(data: bytes) -> None:
    """Raise ImportFileError when any XML part of the workbook declares a DTD or entities.

    Excel never writes one; a "billion laughs" entity bomb needs one. Each part is read by
    defusedxml only up to its root element (a DTD must come before it), so this costs little
    however large the sheets. openpyxl itself then reads through defusedxml too."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook says the file is no workbook
    with archive:
        for member in archive.infolist():
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(member) as part:
                    for _event, _element in DefusedET.iterparse(
                        part, events=("start",), forbid_dtd=True
                    ):
                        break  # the root element: no DTD can follow
            except DefusedXmlException as error:
                raise ImportFileError(
                    _(
                        "Tệp chứa khai báo DTD hoặc thực thể XML (có thể là “bom XML”), điều mà "
                        "Excel không bao giờ tạo ra; vì an toàn, hệ thống không đọc tệp này."
                    )
                ) from error
            except (DefusedET.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError):
                continue  # a broken part: load_workbook says so, in its words


def read_workbook(data: bytes, meeting: Meeting | None = None) -> list[ImportRow]:
    """Read a workbook in the export's layout (or a close variation) and check every row."""
    _refuse_dtd(data)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,  # defusedxml's refusals too
        TypeError,
        SyntaxError,  # xml.etree's ParseError
    ) as error:
        raise ImportFileError(
            _("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ hoặc đã bị hỏng.")
        ) from error
    for sheet in workbook.worksheets:
        rows = _grid(sheet)
        found = _find_header(rows)
        if found is not None:
            break
    else:
        raise ImportFileError(
            _(
                "Không tìm thấy dòng tiêu đề có các cột “Nội dung nhiệm vụ” và “Đơn vị chủ trì” "
                "trong %(n)s dòng đầu của bảng tính.",
                n=HEADER_SEARCH_ROWS,
            )
        )
    header_index, columns = found
    body = rows[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise ImportFileError(_("Bảng tính có quá nhiều dòng (tối đa %(n)s).", n=MAX_ROWS))
    cache: dict[str, Unit | None] = {}
    result: list[ImportRow] = []

    def cell(row: list[Any], name: str) -> Any:
        column = columns.get(name)
        return row[column] if column is not None and column < len(row) else None

    for offset, row in enumerate(body):
        content = _text(cell(row, "content"))
        lead_text = _text(cell(row, "lead"))
        coordinating_text = (
            "" if cell(row, "coordinating") is None else str(cell(row, "coordinating"))
        )
        raw_deadline = cell(row, "deadline")
        if not lead_text and not coordinating_text.strip() and not _text(raw_deadline):
            # Empty lines, section headings ("I. LĨNH VỰC KINH TẾ") and "no tasks" rows.
            continue
        item = ImportRow(
            row_number=header_index + offset + 2,
            content=content,
            lead_text=lead_text,
            coordinating_text=normalize(coordinating_text.replace("\n", "; ")),
            deadline_text=_text(raw_deadline),
        )
        _check_row(item, raw_deadline, coordinating_text, meeting, cache)
        result.append(item)
    return result


def _check_row(
    item: ImportRow,
    raw_deadline: Any,
    coordinating_text: str,
    meeting: Meeting | None,
    cache: dict[str, Unit | None],
) -> None:
    if not item.content:
        item.problems.append(_("Thiếu nội dung nhiệm vụ."))
    elif len(item.content) > MAX_CONTENT_CHARS:
        item.problems.append(_("Nội dung nhiệm vụ quá dài."))
    if not item.lead_text:
        item.problems.append(_("Thiếu đơn vị chủ trì."))
    else:
        leads, unknown = _units(item.lead_text, cache)
        if unknown:
            item.problems.append(
                _("Không tìm thấy đơn vị chủ trì “%(name)s” trong danh mục.", name=unknown[0])
            )
        elif len(leads) > 1:
            item.problems.append(_("Mỗi nhiệm vụ chỉ có một đơn vị chủ trì."))
        else:
            item.lead = leads[0]
    coordinating, unknown = _units(coordinating_text, cache)
    for name in unknown:
        item.problems.append(
            _("Không tìm thấy đơn vị phối hợp “%(name)s” trong danh mục.", name=name)
        )
    unique: dict[int, Unit] = {}
    for unit in coordinating:
        unique.setdefault(unit.id, unit)
    item.coordinating = list(unique.values())
    if item.lead is not None and item.lead.id in unique:
        item.problems.append(
            _(
                "Đơn vị chủ trì (%(unit)s) không thể đồng thời là đơn vị phối hợp.",
                unit=item.lead.name,
            )
        )
    try:
        item.deadline, item.is_recurring = parse_deadline(raw_deadline)
    except ValueError:
        item.problems.append(
            _(
                "Không đọc được thời hạn “%(text)s”; hãy nhập ngày dạng dd/mm/yyyy.",
                text=item.deadline_text[:40],
            )
        )
    if not date_in_range(item.deadline):
        item.problems.append(
            _(
                "Thời hạn “%(text)s”: %(why)s",
                text=item.deadline_text[:40],
                why=date_range_message(),
            )
        )
        item.deadline = None
    if (
        item.deadline is not None
        and meeting is not None
        and meeting.held_on
        and item.deadline < meeting.held_on
    ):
        held_on = f"{meeting.held_on:%d/%m/%Y}"
        item.problems.append(_("Thời hạn không thể trước ngày họp (%(day)s).", day=held_on))


def create_rows(rows: list[ImportRow], meeting: Meeting, actor: User | None) -> list[Task]:
    """Create a task for every row without problems. Raises ValidationError, having created
    nothing the caller should keep, if a row is refused; the caller commits or rolls back."""
    created: list[Task] = []
    errors: dict[str, str] = {}
    for row in rows:
        if not row.ok:
            continue
        try:
            created.append(
                create_task(
                    meeting,
                    actor=actor,  # type: ignore[arg-type]
                    content=row.content,
                    lead_unit=row.lead,
                    coordinating_units=row.coordinating,
                    deadline=row.deadline,
                    is_recurring=row.is_recurring,
                )
            )
        except ValidationError as error:
            errors[f"row{row.row_number}"] = _(
                "Dòng %(n)s: %(problem)s",
                n=row.row_number,
                problem="; ".join(error.errors.values()),
            )
    if errors:
        raise ValidationError(errors)
    return created
