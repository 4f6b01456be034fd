"""Notice files to text: .txt encodings, .docx, .pdf, and the clear refusals."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import docx
import pytest

from tracker.notices import ocr
from tracker.notices.extract import read_notice
from tracker.notices.files import NoticeReadError, read_notice_bytes, read_notice_file

NOTICE = (
    "Số: 12/TB-UBND\n"
    "Minh Sơn, ngày 02 tháng 4 năm 2024\n"
    "Giao Phòng Nội vụ chủ trì, phối hợp với Văn phòng HĐND và UBND huyện rà soát hồ sơ cán bộ; "
    "hoàn thành trước ngày 20/5/2024."
)
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 keeps â, ơ, ư ... whole and writes the tone as a combining mark."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)))
        out.append(tones)
    return "".join(out).encode("cp1258")


def test_utf8_with_and_without_bom():
    assert read_notice_bytes(NOTICE.encode("utf-8"), "a.txt") == NOTICE
    assert read_notice_bytes(b"\xef\xbb\xbf" + NOTICE.encode("utf-8"), "a.txt") == NOTICE


def test_cp1258_is_read_when_it_clearly_fits():
    text = read_notice_bytes(to_cp1258(NOTICE), "a.txt")
    assert unicodedata.normalize("NFC", text) == NOTICE


def test_tcvn3_is_refused_with_its_name():
    tcvn3 = "Giao Phßng Néi vô chñ tr×, phèi hîp víi V¨n phßng H§ND vµ UBND huyÖn rµ so¸t hå s¬"
    with pytest.raises(NoticeReadError, match="TCVN3"):
        read_notice_bytes(tcvn3.encode("cp1252"), "a.txt")
    with pytest.raises(NoticeReadError, match="TCVN3"):
        read_notice_bytes(tcvn3.encode("utf-8"), "a.txt")  # pasted, then saved as UTF-8


def test_vni_is_refused_with_its_name():
    vni = (
        "Giao Phoøng Noäi vuï chuû trì, phoái hôïp vôùi Vaên phoøng HÑND vaø UBND huyeän raø soaùt"
    )
    with pytest.raises(NoticeReadError, match="VNI"):
        read_notice_bytes(vni.encode("cp1252"), "a.txt")


def test_bytes_that_are_no_known_encoding_are_refused():
    with pytest.raises(NoticeReadError, match="UTF-8"):
        read_notice_bytes(bytes(range(128, 256)) * 20, "a.txt")


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "ỦY BAN NHÂN DÂN HUYỆN MINH SƠN\nSố: 12/TB-UBND"
    table.cell(0, 1).text = "Minh Sơn, ngày 02 tháng 4 năm 2024"
    document.add_paragraph(NOTICE.split("\n")[2])
    path = tmp_path / "tb.docx"
    document.save(path)
    reading = read_notice(read_notice_file(path))
    assert reading.notice.number == "12/TB-UBND"
    assert reading.tasks[0].lead == "Phòng Nội vụ"
    assert reading.tasks[0].coordinating == ["Văn phòng HĐND và UBND huyện"]


def test_docx_that_is_a_zip_of_something_else():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not a document")
    with pytest.raises(NoticeReadError, match="docx"):
        read_notice_bytes(buffer.getvalue(), "tb.docx")
    with pytest.raises(NoticeReadError, match="docx"):
        read_notice_bytes(b"plain text pretending", "tb.docx")


def test_pdf_with_a_text_layer(text_pdf):
    pdf = text_pdf(NOTICE.split("\n"))
    reading = read_notice(read_notice_bytes(pdf, "tb.pdf"))
    assert reading.notice.issued_on.isoformat() == "2024-04-02"
    assert reading.tasks[0].deadline.isoformat() == "2024-05-20"


def test_pdf_without_text_layer_says_so_without_ocr(text_pdf, monkeypatch):
    monkeypatch.setattr(ocr, "_tesseract", lambda: None)
    with pytest.raises(NoticeReadError, match=r"không có lớp văn bản.*tesseract-ocr-vie"):
        read_notice_bytes(text_pdf([" "]), "scan.pdf")


def test_blank_scan_says_nothing_was_recognised(text_pdf):
    if not ocr.ocr_available():
        pytest.skip(
            "Tesseract with Vietnamese is not installed (apt-get install tesseract-ocr-vie)"
        )
    with pytest.raises(NoticeReadError, match="Không nhận dạng được chữ"):
        read_notice_bytes(text_pdf([" "]), "scan.pdf")


def test_file_renamed_pdf_that_is_not_a_pdf():
    with pytest.raises(NoticeReadError, match="không phải PDF"):
        read_notice_bytes(NOTICE.encode("utf-8"), "tb.pdf")


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(NoticeReadError, match="trống"):
        read_notice_file(path)
