"""Report files keep the official forms' Vietnamese when the user reads the pages in English
(an English page gave "Kỳ báo cáo: Quarter II, 2017" and "Open, not yet due" in the file)."""

from __future__ import annotations

import io

import docx
import openpyxl

from tracker.extensions import db


def test_an_english_user_gets_the_vietnamese_forms(login, world) -> None:
    world.chair.locale = "en"
    db.session.commit()
    client = login(world.chair)
    assert "Quarter II" in client.get("/reports/?period=2017-Q2").get_data(as_text=True)

    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/reports/export.xlsx?period=2017-Q2").data)
    )["Nhiệm vụ"]
    assert sheet["A2"].value == "Kỳ báo cáo: Quý II năm 2017 (từ 01/04/2017 đến 30/06/2017)"
    assert sheet["G6"].value == "Chưa hoàn thành trong hạn"

    document = docx.Document(io.BytesIO(client.get("/reports/export.docx?period=2017-Q2").data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Kỳ báo cáo: Quý II năm 2017" in text and "Quarter" not in text

    csv_text = client.get("/reports/export.csv?period=2017-Q2").data.decode("utf-8-sig")
    assert "Chưa hoàn thành trong hạn" in csv_text and "not yet due" not in csv_text
