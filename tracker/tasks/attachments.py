"""Files attached to tasks: type checked by content, size limited, stored under random names."""

from __future__ import annotations

import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.limits import strip_controls
from tracker.core.permissions import Action, require
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.tasks.models import Task, TaskAttachment, TaskEvent

MAX_NAME_CHARS = 255
_CHUNK = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The types offices exchange; anything else (executables, archives, HTML ...) is refused.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/msword": "DOC",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "text/plain": "TXT",
}
_ODF_TYPES = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)


# Zip bombs: an Office file whose members would inflate far beyond any real document.
# Real .docx/.xlsx XML compresses about 5-30 times; embedded pictures hardly at all.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 10_000
_RATIO_FLOOR = 1024 * 1024  # small members may compress very well without harm

# What a file's name claims, by family: a name claiming one family with content of another
# (a text file renamed to .pdf) is refused; a .doc that is really a .docx is not.
_SUFFIX_FAMILIES = {
    ".pdf": "pdf",
    ".doc": "word",
    ".docx": "word",
    ".odt": "word",
    ".xls": "sheet",
    ".xlsx": "sheet",
    ".ods": "sheet",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".txt": "text",
}
_TYPE_FAMILIES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word",
    "application/msword": "word",
    "application/vnd.oasis.opendocument.text": "word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "sheet",
    "application/vnd.ms-excel": "sheet",
    "application/vnd.oasis.opendocument.spreadsheet": "sheet",
    "image/jpeg": "image",
    "image/png": "image",
    "text/plain": "text",
}


def zip_is_bomb(archive: zipfile.ZipFile) -> bool:
    """True when the archive's directory promises an absurd uncompressed size or ratio.

    Decided from the central directory alone, before anything is inflated; zipfile never
    yields more than a member's declared size, so a lying directory cannot get past this.
    """
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        return True
    total = 0
    for member in members:
        total += member.file_size
        if total > MAX_UNZIPPED_BYTES:
            return True
        if member.file_size > _RATIO_FLOOR and (
            member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
        ):
            return True
    return False


def _zip_bomb_file(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            return zip_is_bomb(archive)
    except (zipfile.BadZipFile, OSError):
        return False  # not a readable archive: detect_type refuses it


def allowed_suffixes() -> str:
    """The suffixes a file's name may end with, for messages: ".pdf, .doc, ..."."""
    return ", ".join(_SUFFIX_FAMILIES)


def _claimed_family_mismatch(name: str, content_type: str) -> str | None:
    """The suffix (".pdf") when the name claims a type the content is not."""
    suffix = Path(name).suffix.lower()
    family = _SUFFIX_FAMILIES.get(suffix)
    if family is None or family == _TYPE_FAMILIES.get(content_type):
        return None
    return suffix


@dataclass
class Upload:
    """A file as the browser or API sent it: its name and a readable stream."""

    filename: str
    stream: IO[bytes]


def max_upload_bytes() -> int:
    """The size limit of one file (TRACKER_MAX_UPLOAD_MB)."""
    return int(current_app.config.get("TRACKER_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def upload_dir() -> Path:
    """The folder files are stored in (TRACKER_UPLOAD_DIR)."""
    path = Path(current_app.config["TRACKER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(attachment: TaskAttachment) -> Path:
    """Where the attachment's bytes are on disk."""
    return upload_dir() / attachment.stored_name


def _zip_type(path: Path) -> str | None:
    # Office Open XML and OpenDocument files are zip archives; their members say what they
    # are, whatever order the writing program put them in.
    try:
        with zipfile.ZipFile(path) as archive:
            if zip_is_bomb(archive):
                return None
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in _ODF_TYPES else None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if "xl/workbook.xml" in names:
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def _ole_type(head: bytes) -> str | None:
    # Word 97-2003 and Excel 97-2003 files are OLE compound files; the directory names the
    # main stream in UTF-16.
    if "WordDocument".encode("utf-16-le") in head:
        return "application/msword"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "application/vnd.ms-excel"
    return None


def _is_plain_text(head: bytes) -> bool:
    sample = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end in the middle of a character.
        if error.start < len(sample) - 4:
            return False
        text = sample[: error.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def detect_type(path: Path) -> str | None:
    """The content type of the file at `path`, read from its bytes (never from its name);
    None when the type is not one offices exchange."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if not head:
        return None
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    if head.startswith(_OLE_MAGIC):
        # The OLE directory may sit anywhere in the file, so the whole file is searched.
        return _ole_type(path.read_bytes())
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    return "text/plain" if _is_plain_text(head) else None


def _clean_name(filename: str) -> str:
    # Keep the user's name for the download (Vietnamese included) but never a path, nor a
    # control or bidirectional character: U+202E showed "…fdp.bat" as "…tab.pdf".
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = strip_controls(name).strip().strip(".")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME_CHARS - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME_CHARS]
    return name or "tep-dinh-kem"


_WRITTEN = "tracker_written_files"


@sa.event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@sa.event.listens_for(Session, "after_rollback")
def _remove_written_files(session: Session) -> None:
    # Files are written before the transaction that records them commits; when it rolls back
    # (a validation error after the upload, a concurrent change) they would be orphans.
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)


def _store(upload: Upload, stored_name: str, limit: int) -> int:
    target = upload_dir() / stored_name
    db.session().info.setdefault(_WRITTEN, []).append(target)
    size = 0
    try:
        with target.open("xb") as out:
            while chunk := upload.stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        {
                            "files": _(
                                "Tệp “%(name)s” vượt quá dung lượng cho phép (%(mb)d MB).",
                                name=_clean_name(upload.filename),
                                mb=limit // (1024 * 1024),
                            )
                        }
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def attach_files(
    task: Task,
    uploads: Iterable[Upload],
    *,
    actor: User,
    event: TaskEvent | None = None,
) -> list[TaskAttachment]:
    """Store `uploads` for `task` (with the history entry they came with) and record them.

    All or nothing: a file that is too large or of a refused type raises ValidationError and
    no file of the batch stays on disk. Files are written before the transaction commits; a
    caller that rolls back afterwards calls `discard_files()`.
    """
    require(actor, Action.CONTRIBUTE, task)
    limit = max_upload_bytes()
    saved: list[TaskAttachment] = []
    task_used, user_used = stored_bytes(task=task), stored_bytes(user=actor)
    batch_bytes = 0
    try:
        for upload in uploads:
            if not upload.filename:
                continue  # an empty file input
            name = _clean_name(upload.filename)
            if Path(name).suffix.lower() not in _SUFFIX_FAMILIES:
                # By name as well as by content: a PDF named .bat or .html is still refused.
                raise ValidationError(
                    {
                        "files": _(
                            "Tệp “%(name)s” không có đuôi được phép. Chỉ nhận các tệp có đuôi "
                            "%(suffixes)s.",
                            name=name,
                            suffixes=allowed_suffixes(),
                        )
                    }
                )
            stored_name = secrets.token_hex(16)
            size = _store(upload, stored_name, limit)
            path = upload_dir() / stored_name
            if size and _zip_bomb_file(path):
                path.unlink(missing_ok=True)
                raise ValidationError(
                    {
                        "files": _(
                            "Tệp “%(name)s” khi giải nén lớn bất thường (có thể là “bom nén”), "
                            "không nhận.",
                            name=name,
                        )
                    }
                )
            content_type = detect_type(path)
            if size == 0 or content_type is None:
                path.unlink(missing_ok=True)
                message = (
                    _("Tệp “%(name)s” rỗng.", name=name)
                    if size == 0
                    else _(
                        "Tệp “%(name)s” không thuộc loại được phép. Chỉ nhận PDF, Word (DOC, "
                        "DOCX), Excel (XLS, XLSX), ODT, ODS, ảnh JPEG, PNG và văn bản thuần.",
                        name=name,
                    )
                )
                raise ValidationError({"files": message})
            claimed = _claimed_family_mismatch(name, content_type)
            if claimed is not None:
                path.unlink(missing_ok=True)
                raise ValidationError(
                    {
                        "files": _(
                            "Tệp “%(name)s” có đuôi %(suffix)s nhưng nội dung là %(kind)s. "
                            "Hãy chọn đúng tệp hoặc đổi lại đuôi tệp.",
                            name=name,
                            suffix=claimed,
                            kind=type_label(content_type),
                        )
                    }
                )
            batch_bytes += size
            quota_error = _over_quota(name, task_used + batch_bytes, user_used + batch_bytes)
            if quota_error is not None:
                path.unlink(missing_ok=True)
                raise ValidationError({"files": quota_error})
            attachment = TaskAttachment(
                task=task,
                event=event,
                uploaded_by=actor,
                uploaded_dt=now_utc(),
                original_name=name,
                stored_name=stored_name,
                size=size,
                content_type=content_type,
            )
            db.session.add(attachment)
            saved.append(attachment)
    except BaseException:
        discard_files(saved)
        raise
    db.session.flush()
    return saved


def stored_bytes(*, task: Task | None = None, user: User | None = None) -> int:
    """The bytes of the files kept for `task`, or uploaded by `user`."""
    query = sa.select(sa.func.coalesce(sa.func.sum(TaskAttachment.size), 0))
    if task is not None:
        query = query.where(TaskAttachment.task_id == task.id)
    if user is not None:
        query = query.where(TaskAttachment.uploaded_by_id == user.id)
    return int(db.session.scalar(query) or 0)


def _quota_bytes(name: str) -> int:
    """A quota in bytes from its TRACKER_*_MB setting; 0 means none."""
    return int(current_app.config.get(name, 0) or 0) * 1024 * 1024


def _over_quota(name: str, task_bytes: int, user_bytes: int) -> str | None:
    """The refusal when keeping this file would pass the task's or the uploader's quota."""
    task_quota = _quota_bytes("TRACKER_TASK_UPLOAD_QUOTA_MB")
    if task_quota and task_bytes > task_quota:
        return _(
            "Không nhận tệp “%(name)s”: các tệp đính kèm của nhiệm vụ này sẽ vượt quá "
            "%(mb)d MB cho phép. Hãy xoá bớt hoặc nén tệp trước khi gửi.",
            name=name,
            mb=task_quota // (1024 * 1024),
        )
    user_quota = _quota_bytes("TRACKER_USER_UPLOAD_QUOTA_MB")
    if user_quota and user_bytes > user_quota:
        return _(
            "Không nhận tệp “%(name)s”: tổng dung lượng tệp bạn đã gửi sẽ vượt quá %(mb)d MB "
            "cho phép. Vui lòng liên hệ quản trị hệ thống.",
            name=name,
            mb=user_quota // (1024 * 1024),
        )
    return None


def content_disposition(name: str) -> str:
    """`Content-Disposition: attachment` with `name` made safe (RFC 6266): an ASCII fallback
    (accents folded, anything else "_") in quotes, and the UTF-8 name percent-encoded in
    filename* (RFC 5987), neither able to carry a quote, a control character or a path."""
    name = _clean_name(name)
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = (
        "".join(
            ch if ch.isascii() and (ch.isalnum() or ch in " .-_()") else "_"
            for ch in folded
            if unicodedata.category(ch) != "Mn"
        ).strip()
        or "tep-dinh-kem"
    )
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def discard_files(attachments: Iterable[TaskAttachment]) -> None:
    """Remove stored files whose rows were rolled back."""
    for attachment in attachments:
        (upload_dir() / attachment.stored_name).unlink(missing_ok=True)


def task_attachments(task: Task) -> list[TaskAttachment]:
    """The task's files, oldest first."""
    return list(
        db.session.scalars(
            sa.select(TaskAttachment)
            .where(TaskAttachment.task_id == task.id)
            .order_by(TaskAttachment.id)
        )
    )


def type_label(content_type: str) -> str:
    """A short name of the type ("PDF", "DOCX")."""
    return ALLOWED_TYPES.get(content_type, content_type)
