"""Reading a meeting's notice and reviewing the proposed tasks before they are created."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.core.errors import ValidationError
from tracker.core.web import manager_required
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.notices import operations
from tracker.notices.extract import NoticeReadError
from tracker.notices.files import read_notice_bytes
from tracker.notices.units import UnitMatch
from tracker.units.operations import active_units, find_unit

bp = Blueprint("notices", __name__, url_prefix="/meetings/<int:meeting_id>/notice")

MAX_PASTE_CHARS = 5_500_000


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


@bp.route("/", methods=["GET", "POST"])
@manager_required
def read(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    draft = operations.open_draft(meeting)
    error = None
    text = meeting.notice_text
    if request.method == "POST":
        text = request.form.get("notice_text", "")
        upload = request.files.get("notice_file")
        try:
            if upload is not None and upload.filename:
                text = read_notice_bytes(upload.read(), upload.filename)
            if len(text) > MAX_PASTE_CHARS:
                raise ValidationError({"notice_text": _("Văn bản quá dài (tối đa 5 triệu ký tự).")})
            if not text.strip():
                raise ValidationError(
                    {"notice_text": _("Vui lòng dán nội dung thông báo hoặc chọn tệp.")}
                )
            operations.read_into_draft(meeting, actor=_current_user(), text=text)
        except NoticeReadError as failure:
            db.session.rollback()
            error = _(failure.message)  # marked for the catalogue in the reader (N_)
        except ValidationError as failure:
            db.session.rollback()
            error = failure.errors.get("notice_text") or next(iter(failure.errors.values()))
        else:
            db.session.commit()
            return redirect(url_for("notices.review", meeting_id=meeting.id))
    return render_template(
        "notices/read.html", meeting=meeting, draft=draft, error=error, text=text
    )


def _current_user() -> Any:
    from flask_login import current_user

    return current_user


def _segments(text: str, rows: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """The notice cut into plain and highlighted pieces, one highlight per row's source."""
    spans = sorted(
        (r.get("source_start"), r.get("source_end"), i)
        for i, r in enumerate(rows)
        if isinstance(r.get("source_start"), int) and isinstance(r.get("source_end"), int)
    )
    pieces: list[tuple[str, int | None]] = []
    at = 0
    for start, end, index in spans:
        if start < at or end <= start or end > len(text):
            continue  # overlaps an earlier highlight (several leads, one sentence)
        pieces.append((text[at:start], None))
        pieces.append((text[start:end], index))
        at = end
    pieces.append((text[at:], None))
    return pieces


def _rows_from_form(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    form = request.form
    rows = []
    count = form.get("row_count", type=int) or 0
    for index in range(min(count, len(stored))):
        old = dict(stored[index])
        prefix = f"row-{index}-"
        lead_value = form.get(prefix + "lead", "")
        old["keep"] = bool(form.get(prefix + "keep"))
        old["task"] = form.get(prefix + "task", old.get("task", ""))[:20_000]
        if lead_value.startswith("group:"):
            old["lead_unit_id"], old["lead_group"] = None, lead_value[6:]
        elif lead_value.isdigit():
            # A name the reader could not match, mapped by hand, is remembered as an alias.
            old["lead_mapped"] = not old.get("lead_matched") and bool(old.get("lead_name"))
            old["lead_unit_id"], old["lead_group"] = int(lead_value), None
        else:
            old["lead_unit_id"], old["lead_group"] = None, None
        old["coordinating"] = _coordinating(form.get(prefix + "coordinating", ""))
        old["deadline"] = form.get(prefix + "deadline", "").strip() or None
        old["recurring"] = bool(form.get(prefix + "recurring"))
        rows.append(old)
    return rows


def _coordinating(raw: str) -> list[dict[str, Any]]:
    matcher = operations.unit_matcher()
    items = []
    for name in [n.strip() for n in raw.replace(";", ",").split(",")]:
        if not name:
            continue
        unit = find_unit(name)
        if unit is None:
            best = matcher.match(name)
            unit_id = best.unit_id if isinstance(best, UnitMatch) else None
        else:
            unit_id = unit.id
        items.append({"name": name, "unit_id": unit_id})
    return items


@bp.route("/review", methods=["GET", "POST"])
@manager_required
def review(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    draft = operations.open_draft(meeting)
    if draft is None:
        flash(_("Chưa có bản đọc thông báo nào đang chờ xem xét."), "info")
        return redirect(url_for("notices.read", meeting_id=meeting.id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        rows = _rows_from_form(draft.rows)
        new_task = request.form.get("new-task", "").strip()
        if request.form.get("action") == "add" and new_task:
            rows.append(
                {
                    "keep": True,
                    "task": new_task[:20_000],
                    "lead_name": "",
                    "lead_unit_id": None,
                    "lead_group": None,
                    "coordinating": [],
                    "deadline": None,
                    "deadline_text": None,
                    "recurring": False,
                    "source": request.form.get("new-source", new_task)[:20_000],
                    "source_start": _find(draft.text, request.form.get("new-source", "")),
                    "source_end": None,
                    "confidence": 1.0,
                    "added": True,
                }
            )
            start = rows[-1]["source_start"]
            if start is not None:
                rows[-1]["source_end"] = start + len(request.form.get("new-source", ""))
        operations.update_rows(draft, rows)
        db.session.commit()
        if request.form.get("action") == "confirm":
            try:
                created = operations.confirm_draft(draft, actor=_current_user())
            except ValidationError as failure:
                db.session.rollback()
                errors = failure.errors
                flash(_("Chưa tạo nhiệm vụ: vui lòng sửa các mục được đánh dấu."), "error")
            else:
                db.session.commit()
                flash(_("Đã tạo %(n)d nhiệm vụ từ thông báo.", n=len(created)), "success")
                return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))
        elif request.form.get("action") != "confirm":
            flash(_("Đã lưu bản xem xét."), "success")
            return redirect(url_for("notices.review", meeting_id=meeting.id))
    units = active_units()
    unit_names = {u.id: u.name for u in units}
    return render_template(
        "notices/review.html",
        meeting=meeting,
        draft=draft,
        rows=draft.rows,
        segments=_segments(draft.text, draft.rows),
        units=units,
        unit_names=unit_names,
        errors=errors,
        group_size=operations.group_size,
        doubtful_below=operations.DOUBTFUL_BELOW,
    )


def _find(text: str, fragment: str) -> int | None:
    fragment = fragment.strip()
    if not fragment:
        return None
    at = text.find(fragment)
    return at if at >= 0 else None


@bp.route("/discard", methods=["POST"])
@manager_required
def discard(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    draft = operations.open_draft(meeting)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
        flash(_("Đã huỷ bản đọc thông báo; chưa nhiệm vụ nào được tạo."), "info")
    return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
