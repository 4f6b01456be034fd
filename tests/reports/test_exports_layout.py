"""The Excel export's layout and styles, pinned cell by cell: what the offices see when they
open the file (the values are in test_exports.py)."""

from __future__ import annotations

import io

import openpyxl

from tracker.extensions import db
from tracker.reports.exports import SUMMARY_WIDTHS, TASK_WIDTHS


def _export(login, data) -> bytes:  # type: ignore[no-untyped-def]
    response = login(data.office).get("/reports/export.xlsx?period=2017-Q2")
    assert response.status_code == 200
    return response.data


def test_xlsx_layout_and_styles(login, data) -> None:
    data.tasks[1].content = "  Rà soát & báo cáo <gấp>\r\ncác hồ sơ  "
    db.session.commit()
    body = _export(login, data)
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book["Nhiệm vụ"]

    for sheet_name, widths, last in (
        ("Nhiệm vụ", TASK_WIDTHS, "H"),
        ("Tổng hợp theo đơn vị", SUMMARY_WIDTHS, "K"),
    ):
        ws = book[sheet_name]
        assert [
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
            for i in range(1, len(widths) + 1)
        ] == list(widths)
        assert ws.freeze_panes == "A6"
        assert ws.print_title_rows == "$5:$5"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert {str(r) for r in ws.merged_cells.ranges} == {f"A{n}:{last}{n}" for n in (1, 2, 3)}
        assert ws.row_dimensions[1].height == 24
        assert ws["A1"].font.b and ws["A1"].font.sz == 14
        assert ws["A2"].font.i and ws["A2"].font.sz == 12
        assert ws["A3"].font.i and ws["A3"].font.sz == 11
        assert ws["A1"].alignment.horizontal == "center" and ws["A1"].alignment.wrap_text
        assert all(c.value is None for c in ws[4])
        for cell in ws[5]:
            assert cell.font.b
            assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == "00DDE6F0"
            assert cell.alignment.horizontal == "center" and cell.alignment.vertical == "center"
            assert cell.alignment.wrap_text
            assert cell.border.left.style == "thin" and cell.border.left.color.rgb == "00808080"
            assert cell.border.bottom.style == "thin"
        # Body cells: named styles with a thin border, wrapped at the top.
        for cell in ws[6]:
            assert cell.style.startswith("tracker-")
            assert cell.border.top.style == "thin" and cell.border.right.style == "thin"
            assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
            assert not cell.font.b

    # The first task: text as typed (escaped markup, spaces kept), its row tall enough.
    assert sheet["B6"].value == "  Rà soát & báo cáo <gấp>\r\ncác hồ sơ  "
    assert sheet["B6"].style == "tracker-text"
    assert sheet.row_dimensions[6].height == 30
    assert sheet["A6"].data_type == "n" and sheet["A6"].number_format == "General"
    assert sheet["F6"].style == "tracker-date" and sheet["F6"].number_format == "DD/MM/YYYY"
    assert sheet["H6"].style == "tracker-text"
    heights = [sheet.row_dimensions[r].height for r in range(7, sheet.max_row + 1)]
    assert heights and all(h is not None and h % 15 == 0 for h in heights)

    summary = book["Tổng hợp theo đơn vị"]
    assert summary["J6"].style == "tracker-rate" and summary["J6"].number_format == "0.0"
    assert summary["K6"].number_format == "0.0"
    assert summary["C6"].style == "tracker-text"
    total = summary[summary.max_row]
    assert total[1].value == "Tổng cộng"
    assert all(c.font.b and c.style.endswith("-bold") for c in total)
    assert total[9].number_format == "0.0"

    # Readers that trust the sheet's stated size (read-only openpyxl, pandas) see every row.
    read_only = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    assert read_only["Nhiệm vụ"].max_row == sheet.max_row
    assert read_only["Tổng hợp theo đơn vị"].max_row == summary.max_row
    assert book.properties.title and book.properties.creator == "tracker"


def test_xlsx_empty_period_layout(login, data) -> None:
    response = login(data.office).get("/reports/export.xlsx?period=2016-Q1")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Nhiệm vụ"]
    assert sheet.max_row == 6
    assert sheet["B6"].style == "tracker-text" and sheet["A6"].border.left.style == "thin"
    summary = book["Tổng hợp theo đơn vị"]
    assert [c.value for c in summary[7]][:3] == [None, "Tổng cộng", 0]
    assert summary["B7"].font.b


def test_xlsx_keeps_typed_text_as_text(login, data) -> None:
    """A task beginning with "=" is text, not a formula the spreadsheet would run; a control
    character pasted into a task is dropped instead of failing the whole export."""
    data.tasks[1].content = '=HYPERLINK("http://example.com","Bấm vào đây")'
    data.tasks[2].content = "Báo cáo\x07 kết quả\x1b"
    db.session.commit()
    book = openpyxl.load_workbook(io.BytesIO(_export(login, data)))
    sheet = book["Nhiệm vụ"]
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    typed = [c for c in cells if c.value.startswith("=HYPERLINK")]
    assert len(typed) == 1 and typed[0].data_type == "s"
    assert any(c.value == "Báo cáo kết quả" for c in cells)
