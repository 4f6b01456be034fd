"""Excel, Word and CSV files, reopened with the libraries that read them; the command line."""

from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from tracker.cli import main as tracker_cli
from tracker.extensions import db
from tracker.reports.exports import NO_TASKS, SUMMARY_COLUMNS, TASK_COLUMNS, TITLE


def _xlsx(response) -> openpyxl.Workbook:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_xlsx_cell_by_cell(login, data, caplog) -> None:
    caplog.set_level(logging.INFO, logger="tracker.security")
    response = login(data.office).get("/reports/export.xlsx?period=2017-Q2")
    assert response.headers["Content-Disposition"].endswith('"bao-cao-nhiem-vu-2017-Q2.xlsx"')
    book = _xlsx(response)
    assert book.sheetnames == ["Nhiệm vụ", "Tổng hợp theo đơn vị"]
    sheet = book["Nhiệm vụ"]
    assert sheet["A1"].value == TITLE.upper()
    assert "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "Kỳ báo cáo: Quý II năm 2017 (từ 01/04/2017 đến 30/06/2017)"
    assert sheet["A3"].value == "Số liệu tính đến ngày 10/04/2017."
    assert tuple(c.value for c in sheet[5]) == TASK_COLUMNS
    assert sheet.freeze_panes == "A6"
    assert sheet.column_dimensions["B"].width == 60
    # Tasks of M1 by id, then M2: 1 2 3 4 5 6 7 12 13 15 14.
    order = [1, 2, 3, 4, 5, 6, 7, 12, 13, 15, 14]
    contents = [sheet.cell(row=r, column=2).value for r in range(6, 6 + len(order))]
    assert contents == [data.tasks[n].content for n in order]
    assert sheet.cell(row=6 + len(order), column=2).value is None
    first = [c.value for c in sheet[6]]
    assert first == [
        1,
        data.tasks[1].content,
        "45/TB-UBND ngày 22/03/2017",
        "Phòng Nội vụ",
        "Phòng Tư pháp",
        datetime(2017, 4, 5),
        "Hoàn thành đúng hạn",
        "Hoàn thành ngày 04/04/2017.",
    ]
    assert sheet["F6"].is_date and sheet["F6"].number_format == "DD/MM/YYYY"
    row_of = {n: 6 + i for i, n in enumerate(order)}
    assert sheet.cell(row=row_of[2], column=7).value == "Hoàn thành quá hạn"
    assert sheet.cell(row=row_of[3], column=7).value == "Chưa hoàn thành quá hạn"
    assert sheet.cell(row=row_of[3], column=8).value == "Quá hạn 4 ngày."
    assert sheet.cell(row=row_of[4], column=7).value == "Chưa hoàn thành trong hạn"
    assert sheet.cell(row=row_of[7], column=7).value == "Chưa hoàn thành quá hạn (chờ xác nhận)"
    assert sheet.cell(row=row_of[12], column=8).value == (
        "Hoàn thành ngày 08/04/2017.\nĐã gia hạn 1 lần, thời hạn ban đầu 31/03/2017."
    )
    assert sheet.cell(row=row_of[14], column=3).value == "Họp bàn kế hoạch quý II (03/04/2017)"
    assert sheet.cell(row=row_of[14], column=5).value == "Phòng Nội vụ"

    summary = book["Tổng hợp theo đơn vị"]
    assert tuple(c.value for c in summary[5]) == SUMMARY_COLUMNS
    assert summary.freeze_panes == "A6"
    assert [c.value for c in summary[6]] == [1, "Phòng Nội vụ", 8, 6, 2, 1, 1, 2, 1, 50.0, 33.3]
    assert [c.value for c in summary[7]] == [
        2,
        "Phòng Tài chính - Kế hoạch",
        3,
        2,
        1,
        0,
        0,
        1,
        1,
        50.0,
        50.0,
    ]
    assert [c.value for c in summary[8]] == [None, "Tổng cộng", 11, 8, 3, 1, 1, 3, 2, 50.0, 37.5]
    assert any("report export format=xlsx" in r.getMessage() for r in caplog.records)


def test_xlsx_follows_the_screen_filters(login, data) -> None:
    book = _xlsx(login(data.office).get(f"/reports/export.xlsx?period=2017-Q2&unit={data.b.id}"))
    sheet = book["Nhiệm vụ"]
    assert [sheet.cell(row=r, column=4).value for r in (6, 7, 8)] == [
        "Phòng Tài chính - Kế hoạch"
    ] * 3
    assert "đơn vị chủ trì: Phòng Tài chính - Kế hoạch" in sheet["A3"].value
    # A unit member's download is its own unit's, whatever it asks for.
    book = _xlsx(login(data.b_user).get("/reports/export.xlsx?period=2017-Q2"))
    assert book["Tổng hợp theo đơn vị"]["B6"].value == "Phòng Tài chính - Kế hoạch"


def test_empty_period_files_are_valid_with_a_no_tasks_row(login, data) -> None:
    client = login(data.office)
    book = _xlsx(client.get("/reports/export.xlsx?period=2016-Q1"))
    assert book["Nhiệm vụ"]["B6"].value == NO_TASKS
    summary = book["Tổng hợp theo đơn vị"]
    assert summary["B6"].value == NO_TASKS and summary["B7"].value == "Tổng cộng"
    document = docx.Document(io.BytesIO(client.get("/reports/export.docx?period=2016-Q1").data))
    assert NO_TASKS in [c.text for c in document.tables[1].columns[1].cells]
    text = client.get("/reports/export.csv?period=2016-Q1").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][1] == NO_TASKS


def test_docx_report(login, data) -> None:
    response = login(data.chair).get("/reports/export.docx?period=2017-Q2")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    paragraphs = [p.text for p in document.paragraphs]
    assert TITLE in paragraphs
    assert "Kỳ báo cáo: Quý II năm 2017 (từ 01/04/2017 đến 30/06/2017)" in paragraphs
    heading = document.tables[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in heading.cell(0, 1).text
    assert "ngày 10 tháng 04 năm 2017" in heading.cell(1, 1).text
    summary = document.tables[1]
    assert [c.text for c in summary.rows[0].cells] == list(SUMMARY_COLUMNS)
    assert [c.text for c in summary.rows[1].cells] == [
        "1",
        "Phòng Nội vụ",
        "8",
        "6",
        "2",
        "1",
        "1",
        "2",
        "1",
        "50,0",
        "33,3",
    ]
    assert [c.text for c in summary.rows[-1].cells][1:4] == ["Tổng cộng", "11", "8"]
    # Overdue tasks, per unit, oldest first.
    start = paragraphs.index("II. CÁC NHIỆM VỤ CHƯA HOÀN THÀNH QUÁ HẠN")
    section = paragraphs[start + 1 : paragraphs.index("III. ĐỀ XUẤT, KIẾN NGHỊ")]
    assert section[0] == "1. Phòng Nội vụ (2 nhiệm vụ)"
    assert section[1].startswith(f"- {data.tasks[7].content} (45/TB-UBND ngày 22/03/2017;")
    assert section[1].endswith("thời hạn 03/04/2017; quá hạn 7 ngày).")
    assert section[2].startswith(f"- {data.tasks[3].content}")
    assert section[3] == "2. Phòng Tài chính - Kế hoạch (1 nhiệm vụ)"
    assert "CHỦ TỊCH" in document.tables[2].cell(0, 1).text


def test_csv_is_utf8_with_bom(login, data) -> None:
    response = login(data.office).get("/reports/export.csv?period=2017-Q2")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == TASK_COLUMNS
    assert rows[1][:6] == [
        "1",
        data.tasks[1].content,
        "45/TB-UBND ngày 22/03/2017",
        "Phòng Nội vụ",
        "Phòng Tư pháp",
        "05/04/2017",
    ]
    assert len(rows) == 12


def test_command_line_report(app, data, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "q2.xlsx"
    result = runner.invoke(
        tracker_cli, ["report", "--period", "2017-Q2", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book["Tổng hợp theo đơn vị"]["C8"].value == 11
    out = tmp_path / "b.docx"
    result = runner.invoke(
        tracker_cli,
        [
            "report",
            "--period",
            "2017-06",
            "--format",
            "docx",
            "--out",
            str(out),
            "--unit",
            str(data.b.id),
        ],
    )
    assert result.exit_code == 0, result.output
    assert TITLE in [p.text for p in docx.Document(str(out)).paragraphs]
    out = tmp_path / "m.csv"
    result = runner.invoke(
        tracker_cli,
        [
            "report",
            "--period",
            "2017",
            "--format",
            "csv",
            "--out",
            str(out),
            "--meeting",
            str(data.m2.id),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2017-Q5"], "Quý 5 không tồn tại"),
        (["--period", "2017-13"], "Tháng 13 không tồn tại"),
        (["--period", "2017-H3"], "H1 và H2"),
        (["--period", "quý 2"], "không hợp lệ"),
        (["--from", "2017-06-30", "--to", "2017-04-01"], "phải sau"),
        (["--period", "2017-Q2", "--unit", "9999"], "Không tìm thấy đơn vị"),
        (["--period", "2017-Q2", "--meeting", "9999"], "Không tìm thấy cuộc họp"),
        ([], "Give --period"),
    ],
)
def test_command_line_bad_input(app, data, tmp_path: Path, args, message) -> None:
    out = tmp_path / "x.xlsx"
    result = app.test_cli_runner().invoke(
        tracker_cli, ["report", *args, "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed here")
@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_libreoffice_converts_the_files(login, data, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"report.{fmt}"
    source.write_bytes(login(data.office).get(f"/reports/export.{fmt}?period=2017-Q2").data)
    result = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "report.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_csv_keeps_typed_text_as_text(login, data) -> None:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is written with a leading
    apostrophe; other text, numbers and dates are written as they are."""
    data.tasks[1].content = '=HYPERLINK("http://example.com","Bấm vào đây")'
    data.tasks[2].content = "- Xây dựng kế hoạch"
    data.tasks[3].content = "@SUM(1+1)"
    db.session.commit()
    response = login(data.office).get("/reports/export.csv?period=2017-Q2")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    contents = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://example.com","Bấm vào đây")' in contents
    assert "'- Xây dựng kế hoạch" in contents
    assert "'@SUM(1+1)" in contents
    assert data.tasks[4].content in contents
    assert not [c for c in contents if c[:1] in "=+-@"]
    assert rows[1][0] == "1" and rows[1][5] == "05/04/2017"
