"""OpenDocument notices (.odt, LibreOffice Writer, the office suite many state offices use):
read like a Word notice, tables and all, through the reader and the review screen; and tables
nested inside a Word table's cell are no longer lost."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa

from tests.notices.test_docx_tables import EXPECTED, _notice_docx, _tasks
from tracker.extensions import db
from tracker.notices import files
from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.files import read_notice_bytes, read_notice_document
from tracker.notices.models import NoticeDraft

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def _odt(body: str, *, content: str | None = None) -> bytes:
    """An .odt as ODF 1.2 packages it: the stored "mimetype" member first, then content.xml."""
    xml = content or (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return buffer.getvalue()


def _cell(text: str, extra: str = "") -> str:
    paragraphs = "".join(f"<text:p>{line}</text:p>" for line in text.split("\n"))
    return f"<table:table-cell{extra}>{paragraphs}</table:table-cell>"


def _row(*cells: str) -> str:
    return f"<table:table-row>{''.join(cells)}</table:table-row>"


NOTICE_BODY = (
    # The emblem header: a layout table, read cell by cell.
    "<table:table>"
    + _row(_cell("ỦY BAN NHÂN DÂN\nXÃ TÂN LẬP"), _cell("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
    + _row(_cell("Số: 18/TB-UBND"), _cell("Tân Lập, ngày 03 tháng 3 năm 2026"))
    + "</table:table>"
    + "<text:h>THÔNG BÁO</text:h>"
    + "<text:p>Kết luận của Chủ tịch UBND xã tại cuộc họp giao ban tháng 3</text:p>"
    + "<text:list><text:list-item><text:p>1. Giao Phòng Kinh tế chủ trì, phối hợp với "
    '<text:span text:style-name="T1">Văn phòng HĐND và UBND xã</text:span> rà soát'
    '<text:s text:c="2"/>hiện trạng kênh mương nội đồng, báo cáo Chủ tịch UBND xã trước ngày '
    "20/3/2026.</text:p></text:list-item>"
    + "<text:list-item><text:p>2. Các nhiệm vụ cụ thể tại bảng dưới đây."
    '<text:note text:note-class="footnote"><text:note-body><text:p>Giao Phòng Văn hóa - Xã '
    "hội chủ trì in tờ rơi.</text:p></text:note-body></text:note></text:p></text:list-item>"
    + "</text:list>"
    # A task table: header row, a section row spanning the width, tasks a row each.
    + "<table:table><table:table-header-rows>"
    + _row(
        _cell("STT"),
        _cell("Nội dung nhiệm vụ"),
        _cell("Cơ quan chủ trì"),
        _cell("Cơ quan phối hợp"),
        _cell("Thời hạn"),
    )
    + "</table:table-header-rows>"
    + _row(
        _cell("I. Hạ tầng", ' table:number-columns-spanned="5"'),
        '<table:covered-table-cell table:number-columns-repeated="4"/>',
    )
    + _row(
        _cell("1"),
        _cell("Nạo vét kênh mương trước mùa mưa"),
        _cell("Phòng Kinh tế"),
        _cell("Phòng Văn hóa - Xã hội\nVăn phòng HĐND và UBND xã"),
        _cell("Trước 30/4/2026"),
        # LibreOffice pads rows to the page's width with one repeated empty cell.
        '<table:table-cell table:number-columns-repeated="1019"/>',
    )
    + _row(
        _cell("2"),
        _cell("Cập nhật dữ liệu hộ nghèo trên phần mềm"),
        _cell("Phòng Văn hóa - Xã hội"),
        _cell(""),
        _cell("Quý II/2026"),
    )
    + "</table:table>"
    + "<text:p>Nơi nhận:</text:p><text:p>- Như trên;</text:p>"
)


def test_an_odt_notice_reads_its_paragraphs_lists_and_task_table() -> None:
    document = read_notice_document(_odt(NOTICE_BODY), "tb18.odt")
    assert document.kind == "odt"
    lines = document.text.splitlines()
    assert "Số: 18/TB-UBND" in lines
    # `text:s` spaces kept, spans followed, the footnote's body left out.
    assert any("rà soát  hiện trạng" in line for line in lines)
    assert "in tờ rơi" not in document.text
    # The task table a row a line, its columns by tabs, lined up with the header; the
    # page-wide padding of 1,019 empty cells dropped.
    assert "STT\tNội dung nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn" in lines
    assert "I. Hạ tầng\t\t\t\t" in lines
    assert (
        "1\tNạo vét kênh mương trước mùa mưa\tPhòng Kinh tế\t"
        "Phòng Văn hóa - Xã hội; Văn phòng HĐND và UBND xã\tTrước 30/4/2026"
    ) in lines

    reading = read_notice(document.text)
    assert reading.notice.number == "18/TB-UBND"
    assert str(reading.notice.issued_on) == "2026-03-03"
    tasks = [(t.lead, t.coordinating, t.deadline and str(t.deadline)) for t in reading.tasks]
    assert tasks == [
        ("Phòng Kinh tế", ["Văn phòng HĐND và UBND xã"], "2026-03-20"),
        ("Phòng Kinh tế", ["Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND xã"], "2026-04-30"),
        ("Phòng Văn hóa - Xã hội", [], "2026-06-30"),
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04 not really a zip", "tb.odt", "không phải văn bản OpenDocument"),
        (_odt("", content="<office:document-content"), "tb.odt", "bị hỏng"),
        (
            _odt(
                "",
                content=(
                    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    f"<office:document-content {NS}><office:body><office:text>"
                    "<text:p>&b;</text:p></office:text></office:body></office:document-content>"
                ),
            ),
            "tb.odt",
            "bị hỏng",
        ),
        (
            _odt(
                "",
                content=f"<office:document-content {NS}><office:body/></office:document-content>",
            ),
            "tb.odt",
            "không chứa văn bản",
        ),
    ],
    ids=["not-a-zip", "broken-xml", "entity-expansion", "no-text-body"],
)
def test_a_broken_or_hostile_odt_is_refused_clearly(data: bytes, name: str, message: str) -> None:
    with pytest.raises(NoticeReadError, match=message):
        read_notice_bytes(data, name)


def test_upload_an_odt_to_the_review_screen(login, world) -> None:  # type: ignore[no-untyped-def]
    client = login(world.office)
    odt = _odt(
        "<text:p>Số: 61/TB-UBND</text:p><text:p>Đồi Chè, ngày 12 tháng 5 năm 2017</text:p>"
        "<text:p>1. Giao Phòng Nội vụ chủ trì, phối hợp với Phòng Tư pháp rà soát quy chế lưu trữ "
        "điện tử, báo cáo trước ngày 25/5/2017.</text:p>"
    )
    response = client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(odt), "tb61.odt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    draft = db.session.scalar(sa.select(NoticeDraft))
    assert [
        (r["lead_unit_id"], [c["unit_id"] for c in r["coordinating"]], r["deadline"])
        for r in draft.rows
    ] == [(world.noivu.id, [world.tuphap.id], "2017-05-25")]


@pytest.mark.skipif(
    files._soffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_an_odt_saved_by_libreoffice_reads_like_the_word_file(tmp_path: Path) -> None:
    # The Word notice of the table tests, saved as .odt by LibreOffice itself: the same tasks.
    source = tmp_path / "tb.docx"
    source.write_bytes(_notice_docx())
    subprocess.run(
        [
            files._soffice() or "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "odt",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    document = read_notice_document((tmp_path / "out" / "tb.odt").read_bytes(), "tb61.odt")
    assert document.kind == "odt"
    assert _tasks(document.text) == EXPECTED


def test_a_task_table_nested_in_a_layout_cell_is_read() -> None:
    # Some offices frame the whole body in a one-cell table; the task table sits inside it.
    document = docx.Document()
    document.add_paragraph("Số: 9/TB-UBND")
    document.add_paragraph("Đồi Chè, ngày 02 tháng 3 năm 2017")
    frame = document.add_table(rows=1, cols=1)
    cell = frame.cell(0, 0)
    cell.paragraphs[0].text = "Các nhiệm vụ cụ thể:"
    inner = cell.add_table(rows=2, cols=4)
    for column, name in enumerate(["STT", "Nội dung", "Chủ trì", "Thời hạn"]):
        inner.cell(0, column).text = name
    for column, value in enumerate(["1", "Rà soát hồ sơ lưu trữ", "Phòng Nội vụ", "Quý II/2017"]):
        inner.cell(1, column).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "tb9.docx")
    assert "1\tRà soát hồ sơ lưu trữ\tPhòng Nội vụ\tQuý II/2017" in text.splitlines()
    assert _tasks(text) == [("Phòng Nội vụ", [], "2017-06-30", False, "Rà soát hồ sơ lưu trữ")]


def test_a_nested_table_in_a_data_cell_keeps_its_text() -> None:
    # A task table whose "Phối hợp" cell holds a small table of units: its rows become items.
    document = docx.Document()
    document.add_paragraph("Số: 9/TB-UBND")
    document.add_paragraph("Đồi Chè, ngày 02 tháng 3 năm 2017")
    table = document.add_table(rows=2, cols=5)
    for column, name in enumerate(["STT", "Nội dung", "Chủ trì", "Phối hợp", "Thời hạn"]):
        table.cell(0, column).text = name
    for column, value in enumerate(
        ["1", "Rà soát hồ sơ lưu trữ", "Phòng Nội vụ", "", "Quý II/2017"]
    ):
        table.cell(1, column).text = value
    units = table.cell(1, 3)
    units.paragraphs[0].text = ""
    nested = units.add_table(rows=2, cols=1)
    nested.cell(0, 0).text = "Phòng Tư pháp"
    nested.cell(1, 0).text = "Phòng Tài chính - Kế hoạch"
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "tb9.docx")
    assert _tasks(text) == [
        (
            "Phòng Nội vụ",
            ["Phòng Tư pháp", "Phòng Tài chính - Kế hoạch"],
            "2017-06-30",
            False,
            "Rà soát hồ sơ lưu trữ",
        )
    ]
