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
from tracker.units.models import Unit, UnitAlias, UnitKind

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


def test_a_paste_over_the_readers_cap_is_refused_before_reading(login, world) -> None:
    client = login(world.office)
    text = NOTICE + "x" * 200_000
    response = _read(client, world.meeting.id, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again, with the message and the text
    assert "tối đa 200.000 ký tự" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeDraft)) == 0


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


def _fieldset(page: str, index: int) -> str:
    start = page.index(f'id="row-{index}"')
    end = page.find("</fieldset>", start)
    return page[start:end]


def test_doubtful_fields_are_marked_and_counted(login, world, monkeypatch) -> None:
    """Field confidences (the reader's, when it gives them) mark the rows to check first."""
    from tracker.notices import operations

    real = operations.read_notice

    def reader_with_field_confidence(*args, **kwargs):  # type: ignore[no-untyped-def]
        reading = real(*args, **kwargs)
        for number, proposal in enumerate(reading.tasks):
            sure = {"lead": 0.95, "coordinating": 0.95, "task": 0.9, "deadline": 0.95}
            if number == 1:
                sure["lead"] = 0.4
            if number == 2:
                sure["deadline"] = 0.5
            proposal.field_confidence = sure
        reading.warnings.append("Văn bản có đoạn khó đọc: hãy kiểm tra kỹ.")
        return reading

    monkeypatch.setattr(operations, "read_notice", reader_with_field_confidence)
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    assert draft.rows[1]["field_confidence"]["lead"] == 0.4
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert "Văn bản có đoạn khó đọc" in page
    summary = page[page.index('id="summary-title"') : page.index('class="review')]
    # Rows 2 and 3 by the reader's doubt, row 3 ("Phòng Văn hóa Thông tin") also unmatched.
    assert 'href="#row-1"' in summary and 'href="#row-2"' in summary
    assert 'href="#row-0"' not in summary
    assert "cần kiểm tra" not in _fieldset(page, 0)
    second = _fieldset(page, 1)
    assert "cần kiểm tra" in second and "không chắc chắn về đơn vị chủ trì (40%)" in second
    assert "không chắc chắn về thời hạn (50%)" in _fieldset(page, 2)


def test_without_field_confidence_the_overall_confidence_marks_the_row(login, world) -> None:
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    rows = [dict(r) for r in draft.rows]
    for row in rows:
        row.pop("field_confidence", None)  # a draft saved before field confidences
    rows[0]["confidence"] = 0.55
    draft.rows = rows
    db.session.commit()
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert "không chắc chắn về dòng này (55%)" in _fieldset(page, 0)


def test_error_banner_names_every_row_and_focuses_the_first(login, world) -> None:
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    form = _form_from(draft, **{"row-0-lead": "", "row-2-deadline": "31/02/2017"})
    form["action"] = "confirm"
    page = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).get_data(
        as_text=True
    )
    banner = page[page.index('id="review-errors"') : page.index('id="summary-title"')]
    assert 'href="#row-0-lead"' in banner and "Nhiệm vụ 1 — Đơn vị chủ trì" in banner
    assert 'href="#row-2-deadline"' in banner and "Nhiệm vụ 3 — Thời hạn" in banner
    assert banner.index("row-0-lead") < banner.index("row-2-deadline")
    assert page.count(" autofocus") == 1
    assert 'id="row-0-lead" name="row-0-lead" aria-invalid="true"' in page
    assert " autofocus>" in page[page.index('id="row-0-lead"') :][:400]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_no_deadline_is_said_once_per_row(login, world) -> None:
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    for index, row in enumerate(draft.rows):
        expected = 0 if row["deadline"] or row["recurring"] else 1
        assert _fieldset(page, index).count("Không thời hạn") == expected


SPORTS = "Trung tâm Văn hóa - Thể thao huyện"
SPORTS_NOTICE = NOTICE + (
    f"\n5. Giao {SPORTS} chủ trì, phối hợp với Phòng Nội vụ tổ chức giải bóng đá thanh niên; "
    "hoàn thành trong tháng 6/2017.\n"
)


def test_clerk_adds_a_missing_unit_and_the_draft_matches_it(login, world) -> None:
    client = login(world.office)
    _read(client, world.meeting.id, SPORTS_NOTICE)
    draft = db.session.scalar(sa.select(NoticeDraft))
    row = next(i for i, r in enumerate(draft.rows) if r["lead_name"] == SPORTS)
    assert draft.rows[row]["lead_unit_id"] is None
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert f"“{SPORTS}” chưa có trong danh mục đơn vị" in _fieldset(page, row)
    assert 'href="#add-unit"' in page

    # Bad input keeps what was typed and adds nothing; the rows' edits are kept all the same.
    form = _form_from(draft, **{"row-0-task": "Nội dung sửa trước khi thêm đơn vị"})
    form.update(
        {"action": "add_unit", "unit-name": "  ", "unit-short-name": "HĐ", "unit-kind": "other"}
    )
    page = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).get_data(
        as_text=True
    )
    assert "Vui lòng nhập tên đơn vị" in page and 'value="HĐ"' in page
    form.update({"unit-name": "Phòng Nội vụ"})
    page = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).get_data(
        as_text=True
    )
    assert "Đã có đơn vị tên này" in page
    assert db.session.scalar(sa.select(Unit).where(Unit.name == SPORTS)) is None

    form.update({"unit-name": SPORTS, "unit-short-name": ""})
    response = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == SPORTS))
    assert unit is not None and unit.kind == "other"
    draft = db.session.get(NoticeDraft, draft.id)
    assert draft.rows[row]["lead_unit_id"] == unit.id
    assert draft.rows[0]["task"] == "Nội dung sửa trước khi thêm đơn vị"
    page = client.get(f"/meetings/{world.meeting.id}/notice/review").get_data(as_text=True)
    assert f"Đã thêm đơn vị {SPORTS}" in page
    assert "chưa có trong danh mục" not in _fieldset(page, row)

    form = _form_from(draft, action="confirm")
    for i, r in enumerate(draft.rows):
        if not r["lead_unit_id"]:  # the unmatched culture office, the communes (none here)
            form[f"row-{i}-keep"] = ""
    assert client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).status_code == 302
    task = db.session.scalar(sa.select(Task).where(Task.lead_unit_id == unit.id))
    assert task is not None and task.deadline == date(2017, 6, 30)
    # Matched by the machine: no alias is learned.
    assert db.session.scalar(sa.select(UnitAlias).where(UnitAlias.unit_id == unit.id)) is None


def test_unit_members_cannot_add_units_from_a_review(login, world) -> None:
    response = login(world.lead_user).post(
        f"/meetings/{world.meeting.id}/notice/review",
        data={"action": "add_unit", "unit-name": "Huyện đoàn", "unit-kind": "other"},
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(Unit).where(Unit.name == "Huyện đoàn")) is None


def test_a_misread_span_is_never_learned_as_an_alias(login, world) -> None:
    """The reader read "Huyện đoàn chủ trì" as a unit name: picking Huyện đoàn for it must not
    teach the directory that name; a real other name picked by hand is learned as written."""
    doan = make_unit("Huyện đoàn", kind=UnitKind.OTHER)
    db.session.commit()
    client = login(world.office)
    text = (
        NOTICE
        + "\n5. Giao Huyện đoàn chủ trì tổ chức ra quân tình nguyện hè trước ngày 30/6/2017."
        + "\n6. Giao Đoàn Thanh niên huyện tổ chức hội trại trước ngày 26/3/2017.\n"
    )
    _read(client, world.meeting.id, text)
    draft = db.session.scalar(sa.select(NoticeDraft))
    rows = [dict(r) for r in draft.rows[:2]]
    rows[0].update(lead_name="Huyện đoàn chủ trì", lead_unit_id=None, auto_lead_unit_id=None)
    rows[1].update(lead_name="Đoàn Thanh niên huyện", lead_unit_id=None, auto_lead_unit_id=None)
    draft.rows = rows
    db.session.commit()
    form = _form_from(draft, action="confirm")
    form["row-0-lead"] = form["row-1-lead"] = str(doan.id)
    assert client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).status_code == 302
    aliases = db.session.scalars(sa.select(UnitAlias.alias).where(UnitAlias.unit_id == doan.id))
    assert list(aliases) == ["Đoàn Thanh niên huyện"]


def test_alias_rules() -> None:
    from tracker.notices.operations import alias_to_learn
    from tracker.units.models import Unit as UnitModel

    unit = UnitModel(name="Huyện đoàn", short_name="HĐ")
    text = (
        "Giao Huyện đoàn chủ trì, phối hợp Phòng Nội vụ ... Đoàn TN huyện thực hiện ... "
        "Giám đốc Sở Y tế chỉ đạo ..."
    )

    def row(name: str, auto: int | None = None, picked: int = 7) -> dict[str, object]:
        return {"lead_name": name, "lead_unit_id": picked, "auto_lead_unit_id": auto}

    assert alias_to_learn(row("Huyện đoàn chủ trì"), unit, text) is None  # the unit's own name
    assert alias_to_learn(row("Đoàn TN huyện thực hiện"), unit, text) == "Đoàn TN huyện"
    assert alias_to_learn(row("Đoàn TN huyện", auto=7), unit, text) is None  # matched by machine
    assert alias_to_learn(row("Đoàn TN huyện", auto=3), unit, text) == "Đoàn TN huyện"
    assert alias_to_learn(row("Huyện đoàn chủ trì, phối hợp Phòng Nội vụ"), unit, text) is None
    assert alias_to_learn(row("Sở Y tế huyện"), unit, text) is None  # not written so
    assert alias_to_learn(row("giao HĐ"), unit, text) is None  # the short name
    assert alias_to_learn(row("Đoàn TN huyện", picked=0), unit, text) is None


def test_doubtful_scan_words_and_far_deadlines_are_checked(login, world) -> None:
    """A scan's low-confidence words in a row, and a year misread into a far deadline, send
    the clerk to the page image; a doubtful "hố" does not flag a row that says "Hồ"."""
    from tracker.notices import operations
    from tracker.notices.ocr import PageImage

    text = NOTICE.replace("trước ngày 20/4/2017", "trước ngày 20/4/2022")
    page = PageImage(1, b"\xff\xd8\xff", 10, 14, 0, text, 0.9, 1.0, ["Tư", "hố", "2022."])
    draft = operations.read_into_draft(
        world.meeting, actor=world.office, text=text, pages=[page], source_kind="scan"
    )
    db.session.commit()
    checks = operations.review_checks(draft)
    reasons = {i: " | ".join(c.reason for c in checks.get(i, [])) for i in range(len(draft.rows))}
    assert "cách xa ngày ban hành" in reasons[0] and "“2022.”" in reasons[0]
    tuphap = next(i for i, r in enumerate(draft.rows) if r["lead_name"] == "Phòng Tư pháp")
    assert "“Tư”" in reasons[tuphap]
    assert all("“hố”" not in reason for reason in reasons.values())
    screen = login(world.office).get(f"/meetings/{world.meeting.id}/notice/review")
    html = screen.get_data(as_text=True)
    assert "Văn bản nhận dạng" in html and "đối chiếu với ảnh" in _fieldset(html, 0)


def test_an_emptied_task_text_is_named_and_focused(login, world) -> None:
    """create_task says "content"; the banner says "Nội dung" and sends the focus to the box."""
    client = login(world.office)
    _read(client, world.meeting.id)
    draft = db.session.scalar(sa.select(NoticeDraft))
    form = _form_from(draft, **{"row-1-task": "  ", "action": "confirm"})
    for i in range(2, len(draft.rows)):
        form[f"row-{i}-keep"] = ""  # the unmatched culture office, the communes (none here)
    page = client.post(f"/meetings/{world.meeting.id}/notice/review", data=form).get_data(
        as_text=True
    )
    banner = page[page.index('id="review-errors"') : page.index('id="summary-title"')]
    assert 'href="#row-1-task"' in banner and "Nhiệm vụ 2 — Nội dung" in banner
    assert "content" not in banner
    assert page.count(" autofocus") == 1
    assert 'id="row-1-task" name="row-1-task" rows="3" aria-invalid="true"' in page
    assert 'id="row-1-task-error"' in page
    # The form posts to the page without a #fragment, so autofocus is honoured after a link
    # of the banner was followed.
    assert f'action="/meetings/{world.meeting.id}/notice/review"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1
