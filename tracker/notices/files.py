"""Notice files (.txt, .docx, .pdf) to text, refusing legacy Vietnamese encodings clearly."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from tracker.notices.extract import N_, NoticeReadError, is_vietnamese_syllable

__all__ = [
    "NoticeReadError",
    "check_legacy_encoding",
    "decode_text",
    "read_notice_bytes",
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
            for row in Table(child, document).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def _read_pdf(data: bytes) -> str:
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
    text = "\n".join(pages)
    if sum(ch.isalpha() for ch in text) < 20:
        raise NoticeReadError(
            N_(
                "Tệp PDF này không có lớp văn bản (có lẽ là bản scan). Hãy dùng bản PDF gốc, "
                "tệp .docx, hoặc dán nội dung văn bản."
            )
        )
    return text


def read_notice_bytes(data: bytes, filename: str = "") -> str:
    """The text of an uploaded notice; the kind is read from the content first, the name
    second. Raises NoticeReadError with a message for the user."""
    if len(data) > MAX_BYTES:
        raise NoticeReadError(N_("Tệp quá lớn (trên 20 MB)."))
    if not data.strip():
        raise NoticeReadError(N_("Tệp trống: không có nội dung nào để đọc."))
    suffix = Path(filename).suffix.lower()
    if suffix == ".doc" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NoticeReadError(
            N_("Định dạng Word cũ (.doc) chưa được hỗ trợ. Hãy lưu lại thành .docx hoặc PDF.")
        )
    if suffix == ".pdf" or data.startswith(b"%PDF-"):
        return _read_pdf(data)
    if suffix == ".docx" or (data.startswith(b"PK") and suffix not in {".txt", ""}):
        return _read_docx(data)
    if data.startswith(b"PK"):
        return _read_docx(data)
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise NoticeReadError(N_("Tệp không phải văn bản (.txt), .docx hay PDF, không đọc được."))
    return decode_text(data)


def read_notice_file(path: str | Path) -> str:
    """The text of the notice file at `path` (see read_notice_bytes)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NoticeReadError(f"Không mở được tệp {path.name}: {error.strerror}.") from error
    return read_notice_bytes(data, path.name)
