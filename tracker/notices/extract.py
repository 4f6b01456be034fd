"""Read a conclusion notice or directive letter: its header and the tasks it assigns."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import takewhile
from typing import Any

from tracker.core.workdays import DEFAULT_CALENDAR, WorkingCalendar
from tracker.notices.deadlines import DeadlineMatch, find_deadlines, year_named_in
from tracker.notices.units import (
    GENERIC_HEADS,
    NAMED_HEADS,
    TRIGGERS,
    Lexicon,
    Token,
    UnitSpan,
    is_verb_at,
    match_key,
    parse_unit_list,
    tokenize,
)

__all__ = [
    "MAX_NOTICE_CHARS",
    "NoticeHeader",
    "NoticeReadError",
    "NoticeReading",
    "ProposedTask",
    "check_notice_size",
    "read_notice",
]


def N_(message: str) -> str:
    """Mark a message for the English catalogue without importing Flask: the reader stays
    pure, and the web app translates the message when it shows it."""
    return message


class NoticeReadError(Exception):
    """The notice cannot be read; `message` is a Vietnamese sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class NoticeHeader:
    """What the notice says about itself: its number, date of issue and signer."""

    number: str | None = None
    issued_on: date | None = None
    signer: str | None = None


# The fields a proposal's `field_confidence` rates, in this order.
FIELDS = ("lead", "coordinating", "task", "deadline")


@dataclass
class ProposedTask:
    """A task as the reader understood it, for a clerk to confirm."""

    lead: str  # chủ trì
    coordinating: list[str]  # phối hợp
    task: str
    deadline_text: str | None
    deadline: date | None
    recurring: bool
    source: str
    source_start: int  # offsets of `source` in NoticeReading.text
    source_end: int
    confidence: float
    lead_is_group: bool = False
    # Work that only says to carry out the document: dropped when nothing but such work follows.
    closing: bool = False
    # Confidence of each field, keys "lead", "coordinating", "task", "deadline" (0..1).
    field_confidence: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0.5))
    lead_doubtful: bool = False  # the lead may not be (all of) a unit's name

    def to_dict(self) -> dict[str, Any]:
        """The task as JSON-ready data (the `tracker extract` format)."""
        return {
            "lead": self.lead,
            "coordinating": list(self.coordinating),
            "task": self.task,
            "deadline_text": self.deadline_text,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "recurring": self.recurring,
            "source": self.source,
            "confidence": round(self.confidence, 2),
            "field_confidence": {key: self.field_confidence[key] for key in FIELDS},
        }


@dataclass
class NoticeReading:
    """The result of reading a notice; `text` is the normalised text the offsets refer to."""

    notice: NoticeHeader
    tasks: list[ProposedTask]
    text: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """`{"notice": {...}, "tasks": [...]}` as printed by `tracker extract`."""
        return {
            "notice": {
                "number": self.notice.number,
                "issued_on": self.notice.issued_on.isoformat() if self.notice.issued_on else None,
                "signer": self.notice.signer,
            },
            "tasks": [task.to_dict() for task in self.tasks],
            "warnings": list(self.warnings),
        }


NO_TASKS_MESSAGE = N_("Không tìm thấy chỉ đạo nào giao việc cho một đơn vị trong văn bản này.")
# Warnings about the whole reading, shown above the proposals (the rows to check are marked by
# their field confidence).
FEW_TASKS_WARNING = N_(
    "Văn bản dài nhưng chỉ tìm thấy ít chỉ đạo: có thể còn nhiệm vụ bị bỏ sót, hãy đối chiếu "
    "với văn bản."
)
UNKNOWN_LEAD_WARNING = N_(
    "Có đơn vị chủ trì không đọc được thành tên một đơn vị: hãy kiểm tra các dòng được đánh dấu."
)
UNDATED_DEADLINE_WARNING = N_(
    "Có thời hạn không đổi được thành ngày cụ thể: hãy nhập ngày cho các dòng được đánh dấu."
)
EARLY_DEADLINE_WARNING = N_(
    "Có thời hạn sớm hơn ngày ban hành của văn bản (giữ nguyên như văn bản ghi): hãy kiểm tra "
    "lại các dòng được đánh dấu."
)
NO_DATE_WARNING = N_(
    "Không đọc được ngày ban hành của văn bản: ngày không ghi năm lấy năm nêu trong câu, các thời "
    "hạn tính theo ngày ban hành để trống. Hãy nhập ngày ban hành nếu biết."
)
# A notice of this many characters usually assigns at least one task per this many characters.
_CHARS_PER_TASK = 2500

# The longest real notices and directive letters run to some 30,000 characters; 200,000 (about
# 60 pages) leaves room for a notice pasted with its annexes, and bounds the reading time
# (linear, well under a second at the cap).
MAX_NOTICE_CHARS = 200_000
TOO_LONG_MESSAGE = N_(
    "Văn bản quá dài: mỗi lần chỉ đọc được tối đa 200.000 ký tự (khoảng 60 trang). Hãy dán "
    "hoặc tải lên riêng phần kết luận, chỉ đạo của thông báo."
)


def check_notice_size(text: str) -> None:
    """Raise NoticeReadError when `text` is longer than a notice the reader accepts."""
    if len(text) > MAX_NOTICE_CHARS:
        raise NoticeReadError(TOO_LONG_MESSAGE)


# ---------------------------------------------------------------------------------------------
# Normalisation

_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_VIETNAMESE_CHARS = set("àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ")
_TONED = set("àáảãạắằẳẵặấầẩẫậèéẻẽẹếềểễệìíỉĩịòóỏõọốồổỗộớờởỡợùúủũụứừửữựỳýỷỹỵ")
_FOLD_TABLE = str.maketrans(
    "àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ",
    "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd",
)
_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?"
    r"(?:uye|uya|uyu|uoi|uou|oai|oay|oao|oeo|uay|uai|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi"
    r"|oo|ua|ue|ui|uo|uu|uy|ye|ya|a|e|i|o|u|y)(?:ng|nh|ch|[cmnpt])?"
)
# Two or three syllables glued together; longer runs are not words and are left alone (bounded so
# that a pathological run of letters costs linear time).
_GLUED_RE = re.compile(r"(?<![\w])[^\W\d_]{5,24}(?![\w])")


def is_vietnamese_syllable(word: str) -> bool:
    """True when `word` could be one Vietnamese syllable (spelling only, tone marks ignored)."""
    lower = word.lower()
    if sum(ch in _TONED for ch in lower) > 1:
        return False
    return _SYLLABLE_RE.fullmatch(lower.translate(_FOLD_TABLE)) is not None


def _split_glued(word: str) -> str:
    """ "kiểmtra" -> "kiểm tra": words glued by a PDF text layer, split into two syllables."""
    if is_vietnamese_syllable(word):
        return word
    if not any(ch in _VIETNAMESE_CHARS for ch in word.lower()):
        return word  # foreign words and codes are left alone
    # A capital inside a word marks the join ("tỉnhLào").
    for i in range(1, len(word)):
        if word[i].isupper() and word[i - 1].islower():
            left, right = word[:i], word[i:]
            if is_vietnamese_syllable(left):
                return left + " " + _split_glued(right)
    for i in range(1, len(word)):
        left, right = word[:i], word[i:]
        if is_vietnamese_syllable(left) and is_vietnamese_syllable(right):
            return left + " " + right
    return word


_MARKER_RE = re.compile(
    r"^(?P<marker>(?:[IVXL]+[.)]|\d+(?:\.\d+)+\.?|\d+[.)]|[a-zđ][)]|[a-zđ]\.(?=\s)|\(\d+\)"
    r"|\([a-zđ]\)|[-–—•·*+]"
    # "Một là, ...", "Thứ hai, ...": items a letter counts out in words.
    r"|(?:Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười)\s+là\s*,"
    r"|Thứ\s+(?:nhất|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)\s*,)\s*)"
)


def _line_level(line: str) -> tuple[int | None, int]:
    """(outline level, length of the item marker) of a line; level None for plain text."""
    m = _MARKER_RE.match(line)
    if not m:
        return None, 0
    marker = m.group("marker").strip()
    if re.fullmatch(r"[IVXL]+[.)]", marker):
        level = 1
    elif re.fullmatch(r"\d+(?:\.\d+)+\.?", marker):
        level = 2 + marker.rstrip(".").count(".")
    elif re.fullmatch(r"\d+[.)]", marker):
        level = 2
    elif marker in {"-", "–", "—", "•", "·", "*"}:
        level = 6
    elif marker == "+":
        level = 7
    else:
        level = 5
    return level, m.end()


# A line opening like this starts a paragraph, even after a long line without a full stop (the
# notice's subject line: "Kết luận của Chủ tịch ... năm 2024" / "Ngày 08/3/2024, ...").
_PARAGRAPH_OPENER_RE = re.compile(
    r"(?:Ngày|Sáng|Chiều|Tối|Trưa|Hôm|Vào\s+ngày|Thực\s+hiện|Căn\s+cứ|Tham\s+dự|Sau\s+khi|"
    r"Trên\s+cơ\s+sở|Xét|Theo)\s"
)


_COLUMN_RES = {
    "work": re.compile(r"nội\s+dung|nhiệm\s+vụ|công\s+việc", re.I),
    "lead": re.compile(r"chủ\s+trì", re.I),
    "coordinating": re.compile(r"phối\s+hợp", re.I),
    "deadline": re.compile(r"thời\s+(?:gian|hạn)|hoàn\s+thành|tiến\s+độ", re.I),
}
_ROLE_RE = re.compile(r"chủ\s+trì|phối\s+hợp", re.I)
# A table with one column of units ("Đơn vị thực hiện", "Cơ quan thực hiện") names the lead there.
_LEAD_FALLBACK_RE = re.compile(r"thực\s+hiện|đơn\s+vị|cơ\s+quan", re.I)
_BARE_DATE_RE = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?$")
_BARE_MONTH_RE = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{4}$")  # "6/2025": a month
_CELL_STOP_RE = re.compile(r"(?<=[a-zà-ỹđ]{2})\.\s+(?=[A-ZĐÀ-Ỹ])")
_BARE_PERIOD_RE = re.compile(r"(?:tháng|quý|năm)\s", re.I)
# "Định kỳ hằng quý" says no more than "hằng quý", which the reader knows as recurring.
_PERIODIC_RE = re.compile(r"định\s+kỳ\s+(?=h[àằ]ng\s)", re.I)


def _row_cells(line: str) -> list[str] | None:
    separator = "\t" if "\t" in line else "|" if "|" in line else None
    if separator is None:
        return None
    # Only the outer "|" of a "| a | b |" row are dropped: a tab row keeps its empty first and
    # last cells (an empty STT, an empty "Ghi chú") so that its cells line up with the header.
    row = line.strip().strip("|") if separator == "|" else line.strip(" \u00a0")
    cells = [cell.strip() for cell in row.split(separator)]
    return cells if len(cells) >= 3 else None


def _loose_cells(line: str, cells: list[str]) -> str:
    """A tab row that names no task (no header above it, a section row "I. Lĩnh vực ..."): its
    filled cells as lines of their own, as a "|" row is read, rather than run together into one
    line when the tabs become spaces."""
    return "\n".join(cell for cell in cells if cell) if "\t" in line else line


def _task_table_rows(text: str) -> str:
    """A plan's task table pasted as text (cells split by tabs or "|"): under a header row that
    names the columns ("Nội dung | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian hoàn thành"),
    each row is written out as the sentence it stands for ("Sở Y tế chủ trì, phối hợp với Sở
    Tài chính rà soát ... trước ngày 30/6/2024."), which the reader then reads like any other."""
    out = []
    columns: dict[str, int] | None = None
    for line in text.split("\n"):
        cells = _row_cells(line)
        if cells is None:
            columns = None
            out.append(line)
            continue
        found = {}
        for name, pattern in _COLUMN_RES.items():
            for index, cell in enumerate(cells):
                if len(cell) < 40 and pattern.search(cell) and index not in found.values():
                    found[name] = index
                    break
        if "work" in found and "lead" not in found:
            for index, cell in enumerate(cells):
                if (
                    len(cell) < 40
                    and _LEAD_FALLBACK_RE.search(cell)
                    and index not in found.values()
                ):
                    found["lead"] = index
                    break
        if "work" in found and "lead" in found:
            columns = found
            out.append("")  # the header row itself names no task
            continue
        if columns is None or len(cells) <= max(columns.values()):
            out.append(_loose_cells(line, cells))
            continue
        # A row is one task: a full stop inside its work cell ("Rà soát X. Báo cáo Y") would
        # cut the sentence the row is written out as, so it becomes a semicolon.
        work = _CELL_STOP_RE.sub("; ", cells[columns["work"]].rstrip(" .;"))
        lead = cells[columns["lead"]].rstrip(" .;")
        if not work or not lead:
            out.append(_loose_cells(line, cells))
            continue
        # One "Đơn vị thực hiện" cell that names the roles itself ("Phòng A (chủ trì); Phòng B
        # (phối hợp)") is read as written, its items split by commas.
        sentence = lead.replace(";", ",") if _ROLE_RE.search(lead) else f"{lead} chủ trì"
        coordinating = cells[columns["coordinating"]] if "coordinating" in columns else ""
        if coordinating.strip(" -–"):
            sentence += f", phối hợp với {coordinating.rstrip(' .;')}"
        # ("Rà soát ..." goes on in lower case; "HĐND xã ...", "UBND ..." keep their capitals.)
        sentence += f" {work[:1].lower()}{work[1:]}" if work[1:2].islower() else f" {work}"
        deadline = cells[columns["deadline"]].strip(" .;") if "deadline" in columns else ""
        deadline = _PERIODIC_RE.sub("", deadline)
        if _BARE_MONTH_RE.match(deadline):
            deadline = f"trong tháng {deadline}"
        elif _BARE_DATE_RE.match(deadline):
            deadline = f"trước ngày {deadline}"
        elif _BARE_PERIOD_RE.match(deadline):
            deadline = f"trong {deadline[:1].lower()}{deadline[1:]}"
        if deadline:
            sentence += f", {deadline[:1].lower()}{deadline[1:]}"
        out.append(sentence + ".")
    return "\n".join(out)


def normalise(raw: str) -> str:
    """NFC, one kind of space and line break, glued words split, and lines a PDF wrapped in the
    middle of a sentence joined again. Offsets of the reading refer to this text."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_RE.sub("", text)
    if "\t" in text or "|" in text:
        text = _task_table_rows(text)
    text = _SPACES_RE.sub(" ", text)
    text = _GLUED_RE.sub(lambda m: _split_glued(m.group(0)), text)
    lines = []
    for line in text.split("\n"):
        if "|" in line:
            # A table row as copied from a web page or a Word table ("Số: 12/UBND | Hà Nội,
            # ngày ..."): each cell is a line of its own.
            lines.extend(cell.strip() for cell in line.split("|") if cell.strip())
        else:
            lines.append(line.strip())
    # Each output line is a list of input lines joined with a space at the end: concatenating
    # strings line by line would copy a long paragraph once per line (quadratic).
    joined: list[list[str]] = []
    length = 0  # of the output line being built
    upper = False  # whether it is all capitals so far
    for line in lines:
        if joined and line and joined[-1][-1]:
            previous_end = joined[-1][-1][-1]
            wrapped = (
                previous_end not in ".;:!?…”\"')]"
                and not _line_level(line)[0]
                and (line[0].islower() or (length >= 60 and not line.isupper()))
                and not upper
                and not _PARAGRAPH_OPENER_RE.match(line)
                # (a header's "Đắk Nông, ngày 19 tháng 7 năm 2021" and "Kính gửi:" are lines of
                # their own even after a long "V/v ..." subject line)
                and not _PLACE_DATE_RE.match(line)
                and not _PLACE_DATE_RE.match(joined[-1][0])
                and not line.lower().startswith("kính gửi")
            )
            if wrapped:
                joined[-1].append(line)
                length += 1 + len(line)
                continue
        joined.append([line])
        length, upper = len(line), line.isupper()
    return "\n".join(" ".join(parts) for parts in joined)


# ---------------------------------------------------------------------------------------------
# The header

_NUMBER_RE = re.compile(r"^\s*Số\s*:?\s*(\d+[\w]*\s*/\s*[\w\-–&.]+(?:\s*/\s*[\w\-–&.]+)*)", re.M)
_NUMBER_IN_TEXT_RE = re.compile(
    r"(?:ban hành|phát đi|Theo|theo)\s+(?:Công văn|Văn bản|Thông báo(?: kết luận)?|Kế hoạch|"
    r"công văn|văn bản|thông báo)\s+(?:số\s+)?(\d+\s*/\s*[\w\-–&.]+(?:/[\w\-–&.]+)*)"
)
_PLACE_DATE_RE = re.compile(
    r"^[^\n,;:]{2,40},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.M | re.I
)
_LONE_DATE_RE = re.compile(
    r"^\s*(?:ngày\s+)?(?:(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})|(\d{1,2})/(\d{1,2})/(\d{4}))"
    r"\s*$",
    re.M | re.I,
)
# A news page's dateline: "Thứ Hai, 08/05/2017, 08:25 [GMT+7]", "08/05/2017 08:25".
_DATELINE_RE = re.compile(
    r"^\s*(?:(?:Thứ\s+\w+|Chủ\s+nhật|T[2-7]|CN)\s*,?\s*)?(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*"
    r"(\d{4})\s*(?:[,\-|]?\s*\d{1,2}\s*[:h]\s*\d{2}\b.*)?$",
    re.M | re.I,
)
_ISSUED_IN_TEXT_RE = re.compile(
    r"(?:^|\n)\s*(?:Sáng|Chiều|Tối|Trưa)?\s*[Nn]gày\s+(\d{1,2})/(\d{1,2})/(\d{4}),?\s+[^.\n]{0,120}?"
    r"(?:ban hành|phát đi|ký|có)\s+(?:Công văn|Văn bản|Thông báo|Kế hoạch|công văn|văn bản|"
    r"thông báo)"
)
_THEO_DATE_RE = re.compile(
    r"\((?:Theo|theo)\s[^)]{0,300}?ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*\)"
)
# A news report's meeting day, at the start of a paragraph after the paper's tag: "(BĐ) - Sáng
# 28-10, ...", "Ngày 21-9, ...", "Chiều 7/12, ...".
_MEETING_DAY_RE = re.compile(
    r"^[ \t]*(?:\([^()\n]{1,40}\)\s*[-–—]?\s*|[A-ZĐ]{2,10}\s*[-–—]\s*)?"
    r"(?:(?:Sáng|Chiều|Trưa|Tối|Đêm)\s+(?:nay\s+)?(?:ngày\s+)?|Ngày\s+)"
    r"(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{4}))?(?![\d/])\s*,",
    re.M,
)
_POSTED_RE = re.compile(r"đăng\s+ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", re.I)
_SIGN_TITLE_RE = re.compile(
    r"^(?:(?:KT|TL|TM|TUQ|Q)\s*\.\s*)?(?:PHÓ\s+)?(?:CHỦ\s+TỊCH|GIÁM\s+ĐỐC|CHÁNH\s+VĂN\s+PHÒNG|"
    r"TRƯỞNG\s+PHÒNG|TRƯỞNG\s+BAN|BỘ\s+TRƯỞNG|CHỦ\s+NHIỆM|THỦ\s+TƯỚNG|VĂN\s+PHÒNG|ỦY\s+BAN|"
    r"UỶ\s+BAN|TRƯỞNG\s+ĐOÀN|BÍ\s+THƯ|CHÁNH\s+THANH\s+TRA|CỤC\s+TRƯỞNG|THƯ\s+KÝ)\b",
)
_PERSON_NAME_RE = re.compile(
    r"^(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*|[A-ZĐÀ-Ỹ]+)(?:\s+(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*|[A-ZĐÀ-Ỹ]+)){1,5}$"
)


def _safe_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def read_header(text: str) -> NoticeHeader:
    """Number, date of issue and signer, from the header and signature block where present."""
    head = text[:3000]
    header = NoticeHeader()
    m = _NUMBER_RE.search(head)
    if m is None:
        m = _NUMBER_IN_TEXT_RE.search(head)
    if m is not None:
        header.number = re.sub(r"\s+", "", m.group(1)).replace("–", "-")
    for pattern in (_PLACE_DATE_RE,):
        m = pattern.search(head)
        if m:
            header.issued_on = _safe_date(m.group(3), m.group(2), m.group(1))
    if header.issued_on is None:
        first_lines = "\n".join(head.split("\n")[:6])
        m = _LONE_DATE_RE.search(first_lines)
        if m:
            if m.group(3):
                header.issued_on = _safe_date(m.group(3), m.group(2), m.group(1))
            else:
                header.issued_on = _safe_date(m.group(6), m.group(5), m.group(4))
    if header.issued_on is None:
        m = _DATELINE_RE.search("\n".join(head.split("\n")[:6]))
        if m:
            header.issued_on = _safe_date(m.group(3), m.group(2), m.group(1))
    for pattern in (_ISSUED_IN_TEXT_RE, _THEO_DATE_RE, _POSTED_RE):
        if header.issued_on is None:
            m = pattern.search(text if pattern is _THEO_DATE_RE else head)
            if m:
                header.issued_on = _safe_date(m.group(3), m.group(2), m.group(1))
    header.signer = _read_signer(text)
    return header


def _read_signer(text: str) -> str | None:
    lines = [line.strip() for line in text.split("\n")]
    ends = [i for i, line in enumerate(lines) if _END_RE.match(line)]
    # The signature follows the body; without "Nơi nhận" only the last lines are looked at.
    tail = lines[ends[-1] :] if ends else lines[-15:]
    for i, line in enumerate(tail):
        if _SIGN_TITLE_RE.match(line) and line.upper() == line:
            for candidate in tail[i + 1 : i + 6]:
                cleaned = re.sub(
                    r"[\[(](?:đã\s+ký|ký|đã\s+ký\s+và\s+đóng\s+dấu)[\])]", "", candidate, flags=re.I
                ).strip()
                if not cleaned or (cleaned.upper() == cleaned and _SIGN_TITLE_RE.match(cleaned)):
                    continue
                if (
                    _PERSON_NAME_RE.match(cleaned)
                    and cleaned.upper() != cleaned
                    and not cleaned.startswith(("Nơi", "Lưu"))
                ):
                    return cleaned
    return None


# ---------------------------------------------------------------------------------------------
# The body: lines, sentences

_HEADER_LINE_RE = re.compile(
    r"^(?:CỘNG\s+HÒA|CỘNG\s+HOÀ|Độc\s+lập|-{3,}|_{3,}|Số\s*:|V/v|Về\s+việc\s*:|Kính\s+gửi|"
    r"\[Nguồn|T/hiện|Nguồn\s*:)",
    re.I,
)
_END_RE = re.compile(r"^(?:Nơi\s+nhận|Nơi\s+gửi)\s*:?", re.I)
# An appendix after the signature ("PHỤ LỤC", "Phụ lục 01") holds the letter's task table.
_APPENDIX_RE = re.compile(r"^(?:PHỤ\s+LỤC\b|Phụ\s+lục(?:\s+(?:số\s+)?[IVX\d]+)?\s*:?$)")
# A telegram's addressees: "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH điện:" then the list.
_TELEGRAM_TO_RE = re.compile(r"^(\w[^:]{5,80}?)\s+điện\s*:")
_ABBREVIATION_END_RE = re.compile(r"(?:\b(?:TP|Tp|TX|TT|Q|P|ThS|TS|PGS|GS|BS|St|v\.v|Th\.S)|\d)$")
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’)\]]*\s+")


@dataclass
class _Sentence:
    start: int
    end: int
    line_no: int
    first_in_line: bool


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans in text[start:end]; "TP. Hồ Chí Minh" and "1.170" do not end one."""
    spans = []
    cursor = start
    for m in _SENTENCE_END_RE.finditer(text, start, end):
        nxt = m.end()
        if nxt >= end:
            break
        following = text[nxt]
        if not (following.isupper() or following in "“\"'(["):
            continue
        # Only the last few characters can be an abbreviation: searching the whole stretch since
        # the last cut would be quadratic on "TP. Huế, TP. Huế, ...".
        look_from = max(cursor, m.start() - 12)
        abbreviation = (
            _ABBREVIATION_END_RE.search(text, look_from, m.start())
            and not text[m.start() - 1 : m.start()].isdigit()
        )
        if abbreviation and m.start() > cursor and text[m.start()] == ".":
            continue
        spans.append((cursor, m.start() + len(m.group(0).rstrip())))
        cursor = nxt
    if cursor < end:
        spans.append((cursor, end))
    # A runaway "sentence" (a 5 MB line) is cut so that no step sees more than a page at once.
    result = []
    for s, e in spans:
        while e - s > 4000:
            cut = text.rfind(" ", s, s + 4000)
            cut = cut if cut > s else s + 4000
            result.append((s, cut))
            s = cut
        result.append((s, e))
    return result


# ---------------------------------------------------------------------------------------------
# Directives inside a sentence

_INTRO = Lexicon(
    [
        "cụ thể",
        "theo đó",
        "trong đó",
        "ngoài ra",
        "đồng thời",
        "bên cạnh đó",
        "cạnh đó",
        "mặt khác",
        "riêng",
        "trước mắt",
        "sau đó",
        "tiếp đó",
        "về",
        "đối với",
        "với",
        "để",
        "nhằm",
        "trên cơ sở",
        "căn cứ",
        "tại",
        "qua",
        "sau khi",
        "kết luận",
        "phát biểu kết luận",
        "trước",
        "chậm nhất",
        "cũng tại",
        "tuy nhiên",
        "mặt khác",
        "do đó",
        "vì vậy",
        "vì thế",
        "như vậy",
        "nay",
        "thời gian tới",
        "trong thời gian tới",
        "bên cạnh",
        "cùng với đó",
        "đặc biệt",
        "nhất là",
        "lưu ý",
        "trong thời gian",
        "theo chức năng",
        "hàng quý",
        "hằng quý",
        "hàng tháng",
        "hằng tháng",
        "hàng năm",
        "hằng năm",
        "hàng tuần",
        "hằng tuần",
        "định kỳ",
        "từ nay đến",
        "từ nay",
        "từ ngày",
        "đến ngày",
        "từ đầu",
    ]
)
# Intros that link the clause to what came before; the clause follows them at once.
_LINKS = Lexicon(
    [
        "cụ thể",
        "theo đó",
        "ngoài ra",
        "đồng thời",
        "bên cạnh đó",
        "mặt khác",
        "riêng",
        "trước mắt",
        "sau đó",
        "tiếp đó",
        "tuy nhiên",
        "do đó",
        "vì vậy",
        "vì thế",
        "như vậy",
        "cùng với đó",
        "đặc biệt",
        "nhất là",
        "lưu ý",
    ]
)
_NARRATIVE = Lexicon(
    [
        "ngày",
        "sáng",
        "chiều",
        "tối",
        "trưa",
        "hôm",
        "năm",
        "tháng",
        "vừa qua",
        "hiện nay",
        "đến nay",
        "thời gian qua",
        "tuần qua",
        "từ đầu năm",
        "hiện tại",
        "trước đó",
        "báo cáo của",
        "theo báo cáo",
        # who attended: "Đến dự có đ/c ..., Phó Chủ tịch UBND xã, chủ trì; ..."
        "đến dự",
        "dự họp",
        "tham dự",
        "cùng dự",
        "trong năm",
        "trong tháng",
        "qua",
        "tính đến",
    ]
)
_STATUS = Lexicon(
    [
        "đã",
        "đang",
        "vừa",
        "sẽ",
        "chưa",
        "dự kiến",
        "cho biết",
        "cho rằng",
        "nhận được",
        "có ý kiến",
        "kết luận",
        "thông báo",
        "ban hành",
        "phát đi",
        "đạt",
        "là",
        "không",
        "vẫn",
        "mới",
        "cũng",
        "được",
        "có",
        "xin",
        "đề xuất",
        "báo cáo",
        "trình bày",
        "nêu",
        "chủ trì cuộc họp",
        "chủ trì hội nghị",
        "chủ trì buổi",
        "chủ trì phiên",
        "tham dự",
        "dự",
        "phát biểu",
        "tổ chức hội nghị",
        "tổ chức cuộc họp",
        "thống nhất",
        "đồng ý",
        "nhất trí",
        "ghi nhận",
        "đánh giá cao",
        "biểu dương",
        "đề nghị",
        "yêu cầu",
        "giao",
        "chỉ đạo",
        "tổ chức lấy ý kiến",
        # what someone said, not work: "Chủ tịch UBND tỉnh nhấn mạnh, Sở Xây dựng cần ..."
        "nhấn mạnh",
        "khẳng định",
        "chia sẻ",
        "nói",
        "xếp",
        "gồm",
        "bao gồm",
        # a meeting or a visit, as a news headline tells it: "Phó Chủ tịch UBND tỉnh làm việc
        # với ngành Y tế ..."
        "làm việc với",
        "làm việc tại",
        "thăm",
        "kiểm tra thực tế",
        "khảo sát thực tế",
    ]
)
_STRONG = Lexicon(
    [
        "phải",
        "cần",
        "cần phải",
        "khẩn trương",
        "có trách nhiệm",
        "chịu trách nhiệm",
        "chủ trì",
        "phối hợp",
        "được giao",
        "tiếp tục",
        "chủ động",
        "sớm",
        "tập trung",
        "cùng",
        "có nhiệm vụ",
        "nghiêm túc",
        "kịp thời",
        "làm chủ nhiệm",
        "là đơn vị chủ trì",
        "làm đầu mối",
        "là đầu mối",
        "khẩn trương",
    ]
)
_DROP_MODALS = Lexicon(
    [
        "có trách nhiệm",
        "được giao",
        "được giao nhiệm vụ",
        "có nhiệm vụ",
        "phải",
        "cần",
        "cần phải",
        "là đơn vị chủ trì",
        "làm đầu mối",
        "là đầu mối",
        "được phân công",
    ]
)
_CONTINUATION = Lexicon(["báo cáo", "gửi", "trình", "hoàn thành", "hoàn thiện", "gửi về", "xong"])
_NON_TASK_OPENERS = Lexicon(
    [
        "thống nhất",
        "đồng ý",
        "nhất trí",
        "ghi nhận",
        "biểu dương",
        "đánh giá cao",
        "cơ bản thống nhất",
        "chấp thuận",
        "trong đó",
        "đã",
        "đang",
        "sẽ",
    ]
)
_UNIT_TOPIC = Lexicon(["đối với", "về phía", "riêng đối với", "về phần"])
_ASSIGNED = Lexicon(["được giao", "của mình", "của đơn vị", "của ngành", "quản lý"])
_ADJUNCTS = Lexicon(
    ["trên cơ sở", "căn cứ", "theo chức năng", "theo chức năng, nhiệm vụ", "căn cứ vào"]
)
# Closings such as "yêu cầu các cơ quan, đơn vị nghiêm túc thực hiện" assign no work of their own.
_GENERIC_WORK_RE = re.compile(
    r"(?:(?:biết|nghiêm\s+túc|khẩn\s+trương|kịp\s+thời|triển\s+khai|tổ\s+chức|phối\s+hợp|"
    r"quan\s+tâm|chỉ\s+đạo)\s*(?:,|và)?\s*)*(?:thực\s+hiện|triển\s+khai|chỉ\s+đạo\s+thực\s+hiện)"
    r"(?:\s*,?\s*(?:nghiêm\s+túc|kịp\s+thời|đúng\s+quy\s+định|có\s+hiệu\s+quả|hiệu\s+quả|"
    r"(?:theo\s+đúng\s+|đúng\s+|các\s+)?nội\s+dung\s+(?:nêu\s+)?trên|"
    r"(?:Công\s+văn|Công\s+điện|Thông\s+báo|văn\s+bản|Chỉ\s+thị|Kế\s+hoạch|Quyết\s+định)"
    r"\s+(?:này|nêu\s+trên)|"
    # "triển khai các nhiệm vụ theo Phụ lục đính kèm": the tasks are the appendix's rows
    r"(?:các\s+nhiệm\s+vụ\s+)?theo\s+(?:các\s+)?Phụ\s+lục(?:\s+\w+)?\s+(?:đính|kèm)\s+(?:kèm|theo)|"
    r"theo\s+quy\s+định|\./\.|\./))*[\s./]*",
    re.I,
)
# Work that only says to carry out the document ("căn cứ chức năng, nhiệm vụ để tổ chức thực
# hiện theo kế hoạch đề ra", "nghiêm túc triển khai, thực hiện kế hoạch này, bảo đảm ... hiệu
# quả"): at the end of a notice, a closing; earlier, possibly a task of its own.
_CLOSING_RE = re.compile(
    r"(?:(?:căn\s+cứ(?:\s+vào)?|theo)\s+chức\s+năng,?\s+nhiệm\s+vụ(?:[^,;]{0,40}?)?,?\s*"
    r"(?:để\s+)?)?"
    r"(?:(?:nghiêm\s+túc|khẩn\s+trương|kịp\s+thời|chủ\s+động|tích\s+cực|tổ\s+chức|triển\s+khai|"
    r"chỉ\s+đạo|phối\s+hợp)\s*(?:,|và)?\s*)*thực\s+hiện"
    r"(?:\s*,?\s*(?:nghiêm\s+túc|kịp\s+thời|có\s+hiệu\s+quả|hiệu\s+quả|đồng\s+bộ|đúng\s+quy\s+định|tốt|"
    r"(?:theo\s+)?(?:đúng\s+)?(?:các\s+)?(?:nội\s+dung|kế\s+hoạch|Kế\s+hoạch|Công\s+văn|Thông\s+báo|"
    r"văn\s+bản|Chỉ\s+thị|nhiệm\s+vụ|kết\s+luận|Kết\s+luận|ý\s+kiến\s+chỉ\s+đạo)"
    r"(?:\s+(?:này|trên|nêu\s+trên|đề\s+ra|đã\s+đề\s+ra|được\s+giao|"
    r"của\s+UBND\s+\w+))?))*"
    r"(?:\s*,?\s*(?:bảo\s+đảm|đảm\s+bảo|nhằm|để)\b.*)?[\s./]*",
    re.I | re.S,
)
# Work that announces the items below ("thực hiện tốt một số nội dung sau:", "triển khai các
# nhiệm vụ trọng tâm sau đây") is an introduction, not a task.
_LIST_INTRO_RE = re.compile(
    r"[^,;]{0,60}?\b(?:nội\s+dung|nhiệm\s+vụ|việc|công\s+việc|yêu\s+cầu|giải\s+pháp|biện\s+pháp)"
    r"(?:\s+\w+){0,3}?\s+(?:sau|sau\s+đây|như\s+sau)\s*[:.]?",
    re.I,
)
# "(quan tâm,) chỉ đạo Điện lực Thạch Hà (thực hiện) một số nội dung sau:" announces items that
# the unit asked directs.
_DIRECTS_ITEMS_RE = re.compile(
    r"(?:[^,;:]{0,30},\s*)?chỉ\s+đạo\s+[^;:]{0,80}?\b(?:một\s+số|các|những)\s+(?:nội\s+dung|"
    r"nhiệm\s+vụ|việc|công\s+việc)(?:\s+\w+){0,2}?\s+(?:sau|sau\s+đây|như\s+sau)\s*[:.]?",
    re.I,
)
# "chịu trách nhiệm trước Chủ tịch UBND tỉnh nếu ..." states accountability, not work.
_ANSWERABLE_RE = re.compile(
    r"(?:chịu\s+trách\s+nhiệm\s+)?trước\s+(?:Chủ\s+tịch|UBND|Ủy\s+ban|"
    r"Uỷ\s+ban|pháp\s+luật|Thường\s+trực|lãnh\s+đạo)",
    re.I,
)
_NOT_BEFORE_TRIGGER = {
    "đã",
    "đang",
    "sẽ",
    "vừa",
    "theo",
    "xét",
    "được",
    "các",
    "những",
    "có",
    "đúng",
    "bàn",
    "của",
    "với",
    "hiện",
    "thực",
    "nội",
    "ý",
    "kiến",
    "chấp",
    "thuận",
    "đồng",
}
_PASSIVE_VERBS = Lexicon(
    ["chủ trì", "thực hiện", "phụ trách", "chịu trách nhiệm", "làm chủ trì", "đảm nhận"]
)


def _coordination_at(
    toks: Sequence[Token], k: int, end: int, text: str
) -> tuple[list[UnitSpan], int]:
    """Units of "phối hợp (chặt chẽ) (với) X, Y" / "cùng (với) X" at `k`, and the index after."""
    if k + 1 < end and toks[k].key == "phối" and toks[k + 1].key == "hợp":
        j = k + 2
    elif k < end and toks[k].key == "cùng":
        j = k + 1
    else:
        return [], k
    j += _MANNER.match(toks, j, end)
    if j < end and toks[j].key in {"với", "cùng"}:
        j += 1
    units, after = parse_unit_list(toks, j, end, text)
    if units and after < end and toks[after].key == "để":
        after += 1  # "phối hợp với X để kiểm tra ...": the work is "kiểm tra ..."
    return (units, after) if units else ([], k)


def _coordination_inside(
    toks: Sequence[Token], start: int, end: int, text: str
) -> list[tuple[list[UnitSpan], int, int]]:
    """ "..., phối hợp với X <work>" after the first verb of a task: (units, from, to) each."""
    found: list[tuple[list[UnitSpan], int, int]] = []
    k = start
    if k + 1 < end and toks[k].key == "chỉ" and toks[k + 1].key == "đạo":
        # "chỉ đạo phòng chức năng chủ trì, phối hợp với Ban ATGT ...": whoever is directed
        # works with Ban ATGT; the lead does not.
        return found
    while k < end:
        if toks[k].key == "phối" and (
            k == start
            or toks[k - 1].text in {",", ";"}
            or _DURING.match(toks, max(start, k - 5), k) == 5
            or (k - 2 >= start and _LEAD_MODALS.match(toks, k - 2, k) == 2)
        ):
            units, after = _coordination_at(toks, k, end, text)
            if units:
                first = k
                if _DURING.match(toks, max(start, k - 5), k) == 5:
                    first = k - 5
                found.append((units, first, after))
                k = after
                continue
        k += 1
    return found


# "chủ động phối hợp với X ...": a modal of the lead before its coordination.
_LEAD_MODALS = Lexicon(["chủ động", "tích cực", "khẩn trương", "tiếp tục", "kịp thời"])
_MANNER = Lexicon(["chặt chẽ", "chặt chẽ, thường xuyên", "thường xuyên", "tốt"])
_DURING = Lexicon(["trong quá trình thực hiện"])


@dataclass
class _Claim:
    kind: str  # trigger, subject, passive, heading, inherited
    leads: list[UnitSpan]
    coordinating: list[UnitSpan]
    cut: int  # token index where the text before stops belonging to the previous claim
    task_start: int
    task_end: int | None = None  # passive claims know their task's end
    explicit: bool = False  # "chủ trì" was written
    confidence: float = 0.8
    intro: tuple[int, int] | None = None  # token range of an intro that may hold a deadline
    resume: int = 0  # where the search for the next directive goes on


def _is_issuer(unit: UnitSpan) -> bool:
    """A committee, council or office that issues directives rather than receiving them."""
    words = unit.text.split()
    if unit.is_group or not words:
        return False
    first = words[0].lower()
    if first == "văn" and not _ISSUING_OFFICE_RE.match(unit.text):
        # "Văn phòng Điều phối nông thôn mới huyện" is a unit that receives work; only the
        # office of a committee, council or party body issues ("Văn phòng UBND tỉnh").
        return False
    return first in {"ubnd", "hđnd", "vp", "vpubnd"} or unit.text.lower().startswith(
        (
            "ủy ban nhân dân",
            "uỷ ban nhân dân",
            "hội đồng nhân dân",
            "văn phòng",
            "thường trực",
            "ban thường vụ",
            "tỉnh ủy",
            "huyện ủy",
            "thành ủy",
        )
    )


_ISSUING_OFFICE_RE = re.compile(
    r"(?i)văn phòng\s+(?:ubnd|hđnd|ủy ban|uỷ ban|hội đồng|đoàn|tỉnh ủy|tỉnh uỷ|huyện ủy|huyện uỷ"
    r"|thành ủy|thành uỷ|thị ủy|thị uỷ|đảng ủy|đảng uỷ|chính phủ|quốc hội|chủ tịch|trung ương"
    r"|tỉnh\b|huyện\b|thành phố\b|sở\b|bộ\b|\S+\s*$)"
)

# Tiers of local government, lowest first: a committee of a lower tier than the notice's
# issuer ("UBND các xã A, B" in a district's notice) is addressed, never the issuer.
_TIER_WORDS = (
    ("xã", 1),
    ("phường", 1),
    ("thị trấn", 1),
    ("đặc khu", 1),
    ("huyện", 2),
    ("quận", 2),
    ("thị xã", 2),
    ("thành phố", 3),
    ("tỉnh", 3),
)
_TIER_RE = re.compile(
    r"(?i)(?<!\w)(thị trấn|đặc khu|thị xã|thành phố|xã|phường|huyện|quận|tỉnh)(?!\w)"
)


def _tier_of(text: str) -> int | None:
    m = _TIER_RE.search(text)
    if m is None:
        return None
    return dict(_TIER_WORDS)[m.group(1).lower()]


def _issuer_tier(text: str) -> int | None:
    """The tier of the issuing body named in the notice's upper-left block ("UỶ BAN NHÂN DÂN /
    HUYỆN ĐỨC THỌ"): the capitals lines before "Số:" or the national motto. None for a news
    report or a text without that block."""
    tier = None
    for line in text[:600].split("\n")[:6]:
        stripped = line.strip()
        if not stripped:
            continue
        if (
            stripped.lower().startswith(("số", "cộng hòa", "cộng hoà"))
            or stripped != stripped.upper()
        ):
            break
        found = _tier_of(stripped)
        if found == 3 and _TIER_RE.search(stripped).group(1).lower() == "thành phố":  # type: ignore[union-attr]
            found = _CITY_TIER  # "THÀNH PHỐ HÀ NỘI": a city of the province's tier
        if found is not None:
            tier = found if tier is None else min(tier, found)
    return tier


# A city run by the centre issues as a province; a "thành phố" named in a province's notice is
# the province's city, of a district's tier ("UBND thành phố Đông Hà:" in Quảng Trị's notice).
_CITY_TIER = 4


def _heading_issuer(unit: UnitSpan, tier: int | None) -> bool:
    """A heading's unit that is the issuer (its items are the issuer's own words, not work for
    it): an issuing committee or office not of a lower tier than the notice's issuer."""
    if not _is_issuer(unit):
        return False
    if tier is None:
        return True
    own = _tier_of(unit.text)
    m = _TIER_RE.search(unit.text)
    if own == 3 and m is not None and m.group(1).lower() == "thành phố":
        own = _CITY_TIER if tier == _CITY_TIER else 2
    return own is None or own >= tier


def _skip_parenthesis(toks: Sequence[Token], j: int, n: int) -> int:
    """Index after a short note in brackets behind a unit ("Phòng Nội vụ (Ban Thi đua - Khen
    thưởng) hướng dẫn ..."), or `j` when there is none."""
    if j < n and toks[j].text == "(":
        for m in range(j + 1, min(n, j + 30)):  # (a note of up to ~25 words)
            if toks[m].text == ")":
                return m + 1
    return j


def _skip_item_marker(toks: Sequence[Token], i: int, n: int) -> int:
    while i < n and toks[i].text in {"“", '"', "‘", "'"}:
        i += 1
    if i < n and toks[i].text in {"-", "+", "•", "–", "*"}:
        return i + 1
    if i + 2 < n and toks[i].text == "(" and toks[i + 2].text == ")" and len(toks[i + 1].text) <= 2:
        return i + 3
    if i + 1 < n and toks[i + 1].text == ")" and len(toks[i].text) <= 2:
        return i + 2
    return i


class _SentenceReader:
    """Finds the directives of one sentence and cuts its text into tasks."""

    def __init__(
        self, text: str, toks: list[Token], addressees: frozenset[str] = frozenset()
    ) -> None:
        self.text = text
        self.toks = toks
        self.n = len(toks)
        self.addressees = addressees  # match keys of the units the letter is addressed to
        self.found: list[_Claim] = []
        self.context: list[_Claim] | None = None  # the heading claims of `claims`
        # Where the last unit list that was not a subject ended, for subjects tried with and
        # without a bare verb: a subject tried again inside that list ends at the same place
        # and fails the same way, and trying it at every comma of a long list is quadratic.
        self._not_subject_until = {True: -1, False: -1}

    def units(self, i: int) -> tuple[list[UnitSpan], int]:
        return parse_unit_list(self.toks, i, self.n, self.text)

    def after_lead(self, j: int, claim: _Claim) -> None:
        """Read "chủ trì", "phối hợp với ..." after the lead; set where the work starts."""
        toks, n = self.toks, self.n
        pending: list[UnitSpan] = []
        for unit in claim.leads:
            # ("Sở Tài chính, Sở Nội vụ (phối hợp)": the role in brackets names both)
            pending.append(unit)
            if unit.role:
                for earlier in pending:
                    earlier.role = unit.role
                pending = []
        if any(u.role == "coordinating" for u in claim.leads) and any(
            u.role != "coordinating" for u in claim.leads
        ):
            # "Giao Sở Y tế (chủ trì), Sở Tài chính (phối hợp) ..."
            claim.coordinating.extend(u for u in claim.leads if u.role == "coordinating")
            claim.leads = [u for u in claim.leads if u.role != "coordinating"]
            claim.explicit = True
        for _ in range(4):
            while j < n and toks[j].text in {",", ":", "-"}:
                j += 1
            if j >= n:
                break
            key = toks[j].key
            if key == "chủ" and j + 1 < n and toks[j + 1].key == "trì":
                claim.explicit = True
                j += 2
                k = j + 1 if j < n and toks[j].text == "," else j
                others, after = (
                    self.units(k)
                    if k < n and (toks[k].is_capital or toks[k].key == "các")
                    else ([], k)
                )
                if (
                    others
                    and after + 1 < n
                    and toks[after].key == "phối"
                    and toks[after + 1].key == "hợp"
                    and not (after + 2 < n and toks[after + 2].key in {"với", "cùng", "chặt"})
                ):
                    # "Giao Sở Y tế chủ trì, Sở Tài chính phối hợp thẩm định ..."
                    claim.coordinating.extend(others)
                    j = after + 2
                continue
            m = _DROP_MODALS.match(toks, j, n)
            if m:
                j += m
                continue
            if (key == "phối" and j + 1 < n and toks[j + 1].key == "hợp") or key == "cùng":
                units, after = _coordination_at(toks, j, n, self.text)
                if units:
                    claim.coordinating.extend(units)
                    j = after
                    continue
                break
            m = _ADJUNCTS.match(toks, j, n)
            if m:
                # "theo chức năng, nhiệm vụ được giao," / "trên cơ sở ...," is not the work.
                k = j + m
                k += _ASSIGNED.match(toks, k, n)
                if toks[j].key == "theo" and (
                    _LEAD_MODALS.match(toks, k, n)
                    or _DROP_MODALS.match(toks, k, n)
                    or is_verb_at(toks, k, n)
                ):
                    # "theo chức năng, nhiệm vụ chủ động nắm tình hình, ...": no comma after
                    # the adjunct, the modal opens the work.
                    j = k
                    continue
                while k < n and not (
                    toks[k].text == "," and k + 1 < n and is_verb_at(toks, k + 1, n)
                ):
                    if toks[k].text in {";", ":"} or (
                        k > j + m + 1 and toks[k - 1].text != "," and is_verb_at(toks, k, n)
                    ):
                        # "căn cứ chức năng, nhiệm vụ ... rà soát, đánh giá ...": the work began
                        # before the comma; the phrase stays in the task.
                        k = n
                        break
                    k += 1
                if k < n and toks[k].text == ",":
                    j = k + 1
                    continue
                break
            break
        claim.task_start = j
        if j + 1 < n and toks[j].key == "chỉ" and toks[j + 1].key == "đạo":
            # "Đề nghị UBMTTQ huyện chỉ đạo các thôn ...": directing is the lead's work.
            claim.resume = j + 2

    def try_trigger(self, i: int) -> _Claim | None:
        toks, n = self.toks, self.n
        m = TRIGGERS.match(toks, i, n)
        if not m:
            return None
        if (
            toks[i].key == "chỉ"
            and self.found
            and (
                (
                    self.found[-1].kind in {"subject", "inherited", "heading"}
                    and self._clause_initial(i)
                )
                # "Đề nghị Sở A kiểm tra ...; đồng thời chỉ đạo Chi cục B ...": after a ";" the
                # unit asked goes on directing its own agency (the issuer would "giao" anew).
                or (self.found[-1].kind == "trigger" and self._clause_initial(i, ";"))
                # "a) UBND thành phố: - Tập trung chỉ đạo Hội đồng bồi thường ...": an item
                # under a heading opening with "chỉ đạo" is the heading unit's directing.
                or (self.found[-1].kind in {"heading", "inherited"} and self._item_initial(i))
            )
        ):
            # "Công an tỉnh bố trí lực lượng ...; chỉ đạo Công an các huyện ...": the subject of
            # the sentence directs; whom it directs is part of its work, not a new lead.
            return None
        if (
            toks[i].key == "chỉ"
            and self.found
            and self.found[-1].kind == "trigger"
            and _DIRECTS_ITEMS_RE.fullmatch(self.text[toks[i].start : toks[-1].end].rstrip())
        ):
            # "đề nghị Quý cơ quan quan tâm, chỉ đạo Điện lực X một số nội dung sau:": the unit
            # asked directs X in the items below; X is no lead of its own.
            return None
        if toks[i].key == "chỉ" and not self.found and self.context and self._item_initial(i):
            # "a) UBND thành phố Đông Hà: - Tập trung chỉ đạo Hội đồng bồi thường ...": an item
            # under a heading that opens with "chỉ đạo" is the heading unit's directing.
            parent = self.context[-1]
            claim = _Claim(
                "inherited", parent.leads, list(parent.coordinating), 0, 0,
                explicit=parent.explicit, confidence=0.8,
            )  # fmt: skip
            self.after_lead(0, claim)
            claim.resume = i + 2
            return claim
        if self._advised_before(i):
            return None
        if i > 0 and not toks[i - 1].is_capital:  # ("UBND TP Hà Nội giao": a name's word)
            prev = toks[i - 1].key
            prev2 = f"{toks[i - 2].key} {prev}" if i > 1 else prev
            reported = prev in {"đã", "vừa"} and self._issuer_before(i - 1)
            if (prev in _NOT_BEFORE_TRIGGER and not reported) or prev2 in {
                "đồng ý",
                "chấp thuận",
                "ý kiến",
            }:
                return None
        j = i + m
        while j < n and toks[j].text in {":", "cho"}:
            j += 1
        if j < n and toks[j].key in {"của", "về"}:
            return None
        leads, after = self.units(j)
        if not leads:
            return None
        claim = _Claim("trigger", leads, [], i, after, confidence=0.85)
        self.after_lead(after, claim)
        if claim.explicit:
            claim.confidence = 0.9
        return claim

    def _advised_before(self, i: int) -> bool:
        """ "tham mưu UBND cấp huyện chỉ đạo UBND các xã ...": the directive right after the
        unit a lead advises (or proposes to) is what it advises, not a directive of the text."""
        toks = self.toks
        for k in range(max(0, i - 14), i - 2):
            pair = f"{toks[k].key} {toks[k + 1].key}"
            if pair in {"tham mưu", "đề xuất", "kiến nghị"}:
                start = k + 2
                if toks[start].key in {"cho", "với"}:
                    start += 1
                units, after = self.units(start)
                if units and after == i:
                    return True
        return False

    def _after_place_name(self, leads: list[UnitSpan], k: int) -> bool:
        """ "UBND huyện Hồng Ngự cắm biển báo ...": after a unit named by its place's proper
        name, a lower-case word is the predicate even when the verb lexicon lacks it."""
        toks = self.toks
        last = leads[-1]
        return (
            len(leads) == 1
            and toks[k].is_word
            and not toks[k].is_capital
            and toks[last.last - 1].is_capital
            and any(
                toks[m].key in {"huyện", "tỉnh", "xã", "phường", "quận", "thị", "thành"}
                for m in range(last.first, last.last)
            )
        )

    def _clause_has_deadline(self, k: int) -> bool:
        """Whether the clause around token `k` (between ";") names a deadline or a period
        ("hàng quý")."""
        toks = self.toks
        a = k
        while a > 0 and toks[a - 1].text != ";":
            a -= 1
        b = k
        while b < self.n and toks[b].text != ";":
            b += 1
        return bool(find_deadlines(self.text[toks[a].start : toks[b - 1].end]))

    def _issuer_before(self, i: int) -> bool:
        """Whether the clause before token `i` names the issuing chair or committee: "Chủ tịch
        UBND tỉnh đã yêu cầu X ..." in a news report is the directive itself, not a status."""
        toks = self.toks
        for k in range(i - 1, max(-1, i - 12), -1):
            if toks[k].text in {";", ":"}:
                return False
            if (
                toks[k].key in {"ubnd", "hđnd"}
                or (toks[k].key == "tịch" and k > 0 and toks[k - 1].key == "chủ")
                or (toks[k].key == "ban" and k + 2 < i and toks[k + 2].key == "nhân")
            ):
                return True
        return False

    def _item_initial(self, i: int) -> bool:
        """Whether token `i` opens its sentence or item, after at most one adverb of manner
        ("Tập trung", "Trực tiếp", "Khẩn trương", "Tiếp tục", "Thường xuyên")."""
        toks = self.toks
        k = i - 1
        if k >= 1 and f"{toks[k - 1].key} {toks[k].key}" in _DIRECTING_ADVERBS:
            k -= 2
        return k < 0 or (not toks[k].is_word and toks[k].text not in {",", ";"})

    def _clause_initial(self, i: int, separators: str = ";,") -> bool:
        """Whether token `i` opens a clause whose subject is elided: after ";" or "," (those of
        `separators`) and an optional "đồng thời" / "và" / "cũng"."""
        toks = self.toks
        k = i - 1
        if k >= 1 and toks[k].key == "thời" and toks[k - 1].key == "đồng":
            k -= 2
        if k >= 0 and toks[k].key in {"và", "cũng"}:
            k -= 1
        return k >= 0 and len(toks[k].text) == 1 and toks[k].text in separators

    def try_subject(self, i: int, strong_only: bool) -> _Claim | None:
        if i < self._not_subject_until[strong_only]:
            return None
        claim = self._try_subject(i, strong_only)
        if claim is None and self._list_end > i:
            self._not_subject_until[strong_only] = self._list_end
            if not strong_only:
                self._not_subject_until[True] = max(self._not_subject_until[True], self._list_end)
        return claim

    def _try_subject(self, i: int, strong_only: bool) -> _Claim | None:
        toks, n = self.toks, self.n
        self._list_end = -1
        if i >= n or not toks[i].is_word:
            return None
        if self._owned(i):
            return None
        leads, j = self.units(i)
        if not leads:
            leads, j = self._responsible_group(i)
        if not leads:
            return None
        self._list_end = j
        if len(leads) > 1:
            # "Riêng Bệnh viện Đa khoa tỉnh, giám đốc bệnh viện phải ...": a title and the bare
            # head noun of a unit just named point back at it.
            leads = [
                u
                for index, u in enumerate(leads)
                if not (
                    u.head
                    and u.text.lower() == u.head.lower()
                    and any(v.head.lower() == u.head.lower() for v in leads[:index])
                )
            ]
        k = _skip_parenthesis(toks, j, n)
        while k < n and (toks[k].text == "," or toks[k].key == "cũng"):
            k += 1  # ("Sở này cũng phải báo cáo ...": "also")
        if k >= n:
            return None
        if toks[k].text == ":":
            claim = _Claim("heading", leads, [], i, k + 1, confidence=0.8)
            self.after_lead(k + 1, claim)
            return claim
        if toks[k].key == "là":
            k = self._after_role(k)
        if (
            toks[k].key == "được"
            and k + 1 < n
            and toks[k + 1].key in {"yêu", "giao", "đề"}
            and TRIGGERS.match(toks, k + 1, n)
            and k + 1 + TRIGGERS.match(toks, k + 1, n) < n
            and is_verb_at(toks, k + 1 + TRIGGERS.match(toks, k + 1, n), n)
        ):
            # "Ban Quản lý dự án được yêu cầu đôn đốc nhà thầu ...": asked in the passive, the
            # subject is the lead of the work after the directive.
            k += 1 + TRIGGERS.match(toks, k + 1, n)
            claim = _Claim("subject", leads, [], i, k, confidence=0.75)
            self.after_lead(k, claim)
            return claim
        strong = _STRONG.match(toks, k, n)
        directing = toks[k].key == "chỉ" and k + 1 < n and toks[k + 1].key == "đạo"
        if directing:
            self._list_end = -1  # a shorter list (without the issuer) may direct
        if directing and (
            # (several committees side by side are the addressed, not the issuer)
            len(leads) > 1
            or not any(
                _is_issuer(lead) and match_key(lead.text) not in self.addressees for lead in leads
            )
        ):
            # "Giám đốc Sở Y tế chỉ đạo các bệnh viện ...": the department leads, directing
            # is its work; only the issuing committee's "chỉ đạo X" makes X the lead.
            return _Claim("subject", leads, [], i, k, confidence=0.7, resume=k + 2)
        if not strong:
            reporting = (
                toks[k].key == "báo"
                # ("Ông Trần Văn A, Trưởng phòng B báo cáo ..." is a person's report.)
                and not (i > 1 and toks[i - 1].text == "," and toks[i - 2].is_capital)
                and self._clause_has_deadline(k)
            )
            if (_STATUS.match(toks, k, n) and not reporting) or TRIGGERS.match(toks, k, n):
                # ("Sở Y tế báo cáo tình hình ..." tells what was said at a meeting; "hàng
                # quý, các huyện báo cáo tiến độ ..." with a deadline or a period asks for it.)
                return None
            if strong_only or not (is_verb_at(toks, k, n) or self._after_place_name(leads, k)):
                return None
        claim = _Claim("subject", leads, [], i, k, confidence=0.75 if strong else 0.6)
        self.after_lead(k, claim)
        return claim

    def _owned(self, i: int) -> bool:
        """A unit after "của", or listed after one ("trách nhiệm của cơ quan chủ trì, cơ quan
        phối hợp"), is owned: a role named, not the subject of a clause."""
        toks = self.toks
        if i > 0 and toks[i - 1].key == "của" and not toks[i].is_capital:
            return True
        if i < 2 or toks[i - 1].text != ",":
            return False
        m = i - 2
        while m > 0 and i - m < 10 and toks[m].text not in {",", ";", ":", "."}:
            if toks[m - 1].key == "của" and toks[m].key == toks[i].key:
                return True
            m -= 1
        return False

    def _responsible_group(self, i: int) -> tuple[list[UnitSpan], int]:
        """ "Các chủ rừng là tổ chức có trách nhiệm rà soát ...": a plural noun phrase outside
        the gazetteer that is given a responsibility is a group lead; only "có / chịu trách
        nhiệm", which is said of those who act ("Các dự án phải ..." is not)."""
        toks, n = self.toks, self.n
        if i >= n or toks[i].key not in {"các", "những"}:
            return [], i
        for m in range(i + 1, min(n, i + 8)):
            if not toks[m].is_word:
                return [], i
            if (
                m > i + 1
                and toks[m].key in {"có", "chịu"}
                and m + 2 < n
                and toks[m + 1].key == "trách"
                and toks[m + 2].key == "nhiệm"
            ):
                name = " ".join(self.text[toks[i].start : toks[m - 1].end].split())
                return [UnitSpan(name, i, m, True, toks[i + 1].text)], m
        return [], i

    def _named_subject_after_comma(self, i: int) -> _Claim | None:
        """ "giao Sở Xây dựng hướng dẫn ... trước ngày 15.11, Sở Tài chính thẩm định ...": after
        a directive, a comma, then one named unit (a capitalised head, not a group) and a bare
        action verb is the next directive. Not when the text before the comma ends with a unit
        ("gửi Sở Xây dựng, Sở Tài chính thẩm định": the units are the objects)."""
        toks = self.toks
        if not (toks[i + 1].is_capital and self._unit_head_at(i + 1)):
            return None
        if self._unit_list_ends_at(i):
            return None
        claim = self.try_subject(i + 1, strong_only=False)
        if claim is None or claim.kind != "subject" or len(claim.leads) != 1:
            return None
        if claim.leads[0].is_group or claim.resume:
            return None
        return claim

    def _unit_head_at(self, k: int) -> bool:
        return bool(NAMED_HEADS.match(self.toks, k, self.n))

    def _unit_list_ends_at(self, i: int) -> bool:
        """Whether a unit list ends just before token `i` (within the clause before it)."""
        toks = self.toks
        for m in range(i - 1, max(-1, i - 12), -1):
            if toks[m].text in {",", ";", ":"}:
                return False
            if toks[m].is_capital or toks[m].key in {"các", "những"}:
                units, after = parse_unit_list(toks, m, i, self.text)
                if units and after == i:
                    return True
        return False

    def _after_role(self, k: int) -> int:
        """ "Sở Y tế là cơ quan thường trực (Chương trình), chủ trì ..." / "là cơ quan đầu mối
        tham mưu ...": where the work starts after the unit's role; `k` itself when none."""
        toks, n = self.toks, self.n
        if k + 1 >= n or toks[k + 1].key not in {"cơ", "đơn", "đầu", "thường", "ngành"}:
            return k
        for m in range(k + 2, min(n, k + 20)):
            if toks[m].text in {";", ":", "."}:
                break
            if toks[m].text == ",":
                if m + 1 < n and (_STRONG.match(toks, m + 1, n) or is_verb_at(toks, m + 1, n)):
                    return m + 1
                break
            if toks[m - 1].key in {"mối", "trì", "trực", "quản"} and is_verb_at(toks, m, n):
                return m
        return k

    def try_passive(self, i: int, segment_start: int) -> _Claim | None:
        toks, n = self.toks, self.n
        if toks[i].key != "do" or i <= segment_start:
            return None
        leads, j = self.units(i + 1)
        if not leads or not _PASSIVE_VERBS.match(toks, j, n):
            return None
        claim = _Claim("passive", leads, [], segment_start, j, task_end=i, confidence=0.7)
        claim.explicit = True
        j += _PASSIVE_VERBS.match(toks, j, n)
        self.after_lead(j, claim)
        claim.task_start = segment_start
        claim.intro = None
        claim.passive_after = self._passive_after(j)  # type: ignore[attr-defined]
        return claim

    def _passive_after(self, j: int) -> int:
        toks, n = self.toks, self.n
        while j < n and toks[j].text == ",":
            j += 1
        if j + 1 < n and toks[j].key == "phối" and toks[j + 1].key == "hợp":
            k = j + 2 + (1 if j + 2 < n and toks[j + 2].key in {"với", "cùng"} else 0)
            _units, j = self.units(k)
        if j < n and toks[j].key == "thực" and j + 1 < n and toks[j + 1].key == "hiện":
            j += 2
        return j

    def skip_intro(self, i: int) -> tuple[int, bool]:
        """Index after connective phrases ("Cụ thể, ", "Về ..., ") and whether the clause opens
        like a narrative ("Ngày 4/4, ...")."""
        toks, n = self.toks, self.n
        narrative = False
        for _ in range(3):
            if i >= n:
                break
            if _NARRATIVE.match(toks, i, n) and not _INTRO.match(toks, i, n):
                narrative = True
                break
            if not _INTRO.match(toks, i, n):
                break
            m = _UNIT_TOPIC.match(toks, i, n)
            if m:
                units, after = parse_unit_list(toks, i + m, n, self.text)
                if units and after < n and toks[after].text in {":", ","}:
                    # "Đối với Sở Y tế: khẩn trương ...", "Về phía Sở GD&ĐT, cần ...": the
                    # topic is the unit, which is the subject.
                    i += m
                    break
            m = _LINKS.match(toks, i, n)
            if m and (i + m >= n or toks[i + m].text != ","):
                # "đồng thời chỉ đạo ...", "Riêng Sở Y tế ...": a linking word before the clause
                # itself, not a phrase up to a comma.
                i += m
                continue
            k = i
            while k < n and k - i < 30 and toks[k].text not in {",", ";", ":"}:
                k += 1
                if (
                    k + 1 < n
                    and toks[k].text == ","
                    and toks[k + 1].key in {"nhiệm", "quyền", "thẩm"}
                ):
                    k += 1  # "Theo chức năng, nhiệm vụ được giao, ..." is one phrase
            if k < n and toks[k].text == ",":
                i = k + 1
            else:
                break
        return i, narrative

    def _opens_work(self, i: int) -> bool:
        """Whether a clause without a subject opens with work: a modal or an action verb, not a
        report of what happened, a trigger or a unit."""
        toks, n = self.toks, self.n
        if i >= n or not toks[i].is_word:
            return False
        if (
            _STATUS.match(toks, i, n)
            or TRIGGERS.match(toks, i, n)
            or _NON_TASK_OPENERS.match(toks, i, n)
            or _INTRO.match(toks, i, n)  # "Đối với dự án ...:" is a topic
        ):
            return False
        if _STRONG.match(toks, i, n):
            return True
        verb = is_verb_at(toks, i, n, allow_capital=True)
        return bool(verb) and not (
            verb == 1
            and toks[i].key
            in {
                "theo",
                "trong",
                "từ",
                "khi",
                "tại",
                "để",
                "nhằm",
                "đối",
                "về",
                "thành",
                "hướng",
                "tự",
                "in",
                "trực",
                "tiếp",
            }
        )

    def claims(self, context: list[_Claim] | None, elided: _Claim | None = None) -> list[_Claim]:
        """The directives of the sentence. `context`: the heading claims whose items these are;
        `elided`: the directive of the sentence just before, whose lead a sentence without a
        subject continues."""
        toks, n = self.toks, self.n
        found: list[_Claim] = self.found
        self.context = context
        i = 0
        clause_start = True
        segment_start = 0
        narrative_sentence = False
        first_clause = True
        topic = False
        while i < n:
            token = toks[i]
            if token.text in {";", ":"}:
                # "- Về công tác tuyển sinh: hướng dẫn ...": a topic, then the item's work.
                topic = token.text == ":" and not found and i <= 12
                clause_start = True
                segment_start = i + 1
                i += 1
                continue
            if clause_start:
                clause_start = False
                k = _skip_item_marker(toks, i, n)
                body, narrative = self.skip_intro(k)
                if first_clause and narrative:
                    narrative_sentence = True
                if not narrative_sentence or not first_clause:
                    claim = self.try_subject(body, strong_only=False)
                    if claim is None and body != k:
                        claim = self.try_subject(k, strong_only=False)
                    if claim is None and not narrative:
                        # "sau Tết, thủ trưởng các cơ quan, đơn vị chấn chỉnh ...": a short
                        # opening phrase before the subject.
                        c = next(
                            (m for m in range(body, min(n, body + 7)) if toks[m].text in ",;:"),
                            None,
                        )
                        if (
                            c is not None
                            and toks[c].text == ","
                            and c > body
                            and not any(TRIGGERS.match(toks, m, c) for m in range(body, c))
                            and not is_verb_at(toks, body, c, allow_capital=True)
                            and not self.units(body)[0]
                        ):
                            claim = self.try_subject(c + 1, strong_only=False)
                            if claim is not None:
                                body = c + 1
                    if claim is not None:
                        claim.cut = k
                        if body != k:
                            claim.intro = (k, body)
                        found.append(claim)
                        i = max(claim.task_start, claim.resume, i + 1)
                        segment_start = claim.task_start
                        first_clause = False
                        continue
                directing = toks[k].key == "chỉ" and k + 1 < n and toks[k + 1].key == "đạo"
                if (
                    (first_clause or topic)
                    and context
                    and not found
                    and (directing or not TRIGGERS.match(toks, k, n))
                    and is_verb_at(toks, k, n, allow_capital=True)
                    and not _NON_TASK_OPENERS.match(toks, k, n)
                ):
                    parent = context[-1]
                    claim = _Claim(
                        "inherited",
                        parent.leads,
                        list(parent.coordinating),
                        k,
                        k,
                        explicit=parent.explicit,
                        confidence=0.8,
                    )
                    self.after_lead(k, claim)
                    found.append(claim)
                    i = max(claim.task_start, i + 1)
                    first_clause = False
                    continue
                if (
                    first_clause
                    and elided is not None
                    and not found
                    and not narrative
                    and not _NON_TASK_OPENERS.match(toks, k, n)  # "Trong đó, lưu ý ..."
                    and not (_INTRO.match(toks, k, n) and any(t.text == ":" for t in toks[k:]))
                    and toks[-1].text in {".", ";", "…", "!"}  # not a heading ("3. Về ...")
                    and self._opens_work(body)
                ):
                    # "Theo chức năng, nhiệm vụ được giao, chủ động triển khai ...": no subject,
                    # so the lead of the directive just before goes on.
                    link = _LINKS.match(toks, k, n)
                    start = body if link and body <= k + link + 1 else k
                    claim = _Claim(
                        "elided",
                        elided.leads,
                        [],
                        k,
                        start,
                        explicit=elided.explicit,
                        confidence=0.55,
                    )
                    claim.link = " ".join(t.key for t in toks[k : k + link])  # type: ignore[attr-defined]
                    self.after_lead(start, claim)
                    found.append(claim)
                    i = max(claim.task_start, i + 1)
                    first_clause = False
                    continue
                first_clause = False
                if k != i:
                    i = k
                    continue
            if token.text == "," and i + 1 < n:
                claim = self.try_subject(i + 1, strong_only=True)
                if claim is None and found and not narrative_sentence:
                    claim = self._named_subject_after_comma(i)
                if claim is not None and not narrative_sentence:
                    claim.cut = i
                    found.append(claim)
                    i = max(claim.task_start, claim.resume, i + 1)
                    continue
            claim = self.try_trigger(i)
            if claim is None:
                claim = self.try_passive(i, segment_start)
                if claim is not None:
                    found.append(claim)
                    i = max(claim.passive_after, i + 1)  # type: ignore[attr-defined]
                    segment_start = i
                    while segment_start < n and toks[segment_start].text in {",", "và"}:
                        segment_start += 1
                    continue
            if claim is not None:
                # The issuer before the verb ("UBND tỉnh giao") is cut off at the last separator.
                k = i - 1
                while k >= 0 and i - k < 15 and toks[k].text not in {",", ";", ":"}:
                    k -= 1
                claim.cut = k if k >= 0 and i - k < 15 else i
                if found and claim.cut < found[-1].task_start:
                    claim.cut = i
                found.append(claim)
                i = max(claim.task_start, claim.resume, i + 1)
                continue
            i += 1
        return found


# ---------------------------------------------------------------------------------------------
# From claims to tasks

_PAREN_NOTE_RE = re.compile(r"\s*\((?=[^()]*(?:kèm theo|[Ss]ao gửi|đính kèm))[^()]*\)")
_LEADING_JUNK_RE = re.compile(r"^[\s,;:.\-–+•)]+")
_TRAILING_JUNK_RE = re.compile(r"[\s,;:.\-–/…\[\]”“\"]+$")
_COMPLETION_BEFORE_RE = re.compile(
    r"(?:[,;]\s*(?:và\s+)?(?:phải\s+)?(?:thời\s+(?:gian|hạn)(?:\s+hoàn\s+thành)?\s*:?\s*|"
    r"hoàn\s+thành(?:\s+xong)?|xong|thực\s+hiện\s+xong|"
    r"kết\s+thúc|hoàn\s+tất)?|\s+(?:hoàn\s+thành(?:\s+xong)?|xong|thực\s+hiện\s+xong))\s*$",
    re.I,
)
_COMPLETION_NEAR_RE = re.compile(
    r"(?:hoàn\s+thành|xong|hoàn\s+tất|phấn\s+đấu|kết\s+thúc|thực\s+hiện|báo\s+cáo[^,;]{0,40})\s*$",
    re.I,
)


_TRAILING_RECURRING_RE = re.compile(
    r"[,;]\s*(?:thực\s+hiện|làm|tiến\s+hành|báo\s+cáo)?\s*(?:thường\s+xuyên|định\s+kỳ|hằng\s+"
    r"(?:tháng|quý|năm|tuần)|hàng\s+(?:tháng|quý|năm|tuần))[\s.;,/]*$",
    re.I,
)


_LEADING_VIEC_RE = re.compile(r"^việc\s+", re.I)


def _as_sentence(text: str) -> str:
    """The task as a clerk writes it: without a leading "Việc" ("Việc lập quy hoạch ... do X
    chủ trì" is the work "Lập quy hoạch ...") and with a capital first letter."""
    text = _LEADING_VIEC_RE.sub("", text)
    return text[:1].upper() + text[1:]


# "… trước 17 giờ ngày 15/10", Chủ tịch UBND tỉnh yêu cầu.": who said the quoted directive.
_ATTRIBUTION_RE = re.compile(r"[\"”]\s*,[^\"“”]{0,100}$")


def _clean_task(text: str) -> str:
    text = _PAREN_NOTE_RE.sub("", text)
    text = _ATTRIBUTION_RE.sub("", text)
    text = " ".join(text.split())
    text = _LEADING_JUNK_RE.sub("", text)
    text = _TRAILING_JUNK_RE.sub("", text)
    text = text.replace(" ,", ",").replace(" ;", ";")
    return text.strip('“”" ')


_PURPOSE_AFTER_RE = re.compile(r"\s*,?\s*(?:để|nhằm)\s", re.I)


# A noun of work done right before a weak "hoàn thành <time>" makes it the noun's attribute.
_MEASURED_WORK_RE = re.compile(
    r"\b(?:khối\s+lượng|hạng\s+mục|công\s+trình|sản\s+phẩm|giá\s+trị|phần\s+việc|dự\s+án)"
    r"(?:\s+(?:đã|đã\s+được|được))?\s*$",
    re.I,
)


def _pick_deadline(segment: str, matches: list[DeadlineMatch]) -> DeadlineMatch | None:
    """The deadline of a task among the phrases in its text: strong ones anywhere, weak ones
    only at the end or start of the task or right after "hoàn thành"."""
    stripped_end = len(_TRAILING_JUNK_RE.sub("", segment))
    accepted = []
    recurring = []
    for m in matches:
        if m.recurring:
            recurring.append(m)
            continue
        if m.strong:
            if _PURPOSE_AFTER_RE.match(segment, m.end):
                # "báo cáo ... trước ngày 10-5 để Sở tổng hợp, báo cáo UBND tỉnh trước ngày
                # 18-5": what follows "để" is someone else's work, and its deadline too.
                return m
            accepted.append(m)
            continue
        if _MEASURED_WORK_RE.search(segment, 0, m.start) and m.text.lower().startswith("hoàn"):
            continue  # "thanh toán khối lượng hoàn thành năm 2024": what was done, not by when
        at_end = m.end >= stripped_end - 1
        at_start = not segment[: m.start].strip(" ,;:")
        near = _COMPLETION_NEAR_RE.search(segment[max(0, m.start - 60) : m.start]) is not None
        if at_end or at_start or near:
            accepted.append(m)
    if accepted:
        return accepted[-1]
    return recurring[0] if recurring else None


@dataclass
class _Built:
    tasks: list[ProposedTask]
    last_group: list[ProposedTask]


def _strip_leading_modals(toks: Sequence[Token], i: int, end: int) -> int:
    for _ in range(3):
        while i < end and toks[i].text in {",", ":", "-"}:
            i += 1
        m = _DROP_MODALS.match(toks, i, end)
        if not m:
            break
        i += m
    return i


_FULL_DATE_RE = re.compile(
    r"(?<!\d)\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*((?:19|20)\d\d)(?!\d)"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+((?:19|20)\d\d)(?!\d)",
    re.I,
)


class _TaskBuilder:
    def __init__(self, text: str, issued_on: date | None, calendar: WorkingCalendar) -> None:
        self.text = text
        self.issued_on = issued_on
        self.calendar = calendar
        self.warnings: list[str] = []
        self.addressees: frozenset[str] = frozenset()
        self.addressee_names: list[str] = []  # as written, for "Quý cơ quan"
        self._year_cache: tuple[tuple[int, int], int | None] = ((-1, -1), None)
        # Without an issue date, the year of the first full date in the text (the meeting's,
        # "Ngày 12/7/2023, ...") dates "trước ngày 20-7" when its sentence names none.
        first = _FULL_DATE_RE.search(text, 0, 5000) if issued_on is None else None
        self.text_year = int(first.group(1) or first.group(2)) if first else None
        # A news report's meeting day (set by read_notice): "trong 15 ngày" counts from it.
        self.meeting_day: date | None = None

    def deadlines_in(self, text: str, sentence: str) -> list[DeadlineMatch]:
        """Deadline phrases of `text`, a part of `sentence` (whose year, when the notice's date
        is unknown, dates the phrases written without one)."""
        year_hint = (year_named_in(sentence) or self.text_year) if self.issued_on is None else None
        return find_deadlines(text, self.issued_on, self.calendar, year_hint, self.meeting_day)

    def _year_of(self, sentence: tuple[int, int]) -> int | None:
        """The year the sentence names (computed once per sentence)."""
        if self._year_cache[0] != sentence:
            named = year_named_in(self.text[sentence[0] : sentence[1]])
            self._year_cache = (sentence, named or self.text_year)
        return self._year_cache[1]

    def make(
        self,
        claim: _Claim,
        toks: Sequence[Token],
        start: int,
        end: int,
        sentence: tuple[int, int],
        extra_deadline_range: tuple[int, int] | None = None,
        task_end: int | None = None,
    ) -> list[ProposedTask]:
        """Tasks (one per lead) for the work in tokens [start, end)."""
        start = _strip_leading_modals(toks, start, end)
        if start >= end and task_end is None:
            return []
        seg_start = toks[start].start if start < len(toks) else sentence[1]
        seg_end = toks[end - 1].end if end - 1 < len(toks) and end > start else seg_start
        if task_end is not None:
            seg_end = max(seg_end, toks[task_end - 1].end if task_end > 0 else seg_start)
        segment = self.text[seg_start:seg_end]
        year_hint = None
        if self.issued_on is None:
            year_hint = self._year_of(sentence)
        matches = find_deadlines(
            segment, self.issued_on, self.calendar, year_hint, self.meeting_day
        )
        chosen = _pick_deadline(segment, matches)
        work_end = len(segment)
        if task_end is not None:
            work_end = (toks[task_end - 1].end if task_end > start else seg_start) - seg_start
        work = segment[:work_end]
        if chosen is not None and not chosen.recurring and chosen.start < len(work):
            before = _COMPLETION_BEFORE_RE.sub("", work[: chosen.start])
            after = work[chosen.end :]
            if chosen.strong and _PURPOSE_AFTER_RE.match(after) and before.strip():
                after = ""  # the purpose after the deadline is the recipient's work
            if not before.strip():
                after = after.lstrip(" ,;:")
            work = before + (" " if before and after and not after.startswith((",", ";")) else "")
            work += after
        elif chosen is not None and chosen.recurring:
            work = _TRAILING_RECURRING_RE.sub("", work)
        from_intro = False
        if (chosen is None or chosen.recurring) and extra_deadline_range is not None:
            a, b = extra_deadline_range
            intro_text = self.text[toks[a].start : toks[b - 1].end] if b > a else ""
            intro_matches = [
                m
                for m in find_deadlines(
                    intro_text, self.issued_on, self.calendar, year_hint, self.meeting_day
                )
                if m.strong and not m.recurring
            ]
            if intro_matches:
                chosen = intro_matches[-1]
                from_intro = True
        task_text = _clean_task(work)
        coordinating = list(claim.coordinating)
        for units, a, b in _coordination_inside(toks, start, min(end, len(toks)), self.text):
            coordinating.extend(u for u in units if u.text not in {c.text for c in coordinating})
            phrase = " ".join(self.text[toks[a].start : toks[b - 1].end].split())
            task_text = _clean_task(
                task_text.replace(phrase, "").replace(" ,", ",").replace(",,", ",")
            )
            task_text = " ".join(task_text.replace(", ;", ";").replace(";;", ";").split())
        task_text = _as_sentence(task_text)
        if not task_text or not any(ch.isalpha() for ch in task_text):
            return []
        if (
            _GENERIC_WORK_RE.fullmatch(task_text)
            or _ANSWERABLE_RE.match(task_text)
            or _LIST_INTRO_RE.fullmatch(task_text)
            or _DIRECTS_ITEMS_RE.fullmatch(task_text)
        ):
            return []
        closing = _CLOSING_RE.fullmatch(task_text) is not None
        words = task_text.split()
        if len(words) < 2:
            return []
        confidence = claim.confidence
        if len(words) < 4:
            confidence -= 0.15
        if chosen is not None and chosen.deadline is None and not chosen.recurring:
            confidence -= 0.1
        if chosen is not None and chosen.warning:
            confidence -= 0.15
            self.warnings.append(EARLY_DEADLINE_WARNING)
        # The signals of doubt are looked for in the task's own stretch of text (not the whole
        # sentence, which a long paste makes long: once per task it would be quadratic).
        source = self.text[max(sentence[0], seg_start - 200) : seg_end]
        task_field = _task_confidence(claim, task_text, closing)
        deadline_field = _deadline_confidence(chosen, source, self.issued_on, from_intro)
        coordinating_field = _coordinating_confidence(coordinating, source)
        tasks = []
        for lead in claim.leads:
            lead_confidence = confidence
            if lead.is_group:
                lead_confidence -= 0.05
            if len(lead.text.split()) > 9:
                lead_confidence -= 0.15
            doubtful = _lead_doubtful(lead, task_text)
            field_confidence = {
                "lead": _lead_confidence(claim, lead, doubtful),
                "coordinating": coordinating_field,
                "task": task_field,
                "deadline": deadline_field,
            }
            tasks.append(
                ProposedTask(
                    lead=lead.text,
                    coordinating=[u.text for u in coordinating if u.text != lead.text],
                    task=task_text,
                    deadline_text=chosen.text if chosen else None,
                    deadline=chosen.deadline if chosen else None,
                    recurring=bool(chosen and chosen.recurring),
                    source=self.text[sentence[0] : sentence[1]].strip(),
                    source_start=sentence[0],
                    source_end=sentence[1],
                    confidence=max(0.05, min(0.99, lead_confidence)),
                    lead_is_group=lead.is_group,
                    closing=closing,
                    field_confidence=field_confidence,
                    lead_doubtful=doubtful,
                )
            )
        return tasks


# Confidence of each field of a proposal (0..1), for the review screen to point the clerk's eye
# at the fields to check. The figures are the reader's own rough odds: how often the pattern
# that produced the field was right on the texts the rules were written from, lowered for the
# signs of a misreading.
_LEAD_BY_KIND = {
    "trigger": 0.9,
    "heading": 0.85,
    "subject": 0.8,
    "passive": 0.8,
    "inherited": 0.75,
    "elided": 0.6,
}


def _is_unit_name(name: str) -> bool:
    """Whether `name` reads back, whole, as one unit name of the grammar."""
    toks = tokenize(name)
    units, end = parse_unit_list(toks, 0, len(toks), name)
    if len(units) == 1 and end == len(toks):
        return True
    # "sở, ban, ngành liên quan": a group of generic nouns, as written after another group.
    return bool(GENERIC_HEADS.match(toks, 0)) and not any(
        is_verb_at(toks, k, len(toks)) for k in range(1, len(toks))
    )


def _lead_doubtful(lead: UnitSpan, task_text: str) -> bool:
    """Signs that a lead is not (all of) a unit's name: no verb ended it (it was cut after its
    capitalised words), it is longer than real names, or the work after it opens with a word
    that continues a name ("của", "thuộc")."""
    if lead.cut or len(lead.text.split()) > 14:
        return True
    toks = tokenize(" ".join(task_text.split()[:2]))
    return not toks or not toks[0].is_word or toks[0].key in {"của", "thuộc", "và"}


def _lead_confidence(claim: _Claim, lead: UnitSpan, doubtful: bool) -> float:
    value = 0.95 if claim.explicit else _LEAD_BY_KIND.get(claim.kind, 0.7)
    if claim.kind == "subject" and claim.confidence < 0.7:
        value -= 0.1  # a subject followed by a bare verb, not a modal
    if doubtful:
        value -= 0.35
    return _bounded(value)


_COORDINATION_WORD_RE = re.compile(r"\b(?:phối\s+hợp|cùng\s+với|cùng)\b", re.I)


def _coordinating_confidence(coordinating: Sequence[UnitSpan], source: str) -> float:
    mentioned = _COORDINATION_WORD_RE.search(source) is not None
    if not coordinating:
        return 0.7 if mentioned else 0.95  # "phối hợp" was written but no unit read after it
    value = 0.9
    if any(not _is_unit_name(unit.text) for unit in coordinating):
        value -= 0.3
    return _bounded(value)


def _task_confidence(claim: _Claim, task_text: str, closing: bool) -> float:
    words = task_text.split()
    value = 0.9 if claim.kind in {"trigger", "subject", "heading", "passive"} else 0.75
    if len(words) < 4:
        value -= 0.3
    elif len(words) > 80:
        value -= 0.15  # a very long task may hold several
    toks = tokenize(" ".join(words[:4]))
    if toks and not (is_verb_at(toks, 0, len(toks), allow_capital=True) or _STRONG.match(toks, 0)):
        value -= 0.1  # work usually opens with a verb or a modal
    if closing:
        value -= 0.3
    return _bounded(value)


_DATE_LIKE_RE = re.compile(r"\b\d{1,2}\s*[/.\-]\s*\d{1,2}\b|\btháng\s+\d|\bquý\s+[IV1-4]", re.I)


def _deadline_confidence(
    chosen: DeadlineMatch | None, source: str, issued_on: date | None, from_intro: bool
) -> float:
    if chosen is None:
        # No deadline read: sure unless the sentence holds something that looks like a date.
        return 0.7 if _DATE_LIKE_RE.search(source) else 0.95
    if chosen.recurring:
        return 0.9
    if chosen.deadline is None:
        return 0.35  # a deadline phrase, but no date (no year, no issue date, an event)
    value = 0.95 if chosen.strong else 0.85
    if chosen.warning:
        value = 0.45
    if issued_on is None and not re.search(r"\d{4}", chosen.text):
        value -= 0.2  # the year came from the sentence, not from the notice's date
    if from_intro:
        value -= 0.05
    return _bounded(value)


def _bounded(value: float) -> float:
    return round(max(0.05, min(0.99, value)), 2)


_CONNECTIVES = Lexicon(
    ["đồng thời", "và", "đồng thời,", "ngoài ra", "bên cạnh đó", "sau đó", "tiếp tục"]
)


def _split_region(
    text: str, toks: Sequence[Token], start: int, end: int
) -> list[tuple[str, int, int]]:
    """Cut a task region at ";": ("task" | "more" | "new", start, end) parts. A clause that
    reports or sends ("; báo cáo UBND tỉnh") belongs to the task before it; one that opens with
    another verb is a new task for the same lead; anything else ends the region."""
    parts: list[tuple[str, int, int]] = []
    k = start
    part_start = start
    kind = "task"
    while k < end:
        if toks[k].text == ";":
            parts.append((kind, part_start, k))
            j = _skip_item_marker(toks, k + 1, end)
            j += _CONNECTIVES.match(toks, j, end)
            while j < end and toks[j].text == ",":
                j += 1
            if j >= end:
                return parts
            clause_end = next((m for m in range(j, end) if toks[m].text == ";"), end)
            clause = text[toks[j].start : toks[clause_end - 1].end]
            during = _DURING.match(toks, j, end)
            c = (
                j
                + during
                + (1 if during and j + during < end and toks[j + during].text == "," else 0)
            )
            words_end = clause_end
            while words_end > c and not toks[words_end - 1].is_word:
                words_end -= 1
            coordination_only = _coordination_at(toks, c, words_end, text)[1] == words_end > c
            if _ANSWERABLE_RE.match(clause):
                return parts  # "; chịu trách nhiệm trước Chủ tịch ..." is not work
            if (
                _CONTINUATION.match(toks, j, end)
                or coordination_only
                or _coordination_at(toks, c, words_end, text)[0]
                or (clause_end - j <= 8 and find_deadlines(clause))
            ):
                kind = "more"
            elif _NON_TASK_OPENERS.match(toks, j, end):
                return parts
            elif is_verb_at(toks, j, end, allow_capital=True):
                kind = "new"
            elif toks[j].is_word and not toks[j].is_capital and not _STATUS.match(toks, j, end):
                # "; phân luồng và xử lý ùn tắc ...": more of the same list of work (a verb the
                # lexicon lacks); it goes on only where the sentence has a single directive.
                kind = "tail"
            else:
                return parts
            part_start = j
        k += 1
    parts.append((kind, part_start, end))
    return parts


def _read_sentence(
    builder: _TaskBuilder,
    text: str,
    span: tuple[int, int],
    context: list[_Claim] | None,
    elided: _Claim | None = None,
) -> tuple[list[ProposedTask], list[ProposedTask], list[_Claim]]:
    """(all tasks, tasks of the last directive, claims) of one sentence."""
    toks = tokenize(text[span[0] : span[1]], span[0])
    reader = _SentenceReader(text, toks, builder.addressees)
    claims = reader.claims(context, elided)
    tasks: list[ProposedTask] = []
    per_claim: list[list[ProposedTask]] = []
    last_plain: _Claim | None = None  # the latest directive without coordinating units
    for index, claim in enumerate(claims):
        region_end = claims[index + 1].cut if index + 1 < len(claims) else len(toks)
        if claim.kind == "passive":
            task_end = claim.task_end or claim.task_start
            after = getattr(claim, "passive_after", task_end)
            tail_end = max(region_end, after)
            group = builder.make(claim, toks, claim.task_start, tail_end, span, None, task_end)
            tasks.extend(group)
            per_claim.append(group)
            continue
        if claim.task_start >= region_end:
            per_claim.append([])
            continue
        parts = _split_region(text, toks, claim.task_start, region_end)
        # The lead of a new "; <verb> ..." clause: the latest plain directive (without
        # coordinating units) of the sentence, as in "yêu cầu A ...; đề nghị B chủ trì,
        # phối hợp C ...; tiếp tục ...".
        if not claim.coordinating and claim.kind != "passive":
            last_plain = claim
        heir = last_plain or claim
        current_start, current_end = parts[0][1], parts[0][2]
        groups: list[tuple[_Claim, int, int]] = []
        for kind, a, b in parts[1:]:
            # With one directive in the sentence, "; <verb> ..." goes on with the same lead's
            # work: one task ("Công an tỉnh bố trí lực lượng ...; chỉ đạo ...; xử lý ...").
            # After a second directive it goes back to the earlier lead: a task of its own.
            if kind == "tail" and heir is not claims[index]:
                break
            if (
                kind == "new"
                and heir is claims[index]
                and _ends_with_date(text, toks, current_start, current_end)
            ):
                # "khẩn trương hoàn thành đấu thầu ..., chậm nhất ngày 30/10/2022; hướng dẫn
                # các bệnh viện ...": the date closes the clause it ends; the work after the
                # ";" is the same lead's, without that date.
                groups.append((claim, current_start, current_end))
                claim = _Claim("inherited", claim.leads, [], a, a, confidence=0.6)
                current_start, current_end = a, b
                continue
            if kind in {"more", "tail"} or heir is claims[index]:
                current_end = b
            else:
                groups.append((claim, current_start, current_end))
                claim = _Claim(
                    "inherited", heir.leads, list(heir.coordinating), a, a, confidence=0.6
                )
                current_start, current_end = a, b
        groups.append((claim, current_start, current_end))
        made: list[ProposedTask] = []
        for g_claim, a, b in groups:
            group = builder.make(g_claim, toks, a, b, span, g_claim.intro)
            tasks.extend(group)
            if group:
                made = group
        per_claim.append(made)
    _share_closing_deadline(builder, text, toks, tasks)
    return tasks, _group_of_last(claims, per_claim), claims


def _ends_with_date(text: str, toks: Sequence[Token], start: int, end: int) -> bool:
    """Whether the clause in tokens [start, end) ends with a dated deadline ("trước ngày 15/11",
    "chậm nhất ngày 30/10/2022"), not a month, a quarter or a period."""
    if end <= start:
        return False
    clause = text[toks[start].start : toks[end - 1].end].rstrip(" ,.;")
    last = None
    for match in find_deadlines(clause[-80:]):
        last = match
    return (
        last is not None
        and last.strong
        and not last.recurring
        and len(clause[-80:]) - last.end <= 2
    )


def _share_closing_deadline(
    builder: _TaskBuilder, text: str, toks: Sequence[Token], tasks: list[ProposedTask]
) -> None:
    """ "A chủ trì ...; B thẩm định ...; hoàn thành trong quý I/2025.": a last clause that is only a
    deadline belongs to every task of the sentence, not just the one before it."""
    if len(tasks) < 2:
        return
    last = next((k for k in range(len(toks) - 1, -1, -1) if toks[k].text == ";"), None)
    if last is None or len(toks) - last > 10:
        return
    clause = text[toks[last].end : toks[-1].end]
    if not _CLOSING_DEADLINE_RE.match(clause):
        return
    matches = builder.deadlines_in(clause, clause)
    if len(matches) != 1 or matches[0].recurring:
        return
    chosen = matches[0]
    for task in tasks:
        if task.deadline_text is None and task.source_end >= toks[-1].end:
            task.deadline_text = chosen.text
            task.deadline = chosen.deadline
            task.field_confidence["deadline"] = 0.8 if chosen.deadline else 0.35


_CLOSING_DEADLINE_RE = re.compile(
    r"\s*(?:(?:thời\s+(?:gian|hạn)\s+)?(?:hoàn\s+thành|thực\s+hiện|xong)\s*:?\s*"
    r"|thời\s+hạn\s*:?\s*)",
    re.I,
)


def _group_of_last(claims: list[_Claim], per_claim: list[list[ProposedTask]]) -> list[ProposedTask]:
    """Tasks of the last directive; a run of "A do X chủ trì, B do Y chủ trì" counts as one."""
    if not claims:
        return []
    group = list(per_claim[-1])
    if claims[-1].kind == "passive":
        k = len(claims) - 2
        while k >= 0 and claims[k].kind == "passive":
            group = per_claim[k] + group
            k -= 1
    return group


def _is_header_line(line: str, in_recipients: bool) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _HEADER_LINE_RE.match(stripped) or _PLACE_DATE_RE.match(stripped):
        return True
    if _LONE_DATE_RE.match(stripped):
        return True
    if (
        len(stripped) < 200
        and stripped.upper() == stripped
        and any(ch.isalpha() for ch in stripped)
    ):
        return True  # titles: "THÔNG BÁO", "KẾT LUẬN CỦA CHỦ TỊCH ..."
    return in_recipients and stripped.startswith(("-", "+", "•"))


# No notice assigns thousands of tasks; past this the text is not a notice and reading stops.
MAX_TASKS = 2000
# A sentence without any of these words (first syllables of triggers, modals and unit head
# nouns) assigns no work. A set test, because a long regex alternation is slow on 5 MB.
_INTEREST_WORDS = frozenset(
    [
        "giao",
        "yêu",
        "đề",
        "chỉ",
        "phân",
        "chủ",
        "phối",
        "trách",
        "phải",
        "cần",
        "khẩn",
        "tiếp",
        "sớm",
        "tập",
        "cùng",
        "do",
        "sở",
        "phòng",
        "ban",
        "ubnd",
        "ủy",
        "uỷ",
        "công",
        "trung",
        "chi",
        "cục",
        "văn",
        "kho",
        "bảo",
        "thanh",
        "đài",
        "bệnh",
        "trường",
        "hội",
        "đoàn",
        "mặt",
        "mttq",
        "hđnd",
        "bcđ",
        "viện",
        "bộ",
        "các",
        "những",
        "tổng",
        "ngân",
        "quỹ",
        "huyện",
        "tỉnh",
        "xã",
    ]
)
_WORD_RE = re.compile(r"\w+")


def _may_assign(text: str, start: int, end: int) -> bool:
    chunk = text[start:end]
    return ":" in chunk or not _INTEREST_WORDS.isdisjoint(_WORD_RE.findall(chunk.lower()))


def _check_text(text: str) -> None:
    from tracker.notices.files import check_legacy_encoding

    check_legacy_encoding(text)


def read_notice(
    text: str, issued_on: date | None = None, calendar: WorkingCalendar | None = None
) -> NoticeReading:
    """Read a notice's text: its header and one proposed task per directive and lead.

    `issued_on` overrides the date read from the notice; it anchors dates without a year and
    "trong N ngày làm việc" (counted on `calendar`, the default Vietnamese one)."""
    if text is None or not text.strip():
        raise NoticeReadError(N_("Văn bản trống: không có nội dung nào để đọc."))
    check_notice_size(text)
    _check_text(text)
    calendar = calendar or DEFAULT_CALENDAR
    normalised = normalise(text)
    header = read_header(normalised)
    if issued_on is not None:
        header.issued_on = issued_on
    builder = _TaskBuilder(normalised, header.issued_on, calendar)
    tier = _issuer_tier(normalised)
    if _is_news(header, tier):
        builder.meeting_day = _meeting_day(normalised, header.issued_on, builder.text_year)
    tasks: list[ProposedTask] = []
    last_group: list[ProposedTask] = []
    contexts: list[tuple[int, _Claim]] = []  # (outline level, heading claim)
    in_recipients = False
    after_end = False
    offset = 0
    for line in normalised.split("\n"):
        line_start = offset
        offset += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if after_end:
            # After "Nơi nhận" come recipients and the signature; an appendix may follow.
            if _APPENDIX_RE.match(stripped):
                after_end = False
                contexts, last_group = [], []
            continue
        if _END_RE.match(stripped):
            after_end = True
            continue
        telegram = _TELEGRAM_TO_RE.match(stripped)
        telegram = telegram if telegram and telegram[1].upper() == telegram[1] else None
        if stripped.lower().startswith("kính gửi") or telegram:
            in_recipients = True
            builder.addressees |= _addressees(stripped)
            builder.addressee_names.extend(_addressee_names(stripped))
            continue
        if _is_header_line(stripped, in_recipients):
            if in_recipients:
                builder.addressees |= _addressees(stripped)
                builder.addressee_names.extend(_addressee_names(stripped))
            continue
        in_recipients = False
        level, marker_len = _line_level(line)
        effective_level = level if level is not None else 99
        parent = [claim for lvl, claim in contexts if lvl < effective_level]
        content_start = line_start + marker_len
        if (
            level is not None
            and stripped.endswith(":")
            and (named := _heading_with_local_name(line[marker_len:]))
        ):
            # "1. Văn phòng Điều phối xây dựng nông thôn mới tỉnh:" is a unit's name up to the
            # colon, not a unit and its work.
            contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
            if not any(_heading_issuer(u, tier) for u in named):
                contexts.append((level, _Claim("heading", named, [], 0, 0, confidence=0.7)))
            last_group = []
            continue
        if level is not None and (asked := _asked_heading(line[marker_len:])):
            # "4. Đề nghị Công an xã" alone on its line heads the work written below it.
            contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
            contexts.append((level, _Claim("heading", asked, [], 0, 0, confidence=0.75)))
            last_group = []
            continue
        sentences = _sentences(normalised, content_start, line_start + len(line))
        line_claims: list[_Claim] = []
        claim_spans: list[tuple[int, int]] = []  # the sentence of each claim
        for s_index, span in enumerate(sentences):
            if len(tasks) >= MAX_TASKS:
                break
            if (
                not (parent and s_index == 0)
                and not last_group
                and not _may_assign(normalised, span[0], span[1])
            ):
                # Nothing here can assign work; it may still set the last directive's deadline
                # (not when it is a list item of its own: "- Tiếp tục thông báo ... trước ngày").
                last_group = (
                    []
                    if level is not None and s_index == 0
                    else _attach_follow_up(builder, normalised, span, last_group)
                )
                continue
            if last_group and _WHEN_DONE_RE.match(normalised, span[0], span[1]):
                # "Hoàn thành trong tháng 11/2022." / "Thời hạn hoàn thành: ..." dates the
                # directive before; it is not a task of its own.
                last_group = _attach_follow_up(builder, normalised, span, last_group)
                continue
            elided = _claim_of(last_group) if last_group and not (parent and s_index == 0) else None
            sentence_tasks, group, claims = _read_sentence(
                builder, normalised, span, parent if s_index == 0 else None, elided
            )
            line_claims.extend(claims)
            claim_spans.extend(span for _ in claims)
            if (
                sentence_tasks
                and s_index > 0
                and len(claims) == 1
                and claims[0].kind == "elided"
                and getattr(claims[0], "link", "") in _GOES_ON
                and not _closed_by_date(last_group, sentence_tasks)
            ):
                # "... rà soát quy mô trường, lớp. Đồng thời phải xây dựng phương án ...": in the
                # same paragraph, the work of the directive before goes on.
                _append_work(normalised, last_group, span, sentence_tasks)
                continue
            if (
                sentence_tasks
                and last_group
                and all(_ANAPHORA_RE.search(task.lead) for task in sentence_tasks)
            ):
                # "Các địa phương này báo cáo ... trước ngày 15.11": the units just named go on
                # with the same directive.
                _continue_group(normalised, last_group, span, sentence_tasks)
                continue
            if sentence_tasks:
                _same_work_for_exceptions(sentence_tasks, last_group)
                tasks.extend(sentence_tasks)
                last_group = group
                continue
            if claims:
                last_group = []
                continue
            last_group = (
                []
                if level is not None and s_index == 0
                else _attach_follow_up(builder, normalised, span, last_group)
            )
        # A line that names units and ends with ":" heads the items below it.
        if (
            stripped.endswith(":")
            and line_claims
            and (
                line_claims[-1].task_start >= len(tokenize(line[marker_len:])) - 1
                # "đề nghị UBND các xã quan tâm chỉ đạo một số nội dung sau:" heads the items
                # below with its units, as "UBND các xã:" would.
                or _announces_items(line_claims[-1], normalised, claim_spans[-1])
            )
        ):
            heading = line_claims[-1]
            # "Phó Chủ tịch UBND huyện kết luận:" introduces items, but assigns them to nobody.
            if heading.kind == "passive" or (
                heading.kind != "trigger" and any(_heading_issuer(u, tier) for u in heading.leads)
            ):
                if level is not None:
                    contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
                continue
            head_level = level if level is not None else 0
            contexts = [(lvl, c) for lvl, c in contexts if lvl < head_level]
            contexts.append((head_level, line_claims[-1]))
        elif level is not None and not line_claims and (heads := _unit_heading(line[marker_len:])):
            # "1. Sở Y tế" alone on its line (a plan's "Tổ chức thực hiện") heads the work
            # written below it.
            if any(
                _heading_issuer(u, tier)
                and match_key(u.text) not in builder.addressees
                # ("5. Văn phòng HĐND và UBND xã" with work below: the office is asked)
                and not u.text.lower().startswith("văn phòng")
                for u in heads
            ):
                contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
                continue
            contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
            contexts.append((level, _Claim("heading", heads, [], 0, 0, confidence=0.75)))
        elif level is not None:
            contexts = [(lvl, c) for lvl, c in contexts if lvl < level]
    if len(tasks) >= MAX_TASKS:
        builder.warnings.append(
            N_("Văn bản quá dài: chỉ đọc 2.000 nhiệm vụ đầu tiên, phần còn lại bị bỏ qua.")
        )
    while tasks and tasks[-1].closing:
        tasks.pop()  # "Các sở, ngành ... nghiêm túc triển khai thực hiện kế hoạch này ./."
    tasks = _glue_asked_work(_assign_back(tasks, normalised))
    tasks = _drop_scaffolding(_drop_ledes(_deduplicate(tasks)), normalised, header, tier)
    _name_bare_places(tasks, normalised)
    _add_fronted_topic(tasks)
    names = list(dict.fromkeys(builder.addressee_names))
    for task in tasks:
        if len(names) == 1 and task.lead.lower().startswith("quý "):
            task.lead, task.lead_is_group = names[0], False  # the one unit the letter is to
    reading = NoticeReading(header, tasks, normalised, _unique(builder.warnings))
    if not tasks:
        reading.warnings.append(NO_TASKS_MESSAGE)
    else:
        reading.warnings.extend(_doubts(reading))
    return reading


# "Giao Công an huyện thực hiện, báo cáo kết quả …" after work written without its unit: the
# unit given is the lead of that work, and what follows "thực hiện" adds to it.
_GIVEN_BACK_RE = re.compile(
    r"(?:chủ\s+trì,?\s+)?(?:tổ\s+chức\s+)?thực\s+hiện(?:\s+(?:nội\s+dung|việc|nhiệm\s+vụ)\s+"
    r"(?:này|trên))?\s*(?:[,;]\s*(?P<rest>.*))?",
    re.I | re.S,
)


def _assign_back(tasks: list[ProposedTask], text: str) -> list[ProposedTask]:
    """Work without a unit of its own ("Thứ ba, làm rõ nguyên nhân …") followed in the same
    paragraph by "Giao X thực hiện(, …)" is X's: the two make one task."""
    result: list[ProposedTask] = []
    for task in tasks:
        given = _GIVEN_BACK_RE.fullmatch(task.task.rstrip(" ."))
        previous = result[-1] if result else None
        if (
            given is not None
            and previous is not None
            and re.match(r"\s*giao\b", task.source, re.I)
            and previous.source_end <= task.source_start
            and "\n" not in text[previous.source_end : task.source_start]
            # (the earlier work's unit was carried from before it, not written in it)
            and previous.lead not in previous.source
        ):
            assert previous is not None and given is not None
            previous.lead, previous.lead_is_group = task.lead, task.lead_is_group
            previous.coordinating = list(task.coordinating)
            if given.group("rest"):
                previous.task = f"{previous.task.rstrip(' .')}, {given.group('rest').strip()}"
            if task.deadline_text:
                previous.deadline_text, previous.deadline = task.deadline_text, task.deadline
            previous.source = text[previous.source_start : task.source_end]
            previous.source_end = task.source_end
            continue
        result.append(task)
    return result


_ASKS_NEXT_RE = re.compile(r"\s*,\s*(yêu\s+cầu|đề\s+nghị|đôn\s+đốc|hướng\s+dẫn)\s+", re.I)


def _glue_asked_work(tasks: list[ProposedTask]) -> list[ProposedTask]:
    """An item's unit that checks and asks ("- Kiểm tra, yêu cầu chủ đầu tư … che chắn …" under
    "1. Phòng Kinh tế:") does both: one task of the item's unit, not a verb alone and a task of
    the unit asked."""
    result: list[ProposedTask] = []
    for task in tasks:
        previous = result[-1] if result else None
        if previous is not None and previous.source_start == task.source_start:
            at = previous.source.lower().find(previous.task.lower())
            asks = (
                _ASKS_NEXT_RE.match(previous.source, at + len(previous.task)) if at >= 0 else None
            )
            if (
                asks is not None
                and len(previous.task.split()) <= 3
                and previous.lead not in previous.source
                and not previous.deadline_text
            ):
                rest = task.task[:1].lower() + task.task[1:]
                previous.task = (
                    f"{previous.task}, {' '.join(asks.group(1).split())} {task.lead} {rest}"
                )
                previous.deadline_text, previous.deadline = task.deadline_text, task.deadline
                previous.recurring = task.recurring
                continue
        result.append(task)
    return result


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _doubts(reading: NoticeReading) -> list[str]:
    """Notice-level warnings where the reader is unsure."""
    doubts = []
    tasks = reading.tasks
    body = len(reading.text)
    if body > 3 * _CHARS_PER_TASK and len(tasks) < body / (2 * _CHARS_PER_TASK):
        doubts.append(FEW_TASKS_WARNING)
    if any(task.lead_doubtful for task in tasks):
        doubts.append(UNKNOWN_LEAD_WARNING)
    if any(task.deadline_text and not task.deadline and not task.recurring for task in tasks):
        doubts.append(UNDATED_DEADLINE_WARNING)
    if reading.notice.issued_on is None and any(task.deadline_text for task in tasks):
        doubts.append(NO_DATE_WARNING)
    return [d for d in doubts if d not in reading.warnings]


def _closed_by_date(before: list[ProposedTask], read: list[ProposedTask]) -> bool:
    """ "... báo cáo kết quả về UBND tỉnh trước ngày 30/4/2023. Đồng thời, rà soát, tham mưu
    ...": a directive closed by its own date, then an undated sentence of more work: that work
    is a task of its own, not one with the date before. A sentence that brings partners in
    ("Đồng thời, phối hợp với Sở Công Thương mời ...") still goes on with the same task."""
    return (
        bool(before)
        and all(task.deadline is not None and not task.recurring for task in before)
        and not any(task.deadline_text or task.coordinating for task in read)
    )


def _claim_of(group: list[ProposedTask]) -> _Claim:
    """A claim standing for the leads of the tasks just read, for a sentence that goes on
    without a subject."""
    leads: list[UnitSpan] = []
    for task in group:
        if all(lead.text != task.lead for lead in leads):
            leads.append(UnitSpan(task.lead, 0, 0, task.lead_is_group))
    return _Claim("elided", leads, [], 0, 0)


def _append_work(
    text: str,
    group: list[ProposedTask],
    span: tuple[int, int],
    read: list[ProposedTask] | None = None,
) -> None:
    """Add a following sentence of the same directive to its tasks' work; its deadline (as
    `read`, the sentence's own reading, found it) goes to the tasks that have none."""
    sentence = _clean_task(text[span[0] : span[1]])
    dated = next((t for t in read or [] if t.deadline_text), None)
    undated_sentence = sentence
    if dated is not None and dated.deadline_text and dated.deadline_text in sentence:
        # ("Sau đó, tổng hợp báo cáo trước ngày 5/11.": the date leaves the work of a task
        # that had none; a task with its own date keeps the phrase in its work)
        undated_sentence = _clean_task(sentence.replace(dated.deadline_text, ""))
    toks = tokenize(text[span[0] : span[1]], span[0])
    # ("Đồng thời, phối hợp với Sở Công Thương mời ...": the units it names coordinate.)
    joining = [
        unit.text
        for units, _a, _b in _coordination_inside(toks, 0, min(len(toks), 12), text)
        for unit in units
    ]
    for task in group:
        if dated is not None and task.deadline_text is None:
            task.task = f"{task.task}. {undated_sentence}"
            task.deadline_text = dated.deadline_text
            task.deadline = dated.deadline
            task.recurring = dated.recurring
            task.field_confidence["deadline"] = dated.field_confidence["deadline"]
        else:
            task.task = f"{task.task}. {sentence}"
        task.coordinating.extend(u for u in joining if u not in task.coordinating)
        task.field_confidence["task"] = _bounded(task.field_confidence["task"] - 0.1)
        task.source = text[task.source_start : span[1]].strip()
        task.source_end = span[1]


# Linking words after which a sentence without a subject goes on with the same directive.
_GOES_ON = frozenset({"đồng thời", "bên cạnh đó", "cạnh đó", "cùng với đó", "sau đó", "tiếp đó"})
# A sentence that only says by when ("Hoàn thành trước ngày ...", "Thời hạn: ...").
_WHEN_DONE_RE = re.compile(
    r"(?:(?:thời\s+(?:hạn|gian)(?:\s+(?:hoàn\s+thành|thực\s+hiện|báo\s+cáo))?\s*:?|hoàn\s+thành|xong)"
    r"\s*,?\s*(?:trước|chậm\s+nhất|trong|cuối|đến|tới|ngày|quý|tháng|năm)\b)",
    re.I,
)
_ONLY_DONE = frozenset({"hoàn thành", "hoàn thành xong", "thực hiện xong", "xong", "hoàn tất"})


def _same_work_for_exceptions(read: list[ProposedTask], before: list[ProposedTask]) -> None:
    """ "UBND các xã rà soát hồ sơ, hoàn thành trước ngày 15-11; riêng UBND phường Tân An hoàn
    thành trước ngày 30-11": a directive whose work is only "hoàn thành" by another date is the
    same work as the task before it."""
    for index, task in enumerate(read):
        if task.task.lower().rstrip(".") not in _ONLY_DONE:
            continue
        earlier = read[:index] or before
        if earlier:
            task.task = earlier[-1].task
            task.field_confidence["task"] = _bounded(task.field_confidence["task"] - 0.1)


# A subject that points back at the units just named ("các địa phương này", "các đơn vị trên").
_ANAPHORA_RE = re.compile(r"\s(?:này|trên|nêu\s+trên|nói\s+trên|đó)$", re.I)


def _continue_group(
    text: str, group: list[ProposedTask], span: tuple[int, int], read: list[ProposedTask]
) -> None:
    """The work of a sentence whose subject points back joins the tasks of the directive
    before, with its deadline when those have none."""
    work = read[0].task
    for task in group:
        task.task = f"{task.task}; {work[:1].lower()}{work[1:]}"
        task.source = text[task.source_start : span[1]].strip()
        task.source_end = span[1]
    dated = next((task for task in read if task.deadline_text), None)
    if dated is None:
        return
    for task in group:
        if task.deadline_text is None:
            task.deadline_text = dated.deadline_text
            task.deadline = dated.deadline
            task.recurring = dated.recurring
            task.field_confidence["deadline"] = dated.field_confidence["deadline"]


def _unit_heading(text: str) -> list[UnitSpan]:
    """The units of a line that holds nothing else ("Sở Y tế", "UBND các huyện, thị xã:"), or
    an empty list. Not a list item ending with ";" or ",": attendees are listed so."""
    if len(text) > 200:
        return []
    toks = tokenize(text)
    units, j = parse_unit_list(toks, 0, len(toks), text)
    if not units or not (j == len(toks) or (j == len(toks) - 1 and toks[j].text in {":", "."})):
        return []
    return units


def _asked_heading(text: str) -> list[UnitSpan]:
    """The units of a line that holds only a directive verb and them ("Đề nghị Công an xã",
    "Giao Phòng Tài chính - Kế hoạch:"), or an empty list."""
    if len(text) > 200:
        return []
    toks = tokenize(text)
    m = TRIGGERS.match(toks, 0, len(toks))
    if not m or not toks[0].is_capital:
        return []
    return _unit_heading(text[toks[m].start :]) if m < len(toks) else []


_TIER_KEYS = {"tỉnh", "huyện", "xã", "phường", "quận", "phố", "trấn", "khu"}


def _announces_items(claim: _Claim, text: str, span: tuple[int, int]) -> bool:
    """Whether a claim's work, up to the line's closing colon, only announces the items below."""
    if not claim.leads or claim.kind == "passive":
        return False
    toks = tokenize(text[span[0] : span[1]], span[0])
    if claim.task_start >= len(toks):
        return False
    work = text[toks[claim.task_start].start : span[1]].rstrip()
    return work.endswith(":") and (
        _LIST_INTRO_RE.fullmatch(work) is not None or _DIRECTS_ITEMS_RE.fullmatch(work) is not None
    )


def _heading_with_local_name(text: str) -> list[UnitSpan]:
    """A heading line "<unit> <lower-case words> <tier>:" whose unit name was cut at a verb
    ("Văn phòng Điều phối | xây dựng nông thôn mới tỉnh:"): the one unit named up to the colon
    when its words close with a tier of place, as names do ("... huyện", "... tỉnh"), else []."""
    if len(text) > 160:
        return []
    toks = tokenize(text)
    units, j = parse_unit_list(toks, 0, len(toks), text)
    colon = len(toks) - 1
    if len(units) != 1 or units[0].is_group or not 0 < colon - j <= 8 or toks[colon].text != ":":
        return []
    rest = toks[j:colon]
    if not all(t.is_word and not t.is_capital for t in rest) or rest[-1].key not in _TIER_KEYS:
        return []
    unit = units[0]
    name = " ".join(text[toks[unit.first].start : toks[colon - 1].end].split())
    return [UnitSpan(name, unit.first, colon, False, unit.head)]


def _addressees(line: str) -> frozenset[str]:
    """Match keys of the units a "Kính gửi:" line (or a recipient line after it) names; a
    person's title is dropped ("Đồng chí Chủ tịch UBND tỉnh Phú Thọ" names UBND tỉnh Phú Thọ)."""
    return frozenset(match_key(name) for name in _addressee_names(line))


def _addressee_names(line: str) -> list[str]:
    """The units a "Kính gửi:" line (or a recipient line after it) names, as written."""
    toks = tokenize(line[:500])
    names = []
    k = 0
    while k < len(toks):
        units, after = parse_unit_list(toks, k, len(toks), line)
        if units:
            names.extend(u.text for u in units)
            k = after
        else:
            k += 1
    return names


def _attach_follow_up(
    builder: _TaskBuilder, text: str, span: tuple[int, int], last_group: list[ProposedTask]
) -> list[ProposedTask]:
    """A sentence without a directive that only sets a deadline ("Báo cáo gửi về Sở ... trước
    ngày 23/5/2019.") gives it to the tasks of the directive just before."""
    if not last_group:
        return []
    sentence = text[span[0] : span[1]]
    chosen = _pick_deadline(sentence, builder.deadlines_in(sentence, sentence))
    if chosen is None or chosen.recurring:
        return []
    for task in last_group:
        if task.deadline_text is None:
            task.deadline_text = chosen.text
            task.deadline = chosen.deadline
            task.source = text[task.source_start : span[1]].strip()
            task.source_end = span[1]
            task.confidence = max(0.05, task.confidence - 0.05)
            task.field_confidence["deadline"] = 0.75  # from the sentence after
    return []


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    """Dice overlap of two bags of words."""
    size_a, size_b = a.total(), b.total()
    if not size_a or not size_b or 2 * min(size_a, size_b) < 0.9 * (size_a + size_b):
        return 0.0  # (too different in length to be a restatement)
    if len(a) > len(b):
        a, b = b, a
    common = 0
    for word, count in a.items():
        other = b.get(word)
        if other:
            common += count if count < other else other
    return 2 * common / (size_a + size_b)


def _contained(short: Counter[str], long: Counter[str]) -> float:
    """Share of the words of `short` that `long` holds too."""
    size = short.total()
    if not size:
        return 0.0
    common = 0
    for word, count in short.items():
        other = long.get(word)
        if other:
            common += count if count < other else other
    return common / size


# A news lede: "UBND tỉnh vừa (ban hành văn bản) yêu cầu các địa phương ...".
_LEDE_RE = re.compile(
    r"\bvừa\s+(?:[^\s.;:]+\s+){0,5}?(?:yêu\s+cầu|chỉ\s+đạo|giao|đề\s+nghị)\b", re.I
)


def _drop_ledes(tasks: list[ProposedTask]) -> list[ProposedTask]:
    """A news report opens with what the committee "vừa yêu cầu", often of broader units
    ("các địa phương"), then tells the same directive in full with the units that carry it
    out: the lede gives way when a later sentence's task shares half the words of the shorter
    of the two."""
    kept = []
    for index, task in enumerate(tasks):
        if index == 0 and _is_summary_lede(task, tasks[1:]):
            continue
        if _LEDE_RE.search(task.source):
            words = _words(task.task)
            later = [t for t in tasks[index + 1 : index + 21] if t.source_start >= task.source_end]
            # (a lede names broader units, or the same one; a named department's lede that
            # resembles another department's task is kept)
            if any(
                (task.lead_is_group or match_key(other.lead) == match_key(task.lead))
                and _restates(words, _words(other.task))
                for other in later
            ):
                continue
        kept.append(task)
    return kept


# A report of what the chair did, with the directive after it ("Phó Chủ tịch UBND tỉnh đã kiểm
# tra hiện trường ... và yêu cầu các ngành chức năng ...").
_REPORTED_RE = re.compile(
    r"\b(?:đã|vừa)\s+[^.;:]{0,200}?\b(?:yêu\s+cầu|chỉ\s+đạo|giao|đề\s+nghị)\s", re.I
)
_GENERIC_LEAD_RE = re.compile(
    r"(?:các|những)\s+(?:ngành|sở|cơ\s+quan|đơn\s+vị|địa\s+phương|lực\s+lượng)\b[^A-ZĐ]*$"
)


def _is_summary_lede(task: ProposedTask, later: list[ProposedTask]) -> bool:
    """A news report's first directive, to "các ngành chức năng" or "các địa phương" in a
    sentence telling what the chair did, sums up the directives to named units after it."""
    named = [t for t in later[:20] if not t.lead_is_group and t.source_start >= task.source_end]
    return (
        task.lead_is_group
        and _GENERIC_LEAD_RE.fullmatch(task.lead) is not None
        and _REPORTED_RE.search(task.source) is not None
        and len({t.lead for t in named}) >= 2
    )


def _restates(a: Counter[str], b: Counter[str]) -> bool:
    short, long = (a, b) if a.total() <= b.total() else (b, a)
    return short.total() >= 4 and _contained(short, long) >= 0.5


def _deduplicate(tasks: list[ProposedTask]) -> list[ProposedTask]:
    """Drop restatements: a later task with the same lead and (nearly) the same work, and a
    lede that a later sentence restates in full ("UBND tỉnh yêu cầu Sở X kiểm tra đê điều." then
    "Cụ thể, giao Sở X chủ trì, phối hợp ... kiểm tra đê điều, hồ đập ..., báo cáo ...")."""
    kept: list[ProposedTask | None] = []
    by_lead: dict[str, list[tuple[Counter[str], int]]] = {}
    seen: set[tuple[str, str]] = set()
    for task in tasks:
        lead = match_key(task.lead)
        if (lead, task.task) in seen:
            continue
        same_lead = by_lead.setdefault(lead, [])
        words = _words(task.task)
        # Near-duplicates are looked for among the last few only: restatements are close by,
        # and a long paste must not make this quadratic.
        recent = same_lead[-20:]
        if any(_overlap(other, words) >= 0.9 for other, _index in recent):
            continue
        for other, index in recent:
            earlier = kept[index]
            if (
                earlier is not None
                and earlier.source_end <= task.source_start
                and 3 <= other.total() < words.total()
                and not earlier.deadline_text
                and _contained(other, words) >= 0.85
            ):
                kept[index] = None  # the short lede gives way to the full directive
        seen.add((lead, task.task))
        same_lead.append((words, len(kept)))
        kept.append(task)
    return [task for task in kept if task is not None]


# News scaffolding (fifth round). A report of a meeting or a visit wraps its directives in a
# headline, a sentence saying who chaired or visited, a lede that sums up the body, background
# figures and an exhortation; none of these is a task.
_DIRECTIVE_RE = re.compile(
    r"\b(?:yêu\s+cầu|giao(?!\s+(?:thông|dịch|lưu|tiếp|thương|cắt|hàng|nhận|ban))|đề\s+nghị|"
    r"chỉ\s+đạo|lưu\s+ý|kết\s+luận|đề\s+xuất|nhấn\s+mạnh)\b",
    re.I,
)
_PERSON_TITLE_RE = re.compile(
    r"(?:Chủ\s+tịch|Bí\s+thư|Giám\s+đốc|Bộ\s+trưởng|Thủ\s+tướng|Trưởng\s+ban|Chủ\s+nhiệm)\s+$"
)
# The work a chair or a visitor does: "chủ trì hội nghị" leaves "Hội nghị" as the work; "đi
# kiểm tra", "cùng đoàn công tác đi kiểm tra", "làm việc với" tell a visit.
_MEETING_WORK_RE = re.compile(
    r"(?:hội\s+nghị|cuộc\s+họp|phiên\s+họp|buổi\s+làm\s+việc|hội\s+thảo)\b", re.I
)
_VISIT_WORK_RE = re.compile(
    r"(?:(?:cùng|dẫn\s+đầu)\s+đoàn\b|(?:đi|đến|về)\s+(?:kiểm\s+tra|thăm|làm\s+việc|khảo\s+sát)\b|"
    r"làm\s+việc\s+(?:với|tại)\b|thăm\s+và\s+làm\s+việc\b)",
    re.I,
)
# "Theo báo cáo của Sở …, đến nay huyện đạt 7/9 tiêu chí …": what was reported, not asked.
_BACKGROUND_RE = re.compile(
    r"(?:\(\w+\)\s*-\s*)?Theo\s+(?:báo\s+cáo|số\s+liệu|thống\s+kê|đánh\s+giá|kết\s+quả)\b", re.I
)
# An exhortation: "(nêu cao tinh thần trách nhiệm,) quyết tâm hoàn thành thắng lợi nhiệm vụ năm
# 2024" names no work.
_EXHORTATION_RE = re.compile(
    r"(?:(?:nêu\s+cao|phát\s+huy)\s+tinh\s+thần\s+[^,;]{0,40}?,?\s*)?"
    r"(?:quyết\s+tâm\s+)?(?:phấn\s+đấu\s+)?hoàn\s+thành\s+(?:thắng\s+lợi\s+|tốt\s+|xuất\s+sắc\s+)?"
    r"(?:các\s+|những\s+)?(?:mục\s+tiêu|nhiệm\s+vụ|chỉ\s+tiêu)"
    r"(?:(?:,\s*|\s+và\s+)(?:mục\s+tiêu|nhiệm\s+vụ|chỉ\s+tiêu))*"
    r"(?:\s+(?:năm\s+\d{4}|được\s+giao|đề\s+ra|đã\s+đề\s+ra|chính\s+trị|của\s+(?:năm|ngành|địa\s+phương)))*"
    r"[\s./]*",
    re.I,
)
# Everyone at once: "các cấp, các ngành", "các cấp, các ngành, địa phương", "mọi cấp, mọi ngành".
_EVERYONE_RE = re.compile(
    r"(?:các|mọi)\s+cấp(?:\s*(?:,|và)\s*(?:các|mọi)\s+(?:ngành|địa\s+phương|lực\s+lượng))*",
    re.I,
)
_EXHORTING_RE = re.compile(r"quyết\s+tâm|tinh\s+thần|thắng\s+lợi|xuất\s+sắc", re.I)
_EXHORTATION_LEAD_RE = re.compile(r"\s+(?:nêu\s+cao|phát\s+huy)\s+tinh\s+thần\b.*$", re.I)
# "các ngành, các xã tập trung làm tốt một số nhiệm vụ. Một là, …" announces counted items.
_ANNOUNCES_RE = re.compile(
    r"(?:[^\s,;]+\s+){0,5}?(?:một\s+số|các|những)\s+(?:nhiệm\s+vụ|nội\s+dung|giải\s+pháp|"
    r"việc|công\s+việc)(?:\s+(?:trọng\s+tâm|chủ\s+yếu|cụ\s+thể|sau|sau\s+đây|như\s+sau))*[\s.:]*",
    re.I,
)
_CLOSING_LEAD_RE = re.compile(
    r"(?:các|những)\s+(?:cơ\s+quan|đơn\s+vị|địa\s+phương)(?:\s*,\s*(?:cơ\s+quan|đơn\s+vị|"
    r"địa\s+phương))*(?:\s+(?:liên\s+quan|có\s+liên\s+quan))?",
    re.I,
)
_COUNTED_ITEM_RE = re.compile(r"\s*(?:Một\s+là|Thứ\s+nhất)\s*[,:]", re.I)
_UBND_PREFIX_RE = re.compile(r"^(?:UBND|Ủy\s+ban\s+nhân\s+dân|Uỷ\s+ban\s+nhân\s+dân)\s+", re.I)


def _meeting_day(text: str, issued_on: date | None, text_year: int | None) -> date | None:
    """The day of the meeting a news report tells of ("Sáng 28-10, ..." in its first
    paragraphs): its year as written, else the publication's (the year before when the day
    would come after it), else the first full date's."""
    m = _MEETING_DAY_RE.search(text, 0, 3000)
    if m is None:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    year = int(m.group(3)) if m.group(3) else (issued_on.year if issued_on else text_year)
    if year is None:
        return None
    result = _safe_date(str(year), str(month), str(day))
    if result is not None and not m.group(3) and issued_on is not None and result > issued_on:
        result = _safe_date(str(year - 1), str(month), str(day))
    return result


_DIRECTING_ADVERBS = {
    "tập trung", "trực tiếp", "khẩn trương", "tiếp tục", "thường xuyên", "kịp thời", "quan tâm"
}  # fmt: skip


_BARE_PLACE_RE = re.compile(r"(?:huyện|xã|phường|quận|thị xã|thị trấn|đặc khu)", re.I)


def _name_bare_places(tasks: list[ProposedTask], text: str) -> None:
    """A lead that is a bare kind of place ("Ông đề nghị huyện khẩn trương …") is the
    committee of the one place of that kind the text named before it ("huyện Tân Thạnh"); with
    none or several, it stays as written."""
    for task in tasks:
        if not _BARE_PLACE_RE.fullmatch(task.lead):
            continue
        kind = task.lead.lower()
        names = set()
        for m in re.finditer(
            rf"(?<!\w){kind}(?=((?:\s+[\w-]+){{1,4}}))", text[: task.source_start]
        ):
            words = m.group(1).split()
            proper = list(takewhile(lambda w: w[0].isupper() or w.isdigit(), words))
            if proper:
                names.add(" ".join(proper))
        if len(names) == 1:
            task.lead = f"UBND {kind} {names.pop()}"


# "Về kiến nghị của huyện …, Chủ tịch UBND tỉnh giao Sở A xem xét, tham mưu UBND tỉnh": the
# topic set before the directive is what the work is about.
_FRONTED_TOPIC_RE = re.compile(r"\s*(Về|Đối\s+với)\s+([^,;:]{3,90}?),\s")


def _add_fronted_topic(tasks: list[ProposedTask]) -> None:
    """Work too short to name its object ("xem xét, tham mưu UBND tỉnh", "hướng dẫn huyện xử lý
    dứt điểm") after a fronted "Về X, …" / "Đối với X, …" takes X: "… về X", "… X"."""
    for task in tasks:
        m = _FRONTED_TOPIC_RE.match(task.source)
        if m is None or len(task.task.split()) > 8:
            continue
        topic = " ".join(m.group(2).split())
        if match_key(topic) in match_key(task.task) or match_key(task.lead) in match_key(topic):
            continue  # ("Đối với Sở Y tế, …" names the lead, not the object)
        joiner = "về " if m.group(1) == "Về" else ""
        task.task = f"{task.task.rstrip(' .,;')} {joiner}{topic}"


def _is_news(header: NoticeHeader, tier: int | None) -> bool:
    """A report without an official header: no number and no issuer block."""
    return header.number is None and tier is None


_PAGE_DATELINE_RE = re.compile(
    r"^(?:[^\W\d]+(?:\s+[^\W\d]+)?\s*[:,]?\s*)?(?:\d{1,2}[:h]\d{2}\s*[,\-|]?\s*)?"
    r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}(?:\s*[,\-|]?\s*\d{1,2}[:h]\d{2}(?:\s*\S{0,10})?)?$"
)


def _headline_end(text: str) -> int:
    """The end of a news headline: the first line when it is short, ends without a period, asks
    nothing and a blank line follows, else 0."""
    stripped = text.lstrip("\n ")
    start = len(text) - len(stripped)
    end = text.find("\n", start)
    if end > 0 and _PAGE_DATELINE_RE.match(text[start:end].strip()):
        # "Cập nhật: 14:20, 06/03/2024" above the headline: the page's dateline, then the headline
        stripped = text[end:].lstrip("\n ")
        start = len(text) - len(stripped)
        end = text.find("\n", start)
    if end < 0:
        return 0
    line = text[start:end].strip()
    after = text.find("\n", end + 1)
    if after > 0 and _PAGE_DATELINE_RE.match(text[end + 1 : after].strip()):
        # "Cập nhật: 15:42, 09/04/2021", "Thứ Năm, 07/12/2023 - 16:05" under the headline: the
        # page's dateline belongs to it; the blank line comes after both.
        end = after
    for cut in (k for k in range(max(0, len(line) - 45), len(line)) if line[k] == " "):
        if _PAGE_DATELINE_RE.match(line[cut + 1 :]) and re.search(r"[^\W\d]", line[cut + 1 :]):
            line = line[:cut].rstrip()  # the dateline joined to the headline's line
            break
    if (
        not line
        or line[-1] in ".!?:;…"
        or len(line.split()) > 25
        or not text[end:].strip()
        # (a headline stands apart, above a blank line, and asks nothing: "Giao Sở Y tế kiểm
        # tra …" on a pasted list's first line is work)
        or not text.startswith("\n\n", end)
        or _DIRECTIVE_RE.search(line)
    ):
        return 0
    return end


def _same_lead(a: str, b: str) -> bool:
    ka, kb = match_key(_UBND_PREFIX_RE.sub("", a)), match_key(_UBND_PREFIX_RE.sub("", b))
    return ka == kb


def _narrative(task: ProposedTask) -> bool:
    """A sentence saying who chaired a meeting or made a visit ("Ông X, Chủ tịch UBND huyện chủ
    trì hội nghị", "Chủ tịch UBND tỉnh đi kiểm tra …"): the lead is taken from a person's title
    and no directive verb comes before the work."""
    if _MEETING_WORK_RE.match(re.sub(r"^tại\s+", "", task.task, flags=re.I)):
        # ("… Phó Chủ tịch UBND tỉnh tại buổi làm việc về …": a notice's title)
        return True
    at = task.source.find(task.lead)
    if at < 0 or _DIRECTIVE_RE.search(task.source, 0, at):
        return False
    if not _PERSON_TITLE_RE.search(task.source[:at]):
        return False
    after = task.source[at + len(task.lead) :]
    return _VISIT_WORK_RE.match(after.lstrip(" ,")) is not None


def _drop_scaffolding(
    tasks: list[ProposedTask], text: str, header: NoticeHeader, tier: int | None
) -> list[ProposedTask]:
    """Drop what news structure and generic closings make look like tasks (see "Fifth round"
    in docs/notice-reader.md)."""
    news = _is_news(header, tier)
    headline = _headline_end(text) if news else 0
    kept: list[ProposedTask] = []
    for task in tasks:
        if task.source_start < headline or _narrative(task):
            continue
        if news and _BACKGROUND_RE.match(task.source) and not _DIRECTIVE_RE.search(task.source):
            continue
        if task.lead_is_group and (
            task.lead.endswith(" nào") or _EXHORTATION_LEAD_RE.search(task.lead)
        ):
            continue  # "Chủ đầu tư nào để chậm … phải chịu trách nhiệm": a warning
        if (
            task.lead_is_group
            and _EXHORTATION_RE.fullmatch(task.task)
            and _EXHORTING_RE.search(task.task)
        ):
            continue  # (a plain "hoàn thành mục tiêu 6 tháng đầu năm" is work with a date)
        if _ANNOUNCES_RE.fullmatch(task.task) and _COUNTED_ITEM_RE.match(text, task.source_end):
            continue
        if (
            news
            and _EVERYONE_RE.fullmatch(task.lead)
            and re.search(r"\btinh\s+thần\b|\bchủ\s+quan\b|\blơ\s+là\b", task.task, re.I)
            and task.deadline is None
        ):
            # "các cấp, các ngành … với tinh thần "chỉ bàn làm, không bàn lùi"", "… không được
            # chủ quan, lơ là, … nhiệm vụ thường xuyên": a call to everyone (a recurrence too)
            continue
        kept.append(task)
    if (
        kept
        and kept[-1].lead_is_group
        and _CLOSING_LEAD_RE.fullmatch(kept[-1].lead)
        and _GENERIC_WORK_RE.fullmatch(kept[-1].task.split(";")[0])
    ):
        # "Nhận được văn bản này, yêu cầu các đơn vị nghiêm túc triển khai thực hiện; định kỳ
        # báo cáo kết quả …" at the end: a closing to everyone, even with a report asked.
        kept.pop()
    if not news or not kept:
        return kept
    # The lede: the first paragraph with tasks. Its copy of a directive the body restates for the
    # same lead (the shorter one's words mostly in the longer one) gives way to the body's.
    lede_end = text.find("\n", kept[0].source_start)
    lede_end = len(text) if lede_end < 0 else lede_end
    body = [t for t in kept if t.source_start > lede_end]
    result = []
    for task in kept:
        if task.source_start <= lede_end and any(
            (_same_lead(task.lead, other.lead)) and _restates(_words(task.task), _words(other.task))
            for other in body[:40]
        ):
            continue
        result.append(task)
    return result
