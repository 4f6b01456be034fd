"""Notice files (.txt, .docx, .odt, .doc, .pdf, scans and photos) to text, refusing legacy
Vietnamese encodings clearly."""

from __future__ import annotations

import codecs
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.notices import ocr
from tracker.notices.extract import N_, NoticeReadError, is_vietnamese_syllable
from tracker.notices.ocr import PageImage

if TYPE_CHECKING:
    from docx.table import Table, _Cell, _Row

__all__ = [
    "NoticeDocument",
    "NoticeReadError",
    "PageImage",
    "check_legacy_encoding",
    "decode_text",
    "read_notice_bytes",
    "read_notice_document",
    "read_notice_file",
]

MAX_BYTES = 20 * 1024 * 1024

# Characters that TCVN3 (ABC) fonts put where Vietnamese letters should be, as they appear when
# the bytes are read as Windows-1252: "Céng hoµ x· héi chñ nghÜa ViÖt Nam".
_TCVN3_MARKS = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞß«¬­"
_TCVN3_WORD_RE = re.compile(
    rf"[A-Za-z]+[{_TCVN3_MARKS}][A-Za-zÀ-ÿ]*|[{_TCVN3_MARKS}][A-Za-zÀ-ÿ]*[A-Za-z]"
)
# VNI puts a plain vowel then a Latin-1 mark letter: "Vieät Nam", "ñöôïc" (được).
_VNI_WORD_RE = re.compile(r"[A-Za-z]*[aeiouyAEIOUY][ùøûõïâêáàåãäéèëúüóòôö][A-Za-zÀ-ÿ]*|ñ[a-zö]+")
_MOJIBAKE_RE = re.compile(r"Ã[\x80-\xbf¡-ÿ]|á»|áº|Æ°|Ä[‘\x91]")


def _letter_words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text)


def _vietnamese_ratio(text: str) -> float:
    """Share of words with non-ASCII letters that are real Vietnamese syllables."""
    words = [w for w in _letter_words(text[:200_000]) if any(ord(ch) > 127 for ch in w)]
    if not words:
        return 1.0
    good = sum(
        1 for w in words if is_vietnamese_syllable(unicodedata.normalize("NFC", w)) and w.isalpha()
    )
    return good / len(words)


def _legacy_kind(text: str) -> str | None:
    """ "TCVN3" or "VNI" when `text` looks like a legacy-font text read as Latin-1."""
    sample = text[:200_000]
    words = _letter_words(sample)
    if len(words) < 3:
        return None
    tcvn3 = len(_TCVN3_WORD_RE.findall(sample))
    vni = len(_VNI_WORD_RE.findall(sample))
    proper = sum(
        1
        for w in words
        if any(ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ" for ch in w.lower())
    )
    if proper > max(tcvn3, vni):
        return None
    if tcvn3 >= 3 and tcvn3 >= 0.05 * len(words) and tcvn3 >= vni:
        return "TCVN3"
    if vni >= 3 and vni >= 0.05 * len(words):
        return "VNI"
    return None


def check_legacy_encoding(text: str) -> None:
    """Raise NoticeReadError when `text` is in a legacy Vietnamese encoding (TCVN3/ABC, VNI)."""
    kind = _legacy_kind(text)
    if kind == "TCVN3":
        raise NoticeReadError(
            N_(
                "Văn bản dùng bảng mã cũ TCVN3 (ABC, phông .VnTime). Hãy chuyển sang Unicode "
                "(ví dụ bằng công cụ chuyển mã của Unikey) rồi tải lên lại."
            )
        )
    if kind == "VNI":
        raise NoticeReadError(
            N_(
                "Văn bản dùng bảng mã cũ VNI (phông VNI-Times). Hãy chuyển sang Unicode "
                "(ví dụ bằng công cụ chuyển mã của Unikey) rồi tải lên lại."
            )
        )


def decode_text(data: bytes) -> str:
    """Bytes of a plain-text notice to text: UTF-8 (with or without BOM), UTF-16 with a BOM,
    or Windows-1258 when it clearly reads as Vietnamese; anything else is refused."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise NoticeReadError(N_("Tệp văn bản UTF-16 bị hỏng, không đọc được.")) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _MOJIBAKE_RE.search(text[:20000]):
            # UTF-8 read once as Windows-1252 and saved again: undo it when that is clean.
            try:
                repaired = text.encode("cp1252").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                repaired = None
            if repaired is not None:
                return repaired
        check_legacy_encoding(text)
        return text
    try:
        candidate = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        candidate = None
    # Windows-1258 only when nearly every word then spells a Vietnamese syllable: TCVN3 and
    # VNI bytes also decode, but into words no Vietnamese would write.
    if (
        candidate is not None
        and _vietnamese_ratio(candidate) >= 0.9
        and any(ch in candidate for ch in "ăâđêôơưĐƯƠ")
    ):
        return candidate
    check_legacy_encoding(data.decode("cp1252", errors="replace"))
    raise NoticeReadError(
        N_(
            "Tệp không phải văn bản Unicode (UTF-8) và không nhận ra bảng mã. Hãy lưu lại tệp "
            "với bảng mã UTF-8 rồi tải lên lại."
        )
    )


def _read_docx(data: bytes) -> str:
    # Imported here: the attachments module brings the models, and reading text (the legacy
    # encoding check of read_notice) must not.
    from tracker.tasks.attachments import zip_is_bomb

    if not data.startswith(b"PK"):
        raise NoticeReadError(N_("Tệp .docx không hợp lệ: đây không phải tệp Word (.docx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if zip_is_bomb(archive):
                # Refused from the directory, before python-docx inflates every part.
                raise NoticeReadError(
                    N_("Tệp .docx khi giải nén lớn bất thường (có thể là “bom nén”), không đọc.")
                )
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise NoticeReadError(N_("Tệp .docx bị hỏng, không mở được.")) from error
    if "word/document.xml" not in names:
        raise NoticeReadError(N_("Tệp .docx không hợp lệ: tệp nén này không chứa văn bản Word."))
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds on broken parts
        raise NoticeReadError(N_("Tệp .docx bị hỏng, không đọc được nội dung.")) from error
    lines: list[str] = []
    # Paragraphs and tables in document order: the header of a notice is usually a table.
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            try:
                lines.extend(_table_lines(Table(child, document)))
            except Exception:  # a malformed merge must not lose the notice
                # (python-docx follows a cell merged down row by row, recursively; a broken or
                # enormous merge ends up here.) The table's paragraphs, in order, then.
                lines.extend(Paragraph(p, document).text for p in child.iter(qn("w:p")))
    return "\n".join(lines)


_ODF_TEXT_MIME = b"application/vnd.oasis.opendocument.text"
_ODF = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
}
# Table columns an .odt may declare as repeated ("number-columns-repeated"): an empty cell
# repeated to the page's last column (1024 in LibreOffice) must not give a thousand tabs.
_ODF_MAX_REPEAT = 64


def _odf(prefix: str, name: str) -> str:
    return f"{{{_ODF[prefix]}}}{name}"


def _is_odt(data: bytes) -> bool:
    """An OpenDocument text: its zip starts with the stored "mimetype" member (ODF 1.2 §3.3)."""
    return data.startswith(b"PK") and data[30:38] == b"mimetype" and _ODF_TEXT_MIME in data[38:90]


def _read_odt(data: bytes) -> str:
    """An OpenDocument text (.odt, LibreOffice Writer; the state's office suites write it) to
    text, read like a .docx: paragraphs and headings in order, lists as their items, tables
    by the same rule (a table of data a row a line with tabs, a layout table cell by cell)."""
    from defusedxml import ElementTree  # content.xml is untrusted XML: no entities, no DTDs

    from tracker.tasks.attachments import zip_is_bomb

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if zip_is_bomb(archive):
                raise NoticeReadError(
                    N_("Tệp .odt khi giải nén lớn bất thường (có thể là “bom nén”), không đọc.")
                )
            content = archive.read("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise NoticeReadError(N_("Tệp .odt bị hỏng, không mở được.")) from error
    try:
        root = ElementTree.fromstring(content)
    except Exception as error:  # ParseError, and defusedxml's refusals of entities and DTDs
        raise NoticeReadError(N_("Tệp .odt bị hỏng, không đọc được nội dung.")) from error
    body = root.find(f"{_odf('office', 'body')}/{_odf('office', 'text')}")
    if body is None:
        raise NoticeReadError(N_("Tệp .odt không hợp lệ: tệp này không chứa văn bản."))
    lines: list[str] = []
    _odt_block(body, lines)
    return "\n".join(lines)


def _odt_inline(element: Any) -> str:
    """The text of a paragraph or heading: spans, links and notes' anchors followed, `text:s`
    as its count of spaces, tabs and line breaks as themselves; notes' bodies left out (a
    footnote is not the notice's sentence)."""
    parts: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _odf("text", "s"):
            parts.append(" " * int(child.get(_odf("text", "c"), "1") or 1))
        elif tag == _odf("text", "tab"):
            parts.append("\t")
        elif tag == _odf("text", "line-break"):
            parts.append("\n")
        elif tag in (_odf("text", "note"), _odf("office", "annotation")):
            pass
        else:
            parts.append(_odt_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_block(element: Any, lines: list[str]) -> None:
    """The lines of the block-level children of `element` (the body, a section, a list item,
    a cell), in document order."""
    for child in element:
        tag = child.tag
        if tag in (_odf("text", "p"), _odf("text", "h")):
            lines.append(_odt_inline(child))
        elif tag == _odf("table", "table"):
            lines.extend(_odt_table_lines(child))
        elif tag in (
            _odf("text", "list"),
            _odf("text", "list-item"),
            _odf("text", "list-header"),
            _odf("text", "section"),
            _odf("table", "table-header-rows"),
            _odf("table", "table-rows"),
        ):
            _odt_block(child, lines)


def _odt_cell_text(cell: Any) -> str:
    """A cell as one line, joined as a Word cell is (`_join_cell_lines`)."""
    inner: list[str] = []
    _odt_block(cell, inner)
    return _join_cell_lines(line for paragraph in inner for line in paragraph.split("\n"))


def _odt_rows(table: Any) -> list[Any]:
    rows: list[Any] = []
    for child in table:
        if child.tag == _odf("table", "table-row"):
            rows.append(child)
        elif child.tag in (
            _odf("table", "table-header-rows"),
            _odf("table", "table-rows"),
            _odf("table", "table-row-group"),
        ):
            rows.extend(_odt_rows(child))
    return rows


def _odt_table_lines(table: Any) -> list[str]:
    """A table's lines by `_table_lines`' rule. A cell spanning columns gives its text once
    and the positions it covers empty, so every row lines up with the header; a cell spanning
    rows gives its text to each row it covers, as Word's merged-down cells do (a lead named
    once for two tasks leads both)."""
    rows: list[list[str]] = []
    blocks: list[list[str]] = []
    down: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered below)
    for row in _odt_rows(table):
        cells: list[str] = []
        block: list[str] = []
        for cell in row:
            if cell.tag not in (_odf("table", "table-cell"), _odf("table", "covered-table-cell")):
                continue
            repeat = min(
                int(cell.get(_odf("table", "number-columns-repeated"), "1") or 1), _ODF_MAX_REPEAT
            )
            for _ in range(repeat):
                column = len(cells)
                if cell.tag == _odf("table", "covered-table-cell"):
                    text, left = down.get(column, ("", 0))
                    cells.append(text if left > 0 else "")
                    if left > 0:
                        down[column] = (text, left - 1)
                    continue
                text = _odt_cell_text(cell)
                cells.append(text)
                spanned = int(cell.get(_odf("table", "number-rows-spanned"), "1") or 1)
                if spanned > 1:
                    down[column] = (text, spanned - 1)
            if cell.tag == _odf("table", "table-cell"):
                _odt_block(cell, block)
        while cells and not cells[-1] and len(cells) > len(rows[0] if rows else []):
            cells.pop()  # a row padded to the page's width by a repeated empty cell
        rows.append(cells)
        blocks.append(block)
    if any(sum(1 for text in cells if text) >= 3 for cells in rows):
        return ["\t".join(cells) for cells in rows]
    return [line for block in blocks for line in block]


_CELL_BULLET_RE = re.compile(r"^[-–+•*]\s+")


def _cell_text(cell: _Cell) -> str:
    """A Word table cell as one line (`_join_cell_lines`)."""
    return _join_cell_lines(_cell_lines(cell))


def _join_cell_lines(lines: Iterable[str]) -> str:
    """A cell's lines as one line: joined with a space, or with "; " after one without a
    closing mark, as an item of a list ("Phòng Nội vụ" / "Phòng Tư pháp" -> "Phòng Nội vụ;
    Phòng Tư pháp"): units one per line in a cell stay apart."""
    text = ""
    for line in lines:
        # (A tab inside a cell would read as one more column; a "- " or "+ " bullet of a
        # list in a cell would read as a dash in the middle of the row's sentence.)
        part = _CELL_BULLET_RE.sub("", " ".join(line.split()))
        if not part:
            continue
        if text and text[-1] not in ".,;:!?…":
            text += ";"
        text = f"{text} {part}" if text else part
    return text


def _cell_lines(cell: _Cell) -> list[str]:
    """A cell's lines in order: each paragraph's lines (a Shift+Enter break separates items
    like a paragraph does), and a table nested in the cell a row a line (its cells' texts
    joined with spaces), so nothing typed in a nested table is lost."""
    from docx.table import Table

    lines: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                lines.append(" ".join(text for text in _row_cells(row) if text))
        else:
            lines.extend(item.text.split("\n"))
    return lines


def _row_cells(row: _Row) -> list[str]:
    """The texts of a row's grid positions: a cell merged across columns gives its text once and
    empty texts for the other positions it covers, so every row lines up with the header."""
    # (A row may start after the first column; older python-docx cannot say so.)
    cells = [""] * getattr(row, "grid_cols_before", 0)
    previous = None
    for cell in row.cells:
        cells.append("" if previous is not None and cell._tc is previous._tc else _cell_text(cell))
        previous = cell
    return cells


def _table_lines(table: Table) -> list[str]:
    """A table's lines. A table of data (some row has three filled cells or more: a plan's task
    table "STT | Nội dung | Chủ trì | Phối hợp | Thời hạn") gives one line a row, the cells split
    by tabs, which the reader's table rule reads column by column. A layout table (the emblem
    header "UBND HUYỆN ... | CỘNG HÒA ...", the signature block) gives each cell's paragraphs
    as lines of their own, as the text would read on paper."""
    from docx.table import Table

    rows = [_row_cells(row) for row in table.rows]
    if any(sum(1 for text in cells if text) >= 3 for cells in rows):
        # (Trailing empty cells are kept: an empty "Ghi chú" column still lines up.)
        return ["\t".join(cells) for cells in rows]
    lines: list[str] = []
    for row in table.rows:
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous._tc:  # merged cells repeat
                continue
            previous = cell
            # A table inside a layout cell (a task table placed in the page's frame) is read
            # as a table of its own.
            for item in cell.iter_inner_content():
                if isinstance(item, Table):
                    lines.extend(_table_lines(item))
                else:
                    lines.append(item.text)
    return lines


@dataclass
class NoticeDocument:
    """What an uploaded notice file held: its text and, for a scan or photo, the pages."""

    text: str
    kind: str  # "text", "docx", "odt", "doc", "pdf" (with a text layer) or "scan" (recognised)
    pages: list[PageImage] = field(default_factory=list)

    @property
    def confidence(self) -> float | None:
        """Mean recognition confidence of a scan's pages (0..1), None for other kinds."""
        return ocr.ScannedText(self.pages).confidence if self.pages else None


def _pdf_text(data: bytes) -> str:
    if b"%PDF-" not in data[:1024]:
        raise NoticeReadError(N_("Tệp không phải PDF (thiếu phần đầu %PDF), không đọc được."))
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise NoticeReadError(N_("Tệp PDF có mật khẩu, không đọc được."))
        pages = [page.extract_text() or "" for page in reader.pages]
    except NoticeReadError:
        raise
    except Exception as error:  # pypdf raises many kinds on broken files
        raise NoticeReadError(N_("Tệp PDF bị hỏng, không đọc được.")) from error
    return "\n".join(pages)


def _read_pdf(data: bytes, ocr_seconds: float) -> NoticeDocument:
    text = _pdf_text(data)
    if sum(ch.isalpha() for ch in text) >= 20:
        return NoticeDocument(text, "pdf")
    # No text layer: a scan. Recognise it where Tesseract is installed.
    if not ocr.ocr_available():
        raise NoticeReadError(
            N_(
                "Tệp PDF này không có lớp văn bản (có lẽ là bản scan) và máy chủ chưa cài bộ "
                "nhận dạng chữ Tesseract. Hãy dùng bản PDF gốc, tệp .docx, hoặc dán nội dung "
                "văn bản; quản trị viên có thể cài bằng lệnh: "
                "apt-get install tesseract-ocr tesseract-ocr-vie."
            )
        )
    scanned = ocr.read_scanned_pdf(data, seconds=ocr_seconds)
    return NoticeDocument(scanned.text, "scan", scanned.pages)


# LibreOffice converts an old .doc in 3-10 s (it starts with a fresh profile); a file that
# keeps it busy longer is given up, well inside the web worker's timeout (gunicorn --timeout 60).
DOC_SECONDS = 40.0


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _read_doc(data: bytes) -> NoticeDocument:
    """An old Word .doc (or RTF) converted to .docx by LibreOffice, then read as a .docx."""
    soffice = _soffice()
    if soffice is None:
        raise NoticeReadError(
            N_(
                "Định dạng Word cũ (.doc) cần LibreOffice trên máy chủ để đọc, nhưng máy chủ chưa "
                "cài. Hãy lưu lại thành .docx hoặc PDF rồi tải lên; quản trị viên có thể cài bằng "
                "lệnh: apt-get install libreoffice-writer-nogui."
            )
        )
    with tempfile.TemporaryDirectory(prefix="tracker-doc-") as folder:
        source = Path(folder) / "notice.doc"
        source.write_bytes(data)
        # A profile of its own per conversion: two uploads at once must not share one.
        profile = (Path(folder) / "profile").as_uri()
        command = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            folder,
            str(source),
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=folder,
            env={**os.environ, "HOME": folder},
            start_new_session=True,  # so a stuck conversion is ended with all its children
        )
        try:
            process.wait(timeout=DOC_SECONDS)
        except subprocess.TimeoutExpired as error:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise NoticeReadError(
                N_("Chuyển tệp .doc quá lâu nên đã dừng. Hãy lưu lại thành .docx hoặc PDF.")
            ) from error
        converted = Path(folder) / "notice.docx"
        if process.returncode != 0 or not converted.exists():
            raise NoticeReadError(
                N_("Không chuyển được tệp .doc này (tệp hỏng hoặc không phải văn bản Word).")
            )
        return NoticeDocument(_read_docx(converted.read_bytes()), "doc")


_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def read_notice_document(
    data: bytes, filename: str = "", *, ocr_seconds: float = ocr.OCR_SECONDS
) -> NoticeDocument:
    """The text of an uploaded notice, with the page images of a scan or photo; the kind is
    read from the content first, the name second. Raises NoticeReadError with a message for
    the user."""
    if len(data) > MAX_BYTES:
        raise NoticeReadError(N_("Tệp quá lớn (trên 20 MB)."))
    if not data.strip():
        raise NoticeReadError(N_("Tệp trống: không có nội dung nào để đọc."))
    suffix = Path(filename).suffix.lower()
    if data.startswith(_IMAGE_MAGIC) or (
        suffix in _IMAGE_SUFFIXES and not data.startswith(b"%PDF")
    ):
        scanned = ocr.read_image(data, seconds=ocr_seconds)
        return NoticeDocument(scanned.text, "scan", scanned.pages)
    if data.startswith(b"\xd0\xcf\x11\xe0") or (suffix == ".doc" and data.startswith(b"{\\rtf")):
        return _read_doc(data)
    if suffix == ".doc" and not data.startswith(b"PK"):
        raise NoticeReadError(N_("Tệp .doc không hợp lệ: đây không phải tệp Word."))
    if suffix == ".pdf" or data.startswith(b"%PDF-"):
        return _read_pdf(data, ocr_seconds)
    if _is_odt(data):
        return NoticeDocument(_read_odt(data), "odt")
    if suffix == ".odt":
        raise NoticeReadError(N_("Tệp .odt không hợp lệ: đây không phải văn bản OpenDocument."))
    if data.startswith(b"PK"):
        return NoticeDocument(_read_docx(data), "docx")
    if suffix == ".docx":
        return NoticeDocument(_read_docx(data), "docx")  # says it is not a Word file
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise NoticeReadError(
            N_("Tệp không phải văn bản (.txt), Word, PDF hay ảnh chụp, không đọc được.")
        )
    return NoticeDocument(decode_text(data), "text")


def read_notice_bytes(data: bytes, filename: str = "") -> str:
    """The text of an uploaded notice (see read_notice_document)."""
    return read_notice_document(data, filename).text


def read_notice_file(path: str | Path) -> str:
    """The text of the notice file at `path` (see read_notice_bytes)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NoticeReadError(f"Không mở được tệp {path.name}: {error.strerror}.") from error
    return read_notice_bytes(data, path.name)
