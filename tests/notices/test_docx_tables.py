"""Task tables in Word notices: a .docx (or an old .doc) whose tasks sit in a table reads one
task a row, while the emblem header and the signature block read as they do on paper."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tracker.extensions import db
from tracker.notices import files
from tracker.notices.extract import read_notice
from tracker.notices.files import read_notice_bytes, read_notice_document
from tracker.notices.models import NoticeDraft

HEADER = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn hoàn thành"]


def _notice_docx() -> bytes:
    """A conclusion notice as offices write them in Word: the two-cell emblem header, a heading,
    a directive in a paragraph, an annex table of tasks, and the signature block."""
    document = docx.Document()
    emblem = document.add_table(rows=2, cols=2)
    emblem.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nHUYỆN ĐỒI CHÈ"
    emblem.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    emblem.cell(1, 0).text = "Số: 61/TB-UBND"
    emblem.cell(1, 1).text = "Đồi Chè, ngày 12 tháng 5 năm 2017"
    document.add_heading("THÔNG BÁO", level=1)
    document.add_paragraph("Kết luận của Chủ tịch UBND huyện tại cuộc họp về quản lý hồ sơ số")
    document.add_paragraph(
        "Ngày 10/5/2017, Chủ tịch UBND huyện chủ trì cuộc họp về quản lý hồ sơ số. "
        "Chủ tịch UBND huyện kết luận như sau:"
    )
    document.add_paragraph(
        "1. Giao Văn phòng HĐND và UBND huyện chủ trì tổng hợp ý kiến của các phòng về quy chế "
        "lưu trữ điện tử, trình Chủ tịch UBND huyện trước ngày 25/5/2017."
    )
    document.add_paragraph("2. Các nhiệm vụ cụ thể tại Phụ lục kèm theo.")
    document.add_paragraph("Phụ lục: danh mục nhiệm vụ")
    table = document.add_table(rows=6, cols=5)
    for column, name in enumerate(HEADER):
        table.cell(0, column).text = name
    # A section row: one cell merged across the whole width.
    table.cell(1, 0).merge(table.cell(1, 4)).text = "I. Hạ tầng và dữ liệu"
    rows = [
        ("1", "Số hóa sổ hộ tịch lưu tại huyện", "Phòng Tư pháp", "", "Tháng 7/2017"),
        (
            "2",
            "Lập danh mục hồ sơ điện tử. Công khai danh mục trên trang thông tin của huyện",
            "Phòng Nội vụ",
            "Phòng Tư pháp\nPhòng Tài chính - Kế hoạch",
            "Trước 30/6/2017",
        ),
        ("3", "Bố trí kinh phí mua máy quét tài liệu", "Phòng Tài chính - Kế hoạch", "", ""),
        ("4", "Cập nhật dữ liệu cán bộ trên phần mềm", "", "Phòng Tư pháp", "Thường xuyên"),
    ]
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            table.cell(index, column).text = value
    # The lead of rows 3 and 4 is one cell merged down two rows; the text is set after merging.
    table.cell(4, 2).merge(table.cell(5, 2)).text = "Phòng Tài chính - Kế hoạch"
    table.cell(4, 4).text = "Quý III/2017"
    # (Word keeps a paragraph between two tables and after the last one; LibreOffice's .doc
    # export loses a table that has none.)
    document.add_paragraph("")
    signature = document.add_table(rows=1, cols=2)
    signature.cell(0, 0).text = "Nơi nhận:\n- Các phòng chuyên môn;\n- Lưu: VT."
    signature.cell(0, 1).text = "CHỦ TỊCH\n\nĐinh Văn Hải"
    document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_task_table_reads_one_line_a_row_and_layout_tables_as_on_paper() -> None:
    lines = read_notice_bytes(_notice_docx(), "tb61.docx").split("\n")
    # The emblem header: each cell's lines of their own, row by row, as before.
    assert lines[:6] == [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN ĐỒI CHÈ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 61/TB-UBND",
        "Đồi Chè, ngày 12 tháng 5 năm 2017",
    ]
    start = lines.index("Phụ lục: danh mục nhiệm vụ") + 1
    assert lines[start : start + 6] == [
        "\t".join(HEADER),
        "I. Hạ tầng và dữ liệu\t\t\t\t",  # merged across: its text once, the columns kept
        "1\tSố hóa sổ hộ tịch lưu tại huyện\tPhòng Tư pháp\t\tTháng 7/2017",
        "2\tLập danh mục hồ sơ điện tử. Công khai danh mục trên trang thông tin của huyện"
        "\tPhòng Nội vụ\tPhòng Tư pháp; Phòng Tài chính - Kế hoạch\tTrước 30/6/2017",
        "3\tBố trí kinh phí mua máy quét tài liệu\tPhòng Tài chính - Kế hoạch\t\tQuý III/2017",
        # (merged down: the lead cell reads in each row it covers)
        "4\tCập nhật dữ liệu cán bộ trên phần mềm\tPhòng Tài chính - Kế hoạch\tPhòng Tư pháp"
        "\tThường xuyên",
    ]
    # The signature block stays as it was: each cell's lines.
    assert lines[start + 6 :] == [
        "",
        "Nơi nhận:",
        "- Các phòng chuyên môn;",
        "- Lưu: VT.",
        "CHỦ TỊCH",
        "",
        "Đinh Văn Hải",
        "",
    ]


def _tasks(text: str) -> list[tuple[str, list[str], str | None, bool, str]]:
    return [
        (t.lead, t.coordinating, t.deadline and t.deadline.isoformat(), t.recurring, t.task)
        for t in read_notice(text).tasks
    ]


EXPECTED = [
    (
        "Văn phòng HĐND và UBND huyện",
        [],
        "2017-05-25",
        False,
        "Tổng hợp ý kiến của các phòng về quy chế lưu trữ điện tử, trình Chủ tịch UBND huyện",
    ),
    ("Phòng Tư pháp", [], "2017-07-31", False, "Số hóa sổ hộ tịch lưu tại huyện"),
    (
        "Phòng Nội vụ",
        ["Phòng Tư pháp", "Phòng Tài chính - Kế hoạch"],
        "2017-06-30",
        False,
        "Lập danh mục hồ sơ điện tử; Công khai danh mục trên trang thông tin của huyện",
    ),
    (
        "Phòng Tài chính - Kế hoạch",
        [],
        "2017-09-30",
        False,
        "Bố trí kinh phí mua máy quét tài liệu",
    ),
    (
        "Phòng Tài chính - Kế hoạch",
        ["Phòng Tư pháp"],
        None,
        True,
        "Cập nhật dữ liệu cán bộ trên phần mềm",
    ),
]


def test_the_reader_proposes_one_task_a_row() -> None:
    text = read_notice_bytes(_notice_docx(), "tb61.docx")
    assert read_notice(text).notice.number == "61/TB-UBND"
    assert _tasks(text) == EXPECTED


@pytest.mark.parametrize(
    ("cell", "deadline", "recurring"),
    [
        ("Tháng 6/2017", "2017-06-30", False),
        ("6/2017", "2017-06-30", False),
        ("Quý III/2017", "2017-09-30", False),
        ("Quý IV năm 2017", "2017-12-31", False),
        ("Trước 30/6/2017", "2017-06-30", False),
        ("30/6/2017", "2017-06-30", False),
        ("Năm 2017", "2017-12-31", False),
        ("Thường xuyên", None, True),
        ("Định kỳ hằng quý", None, True),
        ("", None, False),
    ],
)
def test_deadline_cells(cell: str, deadline: str | None, recurring: bool) -> None:
    text = (
        "Số: 7/TB-UBND\nĐồi Chè, ngày 02 tháng 3 năm 2017\n\n"
        "TT\tNội dung công việc\tCơ quan/đơn vị chủ trì\tĐơn vị phối hợp\t"
        "Thời gian hoàn thành\tGhi chú\n"
        f"1\tRà soát hồ sơ lưu trữ\tPhòng Nội vụ\t\t{cell}\t\n"
    )
    assert _tasks(text) == [("Phòng Nội vụ", [], deadline, recurring, "Rà soát hồ sơ lưu trữ")]


def test_a_single_column_of_units_names_the_lead() -> None:
    text = (
        "Số: 7/TB-UBND\nĐồi Chè, ngày 02 tháng 3 năm 2017\n\n"
        "STT\tNội dung\tĐơn vị thực hiện\tThời gian thực hiện\n"
        "1\tRà soát hồ sơ lưu trữ\tPhòng Nội vụ\tQuý II/2017\n"
    )
    assert _tasks(text) == [("Phòng Nội vụ", [], "2017-06-30", False, "Rà soát hồ sơ lưu trữ")]


def test_upload_a_docx_with_a_task_table_to_the_review_screen(login, world) -> None:
    client = login(world.office)
    response = client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(_notice_docx()), "tb61.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    draft = db.session.scalar(sa.select(NoticeDraft))
    units = {u.name: u.id for u in (world.office_unit, world.noivu, world.taichinh, world.tuphap)}
    rows = [
        (
            row["lead_unit_id"],
            [c["unit_id"] for c in row["coordinating"]],
            row["deadline"] or None,
            bool(row["recurring"]),
            row["task"],
        )
        for row in draft.rows
    ]
    assert rows == [
        (units[lead], [units[c] for c in coordinating], deadline, recurring, task)
        for lead, coordinating, deadline, recurring, task in EXPECTED
    ]
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert "Số hóa sổ hộ tịch lưu tại huyện" in page


def _doc_from(tmp_path: Path, data: bytes) -> bytes:
    source = tmp_path / "tb.docx"
    source.write_bytes(data)
    subprocess.run(
        [
            files._soffice() or "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return (tmp_path / "out" / "tb.doc").read_bytes()


@pytest.mark.skipif(
    files._soffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_an_old_doc_keeps_its_task_table(tmp_path: Path) -> None:
    # An old .doc is converted to .docx by LibreOffice and then read by the same code.
    document = read_notice_document(_doc_from(tmp_path, _notice_docx()), "tb61.doc")
    assert document.kind == "doc"
    assert _tasks(document.text) == EXPECTED


def test_a_two_level_header_and_a_work_cell_in_capitals() -> None:
    # "Đơn vị thực hiện" over "Chủ trì | Phối hợp": the second header row names the columns.
    document = docx.Document()
    document.add_paragraph("Số: 9/TB-UBND")
    document.add_paragraph("Đồi Chè, ngày 02 tháng 3 năm 2017")
    table = document.add_table(rows=4, cols=5)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "TT"
    table.cell(0, 1).merge(table.cell(1, 1)).text = "Nội dung"
    table.cell(0, 2).merge(table.cell(0, 3)).text = "Đơn vị thực hiện"
    table.cell(1, 2).text = "Chủ trì"
    table.cell(1, 3).text = "Phối hợp"
    table.cell(0, 4).merge(table.cell(1, 4)).text = "Thời gian"
    rows = [
        ("1", "Báo cáo kết quả kiểm kê kho lưu trữ", "Phòng Nội vụ", "Phòng Tư pháp", "31/3/2017"),
        ("2", "HĐND các xã giám sát việc niêm yết thủ tục", "Phòng Tư pháp", "", "Quý II/2017"),
    ]
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            table.cell(index, column).text = value
    document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "tb9.docx")
    assert "TT\tNội dung\tChủ trì\tPhối hợp\tThời gian" in text.split("\n")
    assert _tasks(text) == [
        (
            "Phòng Nội vụ",
            ["Phòng Tư pháp"],
            "2017-03-31",
            False,
            "Báo cáo kết quả kiểm kê kho lưu trữ",
        ),
        (
            "Phòng Tư pháp",
            [],
            "2017-06-30",
            False,
            "HĐND các xã giám sát việc niêm yết thủ tục",
        ),
    ]
    source = read_notice(text).tasks[1].source
    assert "chủ trì HĐND các xã giám sát" in source


def test_a_table_without_task_columns_reads_cell_by_cell() -> None:
    # Directives written out in a table whose header names no lead column: each cell reads as a
    # line of its own, so a directive is read from its sentence and the other cells stay apart.
    document = docx.Document()
    document.add_paragraph("Số: 11/TB-UBND")
    document.add_paragraph("Đồi Chè, ngày 02 tháng 3 năm 2017")
    table = document.add_table(rows=3, cols=3)
    for column, name in enumerate(["TT", "Ý kiến kết luận", "Ghi chú"]):
        table.cell(0, column).text = name
    table.cell(1, 0).text = "1"
    table.cell(1, 1).text = (
        "Giao Phòng Tư pháp chủ trì rà soát quy trình chứng thực bản sao, hoàn thành trước ngày "
        "30/6/2017."
    )
    table.cell(1, 2).text = "Việc mới"
    table.cell(2, 0).text = "2"
    table.cell(2, 1).text = "Giao Phòng Nội vụ bố trí phòng lưu trữ tạm thời trong tháng 4/2017."
    table.cell(2, 2).text = "Tiếp tục"
    document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "tb11.docx")
    assert "2\tGiao Phòng Nội vụ bố trí phòng lưu trữ tạm thời trong tháng 4/2017.\tTiếp tục" in (
        text.split("\n")
    )
    assert _tasks(text) == [
        (
            "Phòng Tư pháp",
            [],
            "2017-06-30",
            False,
            "Rà soát quy trình chứng thực bản sao",
        ),
        ("Phòng Nội vụ", [], "2017-04-30", False, "Bố trí phòng lưu trữ tạm thời"),
    ]


def test_a_broken_merge_still_gives_the_tables_text() -> None:
    # A first-row cell that says it continues the cell above (there is none): python-docx cannot
    # follow it, and the table's paragraphs are read in order instead of failing the upload.
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for row in range(2):
        for column in range(3):
            table.cell(row, column).text = f"ô {row}{column}"
    merge = OxmlElement("w:vMerge")
    merge.set(qn("w:val"), "continue")
    table.rows[0].cells[1]._tc.get_or_add_tcPr().append(merge)
    document.add_paragraph("Cuối")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "hong.docx")
    assert text.split("\n") == ["ô 00", "ô 01", "ô 02", "ô 10", "ô 11", "ô 12", "Cuối"]


def test_a_unit_cell_that_names_the_roles() -> None:
    document = docx.Document()
    document.add_paragraph("Số: 13/TB-UBND")
    document.add_paragraph("Đồi Chè, ngày 02 tháng 3 năm 2017")
    table = document.add_table(rows=2, cols=4)
    for column, name in enumerate(["STT", "Nhiệm vụ", "Đơn vị thực hiện", "Tiến độ"]):
        table.cell(0, column).text = name
    for column, value in enumerate(
        ["1", "Kiểm kê tài sản công", "Phòng Tài chính - Kế hoạch (chủ trì)", "Quý II/2017"]
    ):
        table.cell(1, column).text = value
    table.cell(1, 2).add_paragraph("Phòng Nội vụ (phối hợp)")
    document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_notice_bytes(buffer.getvalue(), "tb13.docx")
    assert _tasks(text) == [
        (
            "Phòng Tài chính - Kế hoạch",
            ["Phòng Nội vụ"],
            "2017-06-30",
            False,
            "Kiểm kê tài sản công",
        )
    ]
