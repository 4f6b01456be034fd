"""A scanned notice end to end through the review screen: upload a photo or a PDF without a
text layer, see the page beside the recognised text, confirm, and the tasks exist."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.factories import make_meeting
from tests.notices.scanning import find_font, image_bytes, image_pdf, render_pages
from tracker.extensions import db
from tracker.notices import ocr
from tracker.notices.models import NoticeDraft, NoticeDraftPage
from tracker.tasks.models import Task

pytestmark = pytest.mark.skipif(
    not ocr.ocr_available(),
    reason="Tesseract with Vietnamese is not installed (apt-get install tesseract-ocr-vie)",
)

NOTICE = """ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 52/TB-UBND
Vân Hồ, ngày 06 tháng 4 năm 2017

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện tại cuộc họp giao ban tháng 4

1. Giao Phòng Nội vụ chủ trì, phối hợp với Phòng Tư pháp rà soát quy chế làm việc của \
UBND huyện, báo cáo UBND huyện trước ngày 28/4/2017.

2. Giao Phòng Tài chính - Kế hoạch lập dự toán kinh phí sửa chữa trụ sở làm việc; hoàn \
thành trước ngày 15/5/2017.

3. Giao Phòng Tư pháp phổ biến Luật Tiếp cận thông tin đến cán bộ các xã trong tháng 5/2017.
"""
EXPECTED = {
    "Phòng Nội vụ": date(2017, 4, 28),
    "Phòng Tài chính - Kế hoạch": date(2017, 5, 15),
    "Phòng Tư pháp": date(2017, 5, 31),
}


@pytest.fixture
def font() -> Path:
    """A font that draws Vietnamese, or the test is skipped with the package to install."""
    found = find_font()
    if found is None:
        pytest.skip("no Vietnamese-capable font (apt-get install fonts-dejavu-core)")
    return found


@pytest.fixture(autouse=True)
def _time_for_a_loaded_machine(app) -> None:  # type: ignore[no-untyped-def]
    app.config["TRACKER_OCR_SECONDS"] = 600.0


def _upload(client, meeting_id: int, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/meetings/{meeting_id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _confirm_all(client, meeting_id: int, draft: NoticeDraft):  # type: ignore[no-untyped-def]
    form: dict[str, str] = {"row_count": str(len(draft.rows)), "action": "confirm"}
    for i, row in enumerate(draft.rows):
        form[f"row-{i}-keep"] = "1"
        form[f"row-{i}-task"] = row["task"]
        form[f"row-{i}-lead"] = str(row["lead_unit_id"] or "")
        form[f"row-{i}-coordinating"] = ", ".join(c["name"] for c in row["coordinating"])
        form[f"row-{i}-deadline"] = row["deadline"] or ""
    return client.post(f"/meetings/{meeting_id}/notice/review", data=form)


def _tasks_by_lead(meeting_id: int) -> dict[str, Task]:
    tasks = db.session.scalars(sa.select(Task).where(Task.meeting_id == meeting_id)).all()
    return {t.lead_unit.name: t for t in tasks}


def test_a_phone_photo_becomes_tasks(login, world, font: Path) -> None:
    client = login(world.office)
    page_image = render_pages(NOTICE, font, tilt=-2.0, quarter_turn=3, noise=0.003, blur=0.8)[0]
    response = _upload(client, world.meeting.id, image_bytes(page_image, "JPEG"), "anh-chup.jpg")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    draft = db.session.scalar(sa.select(NoticeDraft))
    assert draft.source_kind == "scan" and len(draft.pages) == 1
    assert draft.pages[0].rotation == 270

    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert "Văn bản nhận dạng" in page and "Ảnh bản scan" in page
    source = re.search(r'<img src="([^"]+/pages/1\.jpg)"', page)
    assert source is not None
    image = client.get(source.group(1))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(image.data)) as shown:
        assert shown.height > shown.width  # turned upright for the clerk
    # Units never see drafts; another meeting's address does not reach this draft.
    assert login(world.lead_user).get(source.group(1)).status_code == 403
    other = make_meeting(world.office, chair=world.chair)
    db.session.commit()
    wrong = source.group(1).replace(f"/meetings/{world.meeting.id}/", f"/meetings/{other.id}/")
    assert client.get(wrong).status_code == 404

    assert _confirm_all(client, world.meeting.id, draft).status_code == 302
    by_lead = _tasks_by_lead(world.meeting.id)
    for lead, deadline in EXPECTED.items():
        assert by_lead[lead].deadline == deadline, lead
    assert [u.name for u in by_lead["Phòng Nội vụ"].coordinating_units] == ["Phòng Tư pháp"]
    assert "quy chế làm việc" in by_lead["Phòng Nội vụ"].content


def test_a_scanned_pdf_of_two_pages_becomes_tasks(login, world, font: Path) -> None:
    client = login(world.office)
    meeting = make_meeting(world.office, chair=world.chair, notice_issued_on=date(2017, 4, 6))
    db.session.commit()
    pages = render_pages(NOTICE, font, pages=2, tilt=1.0, noise=0.003)
    response = _upload(client, meeting.id, image_pdf(pages), "ban-scan.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    draft = db.session.scalar(sa.select(NoticeDraft).where(NoticeDraft.meeting_id == meeting.id))
    assert [p.number for p in draft.pages] == [1, 2]
    page = client.get(f"/meetings/{meeting.id}/notice/review").get_data(as_text=True)
    assert page.count("/pages/") >= 2 and "Trang 2" in page
    assert _confirm_all(client, meeting.id, draft).status_code == 302
    by_lead = _tasks_by_lead(meeting.id)
    assert {lead: by_lead[lead].deadline for lead in EXPECTED} == EXPECTED
    # The pages stay with the draft until it is discarded with it.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeDraftPage)) == 2
