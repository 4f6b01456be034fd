"""Reading a meeting's notice and reviewing the proposed tasks before they are created."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from tracker.core.errors import ValidationError
from tracker.core.limits import MAX_ID
from tracker.core.permissions import can_view_meeting
from tracker.core.web import manager_required
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.notices import operations
from tracker.notices.extract import MAX_NOTICE_CHARS, TOO_LONG_MESSAGE, NoticeReadError
from tracker.notices.files import NoticeDocument, read_notice_document
from tracker.notices.models import NoticeDraft, NoticeDraftPage
from tracker.notices.ocr import ocr_available
from tracker.notices.units import UnitMatch
from tracker.units.forms import KIND_LABELS
from tracker.units.models import UnitKind
from tracker.units.operations import active_units, find_unit

bp = Blueprint("notices", __name__, url_prefix="/meetings/<int:meeting_id>/notice")


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_view_meeting(current_user, meeting):
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
        document: NoticeDocument | None = None
        try:
            if upload is not None and upload.filename:
                document = read_notice_document(
                    upload.read(),
                    upload.filename,
                    ocr_seconds=current_app.config.get("TRACKER_OCR_SECONDS", 40.0),
                )
                text = document.text
            if len(text) > MAX_NOTICE_CHARS:
                # The reader's own cap, said before a draft is touched.
                raise ValidationError({"notice_text": _(TOO_LONG_MESSAGE)})
            if not text.strip():
                raise ValidationError(
                    {"notice_text": _("Vui lòng dán nội dung thông báo hoặc chọn tệp.")}
                )
            scanned = document is not None and document.kind == "scan"
            operations.read_into_draft(
                meeting,
                actor=_current_user(),
                text=text,
                pages=document.pages if scanned and document else [],
                source_kind="scan" if scanned else "text",
            )
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
        "notices/read.html",
        meeting=meeting,
        draft=draft,
        error=error,
        text=text,
        ocr_ready=ocr_available(),
    )


def _current_user() -> Any:
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
        elif lead_value.isdigit() and int(lead_value) <= MAX_ID:
            # Whether the clerk picked it by hand is judged against auto_lead_unit_id.
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
    unit_errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        rows = _rows_from_form(draft.rows)
        new_task = request.form.get("new-task", "").strip()
        if action == "add" and new_task:
            rows.append(_added_row(draft, new_task))
        operations.update_rows(draft, rows)
        db.session.commit()
        if action == "confirm":
            try:
                created = operations.confirm_draft(draft, actor=_current_user())
            except ValidationError as failure:
                db.session.rollback()
                errors = _review_errors(failure.errors)
            else:
                db.session.commit()
                flash(_("Đã tạo %(n)d nhiệm vụ từ thông báo.", n=len(created)), "success")
                return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))
        elif action == "add_unit":
            try:
                unit, matched = operations.add_unit_from_review(
                    draft,
                    name=request.form.get("unit-name", "")[:200],
                    kind=request.form.get("unit-kind", ""),
                    short_name=request.form.get("unit-short-name", "")[:60],
                )
            except ValidationError as failure:
                db.session.rollback()
                unit_errors = failure.errors
            else:
                db.session.commit()
                flash(
                    _(
                        "Đã thêm đơn vị %(name)s vào danh mục; %(n)d tên trong bản đọc đã khớp.",
                        name=unit.name,
                        n=matched,
                    ),
                    "success",
                )
                return redirect(url_for("notices.review", meeting_id=meeting.id))
        else:
            flash(_("Đã lưu bản xem xét."), "success")
            return redirect(url_for("notices.review", meeting_id=meeting.id))
    return _render_review(meeting, draft, errors, unit_errors)


def _added_row(draft: NoticeDraft, new_task: str) -> dict[str, Any]:
    source = request.form.get("new-source", "")
    start = _find(draft.text, source)
    return {
        "keep": True,
        "task": new_task[:20_000],
        "lead_name": "",
        "lead_unit_id": None,
        "lead_group": None,
        "auto_lead_unit_id": None,
        "coordinating": [],
        "deadline": None,
        "deadline_text": None,
        "recurring": False,
        "source": (source or new_task)[:20_000],
        "source_start": start,
        "source_end": start + len(source.strip()) if start is not None else None,
        "confidence": 1.0,
        "added": True,
    }


_FIELD_ORDER = {"lead": 0, "coordinating": 1, "task": 2, "deadline": 3}
# The task's own field names (create_task's errors) as the review form calls its boxes.
_REVIEW_FIELDS = {"content": "task", "lead_unit": "lead", "coordinating_units": "coordinating"}


def _review_errors(errors: dict[str, str]) -> dict[str, str]:
    """The confirmation's errors keyed by the review form's fields: an emptied task text comes
    back from create_task as "row-N-content", which the banner must name as the text box and
    send the focus to (not to the row's first checkbox, labelled "content")."""
    named = {}
    for key, message in errors.items():
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "row" and parts[1].isdigit():
            key = f"row-{parts[1]}-{_REVIEW_FIELDS.get(parts[2], parts[2])}"
        named[key] = message
    return named


def _error_list(errors: dict[str, str]) -> list[dict[str, Any]]:
    """The confirmation's errors in row order, each naming the row and the field to fix."""
    items = []
    for key, message in errors.items():
        parts = key.split("-")
        if len(parts) >= 3 and parts[0] == "row" and parts[1].isdigit():
            index, field = int(parts[1]), "-".join(parts[2:])
            target = f"row-{index}-{field}" if field in _FIELD_ORDER else f"row-{index}"
            items.append({"index": index, "field": field, "message": message, "target": target})
    return sorted(items, key=lambda e: (e["index"], _FIELD_ORDER.get(e["field"], 9)))


def _render_review(
    meeting: Meeting,
    draft: NoticeDraft,
    errors: dict[str, str],
    unit_errors: dict[str, str],
) -> Any:
    units = active_units()
    unit_names = {u.id: u.name for u in units}
    error_list = _error_list(errors)
    checks = operations.review_checks(draft)
    confidences = [p.confidence for p in draft.pages if p.confidence is not None]
    return render_template(
        "notices/review.html",
        meeting=meeting,
        draft=draft,
        rows=draft.rows,
        segments=_segments(draft.text, draft.rows),
        units=units,
        unit_names=unit_names,
        errors=errors,
        error_list=error_list,
        first_error=error_list[0]["target"] if error_list else None,
        checks=checks,
        scan_confidence=round(100 * sum(confidences) / len(confidences)) if confidences else None,
        unmatched=operations.unmatched_names(draft),
        unit_errors=unit_errors,
        unit_form=request.form if unit_errors else {},
        kind_labels=KIND_LABELS,
        default_kind=UnitKind.OTHER.value,
        group_size=operations.group_size,
        doubtful_below=operations.DOUBTFUL_BELOW,
    )


@bp.route("/drafts/<int:draft_id>/pages/<int:number>.jpg")
@manager_required
def page_image(meeting_id: int, draft_id: int, number: int) -> Any:
    """A scanned page of a draft, to whoever may review the meeting's notice."""
    meeting = _meeting(meeting_id)
    page = db.session.scalar(
        sa.select(NoticeDraftPage)
        .join(NoticeDraft)
        .where(
            NoticeDraft.id == draft_id,
            NoticeDraft.meeting_id == meeting.id,
            NoticeDraftPage.number == number,
        )
    )
    if page is None:
        abort(404)
    response = Response(page.image, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
