"""Attachments: type by content, size limit, random names, downloads only for those who see."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.tasks import sample_files
from tracker.extensions import db
from tracker.tasks.attachments import Upload, attach_files, detect_type
from tracker.tasks.models import TaskAttachment, TaskEvent
from tracker.tasks.operations import post_progress


def _stored(app) -> list[Path]:
    folder = Path(app.config["TRACKER_UPLOAD_DIR"])
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def _result(world, files):
    """The "Báo cáo hoàn thành" form with its result documents."""
    return {
        "result-note": "Đã hoàn thành, gửi kèm kế hoạch",
        "result-version": str(world.task.version),
        "result-files": files,
    }


def test_submission_with_result_files_round_trips(app, login, world) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/complete",
        data=_result(
            world,
            [
                (io.BytesIO(sample_files.docx_bytes("Kế hoạch số 12")), "Kế hoạch CCHC.docx"),
                (io.BytesIO(sample_files.xlsx_bytes("Biểu 01")), "Biểu số liệu.xlsx"),
                (io.BytesIO(sample_files.pdf_bytes()), "to-trinh.pdf"),
            ],
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    db.session.refresh(world.task)
    assert world.task.status == "submitted"
    rows = db.session.scalars(db.select(TaskAttachment).order_by(TaskAttachment.id)).all()
    assert [(r.original_name, r.content_type) for r in rows] == [
        (
            "Kế hoạch CCHC.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("Biểu số liệu.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("to-trinh.pdf", "application/pdf"),
    ]
    submission = db.session.scalars(db.select(TaskEvent).where(TaskEvent.kind == "progress")).one()
    assert all(r.event_id == submission.id for r in rows)
    # Stored under random names, none derived from what the user called the file.
    stored = _stored(app)
    assert sorted(p.name for p in stored) == sorted(r.stored_name for r in rows)
    assert all(len(p.name) == 32 and "." not in p.name for p in stored)
    assert [p.stat().st_size for p in sorted(stored, key=lambda p: p.name)] == [
        r.size for r in sorted(rows, key=lambda r: r.stored_name)
    ]

    # A coordinating unit sees the task, so it gets the files, as downloads.
    reader = login(world.coord_user)
    page = reader.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert "Kế hoạch CCHC.docx" in page and "Biểu số liệu.xlsx" in page
    download = reader.get(f"/attachments/{rows[0].id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20CCHC.docx"
        in (download.headers["Content-Disposition"])
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == rows[0].content_type
    assert Document(io.BytesIO(download.data)).paragraphs[0].text == "Kế hoạch số 12"
    sheet = load_workbook(io.BytesIO(reader.get(f"/attachments/{rows[1].id}").data)).active
    assert sheet["A1"].value == "Biểu 01"
    assert len(PdfReader(io.BytesIO(reader.get(f"/attachments/{rows[2].id}").data)).pages) == 1


def test_files_are_hidden_from_units_that_cannot_see_the_task(login, world) -> None:
    [attachment] = attach_files(
        world.task,
        [Upload("ghi-chu.txt", io.BytesIO("Nội dung".encode()))],
        actor=world.lead_user,
    )
    db.session.commit()
    assert login(world.other_user).get(f"/attachments/{attachment.id}").status_code == 404
    assert login(world.chair).get(f"/attachments/{attachment.id}").status_code == 200
    assert login(world.lead_user).get("/attachments/999999").status_code == 404


def test_coordinating_unit_attaches_to_its_comment(login, world) -> None:
    client = login(world.coord_user)
    response = client.post(
        f"/tasks/{world.task.id}/comment",
        data={
            "comment-note": "Gửi kèm ảnh hiện trạng",
            "comment-files": [
                (io.BytesIO(sample_files.png_bytes()), "hien-trang.png"),
                (io.BytesIO(sample_files.odt_bytes()), "gop-y.odt"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    comment = db.session.scalars(db.select(TaskEvent).where(TaskEvent.kind == "comment")).one()
    rows = db.session.scalars(db.select(TaskAttachment).order_by(TaskAttachment.id)).all()
    assert [(r.content_type, r.event_id, r.uploaded_by_id) for r in rows] == [
        ("image/png", comment.id, world.coord_user.id),
        ("application/vnd.oasis.opendocument.text", comment.id, world.coord_user.id),
    ]
    download = login(world.lead_user).get(f"/attachments/{rows[0].id}")
    assert download.data == sample_files.png_bytes()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (sample_files.exe_bytes(), "bao-cao.pdf"),  # an executable dressed as a PDF
        (sample_files.zip_bytes(), "so-lieu.xlsx"),  # an archive dressed as a workbook
        (b"\x00\x01\x02binary\xff\xfe" * 50, "ghi-chu.txt"),
    ],
)
def test_refused_types_leave_nothing_behind(app, login, world, content, name) -> None:
    client = login(world.lead_user)
    response = client.post(
        f"/tasks/{world.task.id}/complete",
        data=_result(
            world,
            [
                (io.BytesIO(sample_files.docx_bytes()), "hop-le.docx"),
                (io.BytesIO(content), name),
            ],
        ),
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Tệp “{name}” không thuộc loại được phép" in page
    assert "Đã hoàn thành, gửi kèm kế hoạch" in page  # the note is kept
    db.session.refresh(world.task)
    assert world.task.status == "new" and len(world.task.events) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(TaskAttachment)) == 0
    assert _stored(app) == []  # the valid first file was written, then removed


def test_size_limit(app, login, world) -> None:
    app.config["TRACKER_MAX_UPLOAD_MB"] = 1
    big = ("Dòng số liệu báo cáo\n" * 60_000).encode()  # about 1.4 MB of text
    response = login(world.lead_user).post(
        f"/tasks/{world.task.id}/complete",
        data=_result(world, [(io.BytesIO(big), "so-lieu.txt")]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Tệp “so-lieu.txt” vượt quá dung lượng cho phép (1 MB)" in response.get_data(
        as_text=True
    )
    assert _stored(app) == []
    assert db.session.scalar(db.select(db.func.count()).select_from(TaskAttachment)) == 0


def test_rollback_after_upload_removes_the_files(app, world) -> None:
    post_progress(
        world.task,
        actor=world.lead_user,
        note="Báo cáo",
        attachments=[Upload("bao-cao.pdf", io.BytesIO(sample_files.pdf_bytes()))],
    )
    assert len(_stored(app)) == 1
    db.session.rollback()
    assert _stored(app) == []


def test_unrelated_unit_cannot_attach(world) -> None:
    from tracker.core.permissions import NotVisible

    with pytest.raises(NotVisible):
        attach_files(world.task, [Upload("a.txt", io.BytesIO(b"x"))], actor=world.other_user)


def test_names_are_cleaned(app, world) -> None:
    [row] = attach_files(
        world.task,
        [Upload("..\\..\\etc/passwd\x00.txt", io.BytesIO(b"ok"))],
        actor=world.lead_user,
    )
    assert row.original_name == "passwd.txt"


def test_detect_type_reads_content(tmp_path) -> None:
    cases = {
        "a.pdf": (sample_files.docx_bytes(), "wordprocessingml"),
        "b.docx": (sample_files.pdf_bytes(), "application/pdf"),
        "c.txt": ("Quyết định số 12/QĐ-UBND".encode(), "text/plain"),
        "d.png": (b"", None),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        found = detect_type(path)
        assert (found is None) if expected is None else (expected in found), name
