"""Hostile uploads: files whose name lies, zip bombs, 2 GB bodies, invalid UTF-8."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import World
from tests.tasks import sample_files
from tracker.extensions import db
from tracker.notices.extract import NoticeReadError
from tracker.notices.files import read_notice_bytes
from tracker.tasks import attachments
from tracker.tasks.models import TaskAttachment

GB = 1024**3


def _stored(app: Flask) -> list[Path]:
    folder = Path(app.config["TRACKER_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _attachment_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(TaskAttachment)) or 0


def _progress_form(world: World, files: list[tuple[io.BytesIO, str]]) -> dict[str, Any]:
    return {
        "progress-note": "Báo cáo kèm tệp",
        "progress-progress": "50",
        "progress-version": str(world.task.version),
        "progress-files": files,
    }


def _post_attachment(app: Flask, world: World, data: bytes, name: str) -> Any:
    client = app.test_client(user=world.lead_user)
    return client.post(
        f"/tasks/{world.task.id}/progress",
        data=_progress_form(world, [(io.BytesIO(data), name)]),
        content_type="multipart/form-data",
    )


def _post_notice(app: Flask, world: World, data: bytes, name: str) -> Any:
    client = app.test_client(user=world.office)
    return client.post(
        f"/meetings/{world.meeting.id}/notice/",
        data={"notice_text": "", "notice_file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _zip_bomb_docx(inflated_mb: int = 50) -> bytes:
    """A real .docx with one extra member of zeros: ~1000 times smaller packed than unpacked."""
    source = zipfile.ZipFile(io.BytesIO(sample_files.docx_bytes("Thông báo kết luận")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            archive.writestr(member, source.read(member))
        with archive.open("word/media/image1.bin", "w") as bomb:
            zeros = bytes(1024 * 1024)
            for _ in range(inflated_mb):
                bomb.write(zeros)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _zip_bomb_docx()


# --- a file renamed to .pdf -------------------------------------------------------------


def test_attachment_renamed_to_pdf_is_refused(app: Flask, world: World) -> None:
    response = _post_attachment(app, world, "Báo cáo số liệu quý II".encode(), "bao-cao.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “bao-cao.pdf” có đuôi .pdf nhưng nội dung là TXT" in page
    assert "Báo cáo kèm tệp" in page  # the note stays in the form
    assert _stored(app) == [] and _attachment_count() == 0


def test_attachment_docx_named_doc_is_still_accepted(app: Flask, world: World) -> None:
    response = _post_attachment(app, world, sample_files.docx_bytes(), "ke-hoach.doc")
    assert response.status_code == 302
    assert _attachment_count() == 1 and len(_stored(app)) == 1


def test_notice_renamed_to_pdf_is_refused(app: Flask, world: World) -> None:
    response = _post_notice(app, world, sample_files.docx_bytes("Thông báo"), "tb45.pdf")
    assert response.status_code == 200
    assert "Tệp không phải PDF" in response.get_data(as_text=True)
    assert _stored(app) == []


# --- zip bombs -------------------------------------------------------------------------------


def test_zip_bomb_is_recognised_from_the_directory(bomb: bytes) -> None:
    assert len(bomb) < 1024 * 1024  # 50 MB inside
    tracemalloc.start()
    try:
        with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
            assert attachments.zip_is_bomb(archive)
        with pytest.raises(NoticeReadError, match="bom nén"):
            read_notice_bytes(bomb, "tb45.docx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024  # nothing was inflated
    with zipfile.ZipFile(io.BytesIO(sample_files.docx_bytes())) as archive:
        assert not attachments.zip_is_bomb(archive)


def test_zip_total_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    docx = sample_files.docx_bytes("Thông báo " * 2000)
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert not attachments.zip_is_bomb(archive)
        monkeypatch.setattr(attachments, "MAX_UNZIPPED_BYTES", 1000)
        assert attachments.zip_is_bomb(archive)


def test_zip_bomb_attachment_is_refused(app: Flask, world: World, bomb: bytes) -> None:
    response = _post_attachment(app, world, bomb, "ke-hoach.docx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “ke-hoach.docx” khi giải nén lớn bất thường" in page
    assert _stored(app) == [] and _attachment_count() == 0


def test_zip_bomb_notice_is_refused(app: Flask, world: World, bomb: bytes) -> None:
    response = _post_notice(app, world, bomb, "tb45.docx")
    assert response.status_code == 200
    assert "lớn bất thường (có thể là “bom nén”)" in response.get_data(as_text=True)


# --- 2 GB -----------------------------------------------------------------------------------


class ZeroStream:
    """An endless body of zeros that counts what the server read from it."""

    def __init__(self, prefix: bytes = b"") -> None:
        self.prefix = prefix
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024 * 1024)
        if self.prefix:
            chunk, self.prefix = self.prefix[:size], self.prefix[size:]
        else:
            chunk = bytes(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _multipart_head(field: str, filename: str) -> bytes:
    return (
        "--XyZ\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("who", "url", "field"),
    [
        ("lead_user", "/tasks/{task}/progress", "progress-files"),
        ("office", "/meetings/{meeting}/notice/", "notice_file"),
    ],
)
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_two_gigabyte_upload_is_refused_without_reading_it(
    app: Flask, world: World, who: str, url: str, field: str, declared: bool
) -> None:
    stream = ZeroStream(_multipart_head(field, "ban-scan.pdf"))
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    environ: dict[str, Any] = {"wsgi.input": stream}
    if declared:
        environ["CONTENT_LENGTH"] = str(2 * GB)
    else:
        environ["wsgi.input_terminated"] = True  # as a server does for chunked bodies
    client = app.test_client(user=getattr(world, who))
    response = client.post(
        url.format(task=world.task.id, meeting=world.meeting.id),
        headers=headers,
        environ_overrides=environ,
    )
    assert response.status_code == 413
    assert "vượt quá giới hạn cho phép" in response.get_data(as_text=True)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert stream.read_bytes <= (0 if declared else limit + 1024 * 1024)
    assert _stored(app) == [] and _attachment_count() == 0


# --- invalid UTF-8 --------------------------------------------------------------------------

_BYTES = st.one_of(
    st.binary(min_size=1, max_size=2000),
    # Mostly valid Vietnamese with broken sequences spliced in: the hard case for a decoder.
    st.tuples(
        st.text(alphabet="Thông báo kết luận của Chủ tịch UBND huyện ", min_size=1),
        st.sampled_from([b"\xff", b"\xc3", b"\xe1\xbb", b"\xed\xa0\x80", b"\xf8\x88\x80", b"\x80"]),
        st.text(max_size=50),
    ).map(lambda t: t[0].encode() + t[1] + t[2].encode("utf-8", "surrogatepass")),
)


@settings(max_examples=200, deadline=None)
@given(data=_BYTES)
def test_notice_text_bytes_are_read_or_refused_clearly(data: bytes) -> None:
    try:
        text = read_notice_bytes(data, "thong-bao.txt")
    except NoticeReadError as error:
        assert error.message and error.message[0].isupper()
    else:
        assert isinstance(text, str)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_BYTES)
def test_invalid_utf8_uploads_never_break_the_pages(app: Flask, world: World, data: bytes) -> None:
    notice = _post_notice(app, world, data, "thong-bao.txt")
    assert notice.status_code in (200, 302)
    if notice.status_code == 200:
        assert "Đã có lỗi xảy ra" not in notice.get_data(as_text=True)
    db.session.rollback()
    attachment = _post_attachment(app, world, data, "ghi-chu.txt")
    assert attachment.status_code in (302, 422), attachment.status_code
    if attachment.status_code == 422:
        assert "Tệp “ghi-chu.txt”" in attachment.get_data(as_text=True)
    db.session.rollback()
    db.session.refresh(world.task)
