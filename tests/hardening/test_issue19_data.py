"""Issue 19, data across units: the meetings search looks only at tasks the user may see;
attachments are allowed by extension and content, lose bidirectional and control characters
from their names, download as attachments under a safe name, and stay within quotas."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.factories import World, make_meeting, make_task
from tests.tasks import sample_files
from tracker.extensions import db
from tracker.tasks.attachments import Upload, attach_files
from tracker.tasks.models import TaskAttachment


def _count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(TaskAttachment)) or 0


def _stored(app: Flask) -> list[Path]:
    folder = Path(app.config["TRACKER_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _report(client: Any, world: World, task_id: int, files: list[tuple[bytes, str]]) -> Any:
    db.session.expire_all()
    from tracker.tasks.models import Task

    task = db.session.get(Task, task_id)
    assert task is not None
    return client.post(
        f"/tasks/{task_id}/progress",
        data={
            "progress-note": "Báo cáo kèm tệp",
            "progress-progress": "50",
            "progress-version": str(task.version),
            "progress-files": [(io.BytesIO(data), name) for data, name in files],
        },
        content_type="multipart/form-data",
    )


# --- 4. the meetings search ------------------------------------------------------------------


def test_meeting_search_only_matches_visible_tasks(login, world: World) -> None:
    # Nội vụ attended this meeting, whose only task is Tư pháp's.
    meeting = make_meeting(
        world.office, title="Họp giao ban tháng 4", attending_units=[world.noivu]
    )
    make_task(meeting, world.office, world.tuphap, content="Thanh tra đất đai xã Chiềng Khoa")
    db.session.commit()
    lead = login(world.lead_user)
    assert "Họp giao ban tháng 4" in lead.get("/meetings/").get_data(as_text=True)
    found = lead.get("/meetings/?q=dat+dai+chieng+khoa").get_data(as_text=True)
    assert "Họp giao ban tháng 4" not in found
    # Words of its own tasks still find a meeting, and Tư pháp finds this one.
    assert "45/TB-UBND" in lead.get("/meetings/?q=cai+cach+hanh+chinh").get_data(as_text=True)
    other = login(world.other_user).get("/meetings/?q=dat+dai").get_data(as_text=True)
    assert "Họp giao ban tháng 4" in other


# --- 5. attachments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (sample_files.pdf_bytes(), "bao-cao.bat"),
        (sample_files.pdf_bytes(), "bao-cao.html"),
        (sample_files.pdf_bytes(), "bao-cao"),
        (b"Bao cao tien do\n", "ghi-chu.exe"),
        (sample_files.png_bytes(), "anh.svg"),
    ],
    ids=["pdf-as-bat", "pdf-as-html", "no-extension", "text-as-exe", "png-as-svg"],
)
def test_attachment_refused_by_extension_even_with_allowed_content(
    app: Flask, login, world: World, data: bytes, name: str
) -> None:
    response = _report(login(world.lead_user), world, world.task.id, [(data, name)])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "không có đuôi được phép" in page and ".pdf, .doc" in page
    assert _count() == 0 and _stored(app) == []


def test_attachment_name_loses_bidi_and_control_characters(app: Flask, world: World) -> None:
    # U+202E shows "Báo cáo \u202efdp.bat" as "Báo cáo tab.pdf": stripped, it is a .bat.
    with pytest.raises(Exception, match="không có đuôi được phép"):
        attach_files(
            world.task,
            [Upload("Báo cáo \u202efdp.bat", io.BytesIO(sample_files.pdf_bytes()))],
            actor=world.lead_user,
        )
    db.session.rollback()
    [row] = attach_files(
        world.task,
        [Upload("Kế\u200b hoạch\u2066\r\n số 12\u202c.pdf", io.BytesIO(sample_files.pdf_bytes()))],
        actor=world.lead_user,
    )
    assert row.original_name == "Kế hoạch số 12.pdf"


def test_download_is_attachment_with_safe_name(app: Flask, login, world: World) -> None:
    [row] = attach_files(
        world.task,
        [Upload("to-trinh.pdf", io.BytesIO(sample_files.pdf_bytes()))],
        actor=world.lead_user,
    )
    # A name stored before names were cleaned: a bidi override, a quote, a line break.
    row.original_name = 'Tờ trình \u202efdp.exe"\r\nX-Evil: 1;.pdf'
    db.session.commit()
    response = login(world.coord_user).get(f"/attachments/{row.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "\u202e" not in disposition and "\r" not in disposition and "\n" not in disposition
    assert "X-Evil" not in response.headers
    ascii_name = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert ascii_name.isascii() and "/" not in ascii_name and "\\" not in ascii_name
    assert "filename*=UTF-8''" in disposition and "%E1%BB%9D" in disposition  # "ờ", encoded
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_quota_per_task(app: Flask, login, world: World) -> None:
    app.config["TRACKER_TASK_UPLOAD_QUOTA_MB"] = 1
    text = b"Bao cao so lieu\n" * 40_000  # 640 KB
    client = login(world.lead_user)
    assert _report(client, world, world.task.id, [(text, "so-lieu-1.txt")]).status_code == 302
    refused = _report(client, world, world.task.id, [(text, "so-lieu-2.txt")])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "các tệp đính kèm của nhiệm vụ này sẽ vượt quá 1 MB" in page
    assert _count() == 1 and len(_stored(app)) == 1


def test_upload_quota_per_user(app: Flask, login, world: World) -> None:
    app.config["TRACKER_TASK_UPLOAD_QUOTA_MB"] = 0
    app.config["TRACKER_USER_UPLOAD_QUOTA_MB"] = 1
    second = make_task(world.meeting, world.office, world.noivu, content="Rà soát thủ tục")
    db.session.commit()
    text = b"Bao cao so lieu\n" * 40_000  # 640 KB
    client = login(world.lead_user)
    assert _report(client, world, world.task.id, [(text, "so-lieu-1.txt")]).status_code == 302
    refused = _report(client, world, second.id, [(text, "so-lieu-2.txt")])
    assert refused.status_code == 422
    assert "tổng dung lượng tệp bạn đã gửi sẽ vượt quá 1 MB" in refused.get_data(as_text=True)
    assert _count() == 1
