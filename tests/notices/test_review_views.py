"""The office reads a notice, reviews the proposals and confirms them into tasks."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from docx import Document

from tests.factories import make_unit
from tracker.extensions import db
from tracker.notices.models import NoticeDraft
from tracker.tasks.models import Task
from tracker.units.models import UnitAlias, UnitKind

NOTICE = """ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 45/TB-UBND
Vân Hồ, ngày 05 tháng 4 năm 2017

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện tại Hội nghị cải cách hành chính

1. Giao Phòng Nội vụ chủ trì, phối hợp với Phòng Tài chính - Kế hoạch xây dựng kế hoạch \
khắc phục hạn chế trong công tác cải cách hành chính, trình UBND huyện trước ngày 20/4/2017.

2. Giao Phòng Tư pháp rà soát, công khai thủ tục hành chính tại bộ phận một cửa; hoàn thành \
trong tháng 5/2017.

3. Giao Phòng Văn hóa Thông tin tuyên truyền về cải cách hành chính, thực hiện thường xuyên.

4. Yêu cầu UBND các xã bố trí cán bộ làm công tác cải cách hành chính trước ngày 30/4/2017.
"""


def _read(client, meeting_id: int, text: str = NOTICE):  # type: ignore[no-untyped-def]
    return client.post(f"/meetings/{meeting_id}/notice/", data={"notice_text": text})


def _form_from(draft: NoticeDraft, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {"row_count": str(len(draft.rows))}
    for i, row in enumerate(draft.rows):
        data[f"row-{i}-keep"] = "1"
        data[f"row-{i}-task"] = row["task"]
        lead = row["lead_unit_id"] or (f"group:{row['lead_group']}" if row["lead_group"] else "")
        data[f"row-{i}-lead"] = str(lead)
        data[f"row-{i}-coordinating"] = ", ".join(c["name"] for c in row["coordinating"])
        data[f"row-{i}-deadline"] = row["deadline"] or ""
        if row["recurring"]:
            data[f"row-{i}-recurring"] = "1"
    data.update(changes)
    return data


def test_read_review_confirm(login, world) -> None:
    communes = [make_unit(f"UBND xã {n}", kind=UnitKind.COMMUNE) for n in ("Vân Hồ", "Tô Múa")]
    db.session.commit()
    client = login(world.office)
    response = _read(client, world.meeting.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    draft = db.session.scalar(sa.select(NoticeDraft))
    leads = [r["lead_name"] for r in draft.rows]
    assert leads[:2] == ["Phòng Nội vụ", "Phòng Tư pháp"]
    assert draft.rows[0]["lead_unit_id"] == world.noivu.id
    assert draft.rows[0]["coordinating"][0]["unit_id"] == world.taichinh.id
    assert draft.rows[0]["deadline"] == "2017-04-20"
    assert draft.rows[1]["deadline"] == "2017-05-31"
    # Nothing is created before confirmation.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert '<mark id="src-0"' in page and "Phòng Văn hóa Thông tin" in page

    vanhoa_row = leads.index("Phòng Văn hóa Thông tin")
    commune_row = next(i for i, r in enumerate(draft.rows) if r["lead_group"] == "communes")
    vanhoa = make_unit("Phòng Văn hóa và Thông tin")
    db.session.commit()
    form = _form_from(draft)
    form[f"row-{vanhoa_row}-lead"] = str(vanhoa.id)  # map the unmatched name by hand
    form["row-1-deadline"] = "2017-05-25"  # the clerk corrects a deadline
    form["action"] = "confirm"
    response = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    tasks = db.session.scalars(sa.select(Task).order_by(Task.id)).all()
    by_lead = {t.lead_unit.name: t for t in tasks[1:]}
    assert by_lead["Phòng Nội vụ"].deadline == date(2017, 4, 20)
    assert [u.name for u in by_lead["Phòng Nội vụ"].coordinating_units] == [
        "Phòng Tài chính - Kế hoạch"
    ]
    assert "trước ngày 20/4/2017" in by_lead["Phòng Nội vụ"].source_text
    assert by_lead["Phòng Tư pháp"].deadline == date(2017, 5, 25)
    assert by_lead["Phòng Văn hóa và Thông tin"].is_recurring
    # "UBND các xã" became one task per commune.
    assert {c.name for c in communes} <= set(by_lead)
    assert draft.rows[commune_row]["lead_group"] == "communes"
    # The hand mapping is remembered.
    alias = db.session.scalar(sa.select(UnitAlias).where(UnitAlias.unit_id == vanhoa.id))
    assert alias.alias == "Phòng Văn hóa Thông tin"
    assert db.session.get(NoticeDraft, draft.id).status == "confirmed"


def test_draft_survives_and_errors_keep_edits(login, world) -> None:
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    form = _form_from(draft, **{"row-0-task": "Nội dung đã sửa bởi văn phòng", "action": "save"})
    client.post(f"/meetings/{world.meeting.id}/notice/review", data=form)
    db.session.expire_all()
    assert db.session.get(NoticeDraft, draft.id).rows[0]["task"] == "Nội dung đã sửa bởi văn phòng"
    # A row without a lead unit blocks confirmation, names the row, creates nothing.
    form = _form_from(draft, **{"row-0-lead": "", "action": "confirm"})
    form["row-0-task"] = "Nội dung đã sửa bởi văn phòng"
    page = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).get_data(
        as_text=True
    )
    assert "Chưa xác định đơn vị chủ trì" in page
    assert "Nội dung đã sửa bởi văn phòng" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_upload_docx_and_bad_files(login, world) -> None:
    client = login(world.office)
    document = Document()
    for paragraph in NOTICE.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    response = client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(buffer.getvalue()), "tb45.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(b"PK\x03\x04junk"), "fake.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    response = _read(client, world.meeting.id, "Hội nghị diễn ra tốt đẹp.")
    assert "Không tìm thấy chỉ đạo nào" in response.get_data(as_text=True)


def test_units_cannot_read_notices(login, world) -> None:
    assert login(world.lead_user).get(f"/meetings/{world.meeting.id}/notice/").status_code == 403


def test_reader_messages_in_english(login, world) -> None:
    client = login(world.office)
    client.post("/language/en")
    response = client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(b"not a pdf at all"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert "The file is not a PDF" in response.get_data(as_text=True)
