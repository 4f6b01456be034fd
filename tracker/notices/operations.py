"""From a notice to confirmed tasks: read, match units, keep the reviewer's edits, confirm."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.errors import ValidationError
from tracker.core.forms import parse_date
from tracker.core.text import normalize
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.models import NoticeDraft
from tracker.notices.units import GroupMatch, UnitMatch, UnitMatcher
from tracker.tasks.models import Task
from tracker.tasks.operations import create_task
from tracker.units.models import Unit, UnitKind
from tracker.units.operations import add_alias, find_unit

# Below this the review screen marks a proposal as doubtful.
DOUBTFUL_BELOW = 0.7

# Which directory units a group reference expands to, one task per member unit.
GROUP_KINDS = {
    "communes": UnitKind.COMMUNE.value,
    "departments": UnitKind.DEPARTMENT.value,
    "provincial_departments": UnitKind.DEPARTMENT.value,
}


def unit_matcher() -> UnitMatcher:
    """A matcher over the active units, their short names and aliases."""
    units = db.session.scalars(sa.select(Unit).where(Unit.is_active.is_(True))).all()
    return UnitMatcher((u.id, u.name, u.short_name, [a.alias for a in u.aliases]) for u in units)


def open_draft(meeting: Meeting) -> NoticeDraft | None:
    """The meeting's draft still under review, if any."""
    return db.session.scalar(
        sa.select(NoticeDraft)
        .where(NoticeDraft.meeting_id == meeting.id, NoticeDraft.status == "draft")
        .order_by(NoticeDraft.id.desc())
        .limit(1)
    )


def _match(matcher: UnitMatcher, name: str) -> dict[str, Any]:
    found = matcher.match(name)
    if isinstance(found, GroupMatch):
        return {"unit_id": None, "group": found.kind}
    if isinstance(found, UnitMatch):
        return {"unit_id": found.unit_id, "group": None}
    unit = find_unit(name)  # exact alias hit the fuzzy matcher might score low
    return {"unit_id": unit.id if unit else None, "group": None}


def read_into_draft(meeting: Meeting, *, actor: User, text: str) -> NoticeDraft:
    """Read `text` and replace the meeting's open draft with the proposals.

    Raises ValidationError(notice_text=...) when the text cannot be read or holds no directive.
    """
    try:
        reading = read_notice(text, issued_on=meeting.notice_issued_on, calendar=working_calendar())
    except NoticeReadError as error:
        # The reader marks its messages for the catalogue (N_); say them in the user's language.
        raise ValidationError({"notice_text": _(error.message)}) from error
    matcher = unit_matcher()
    rows = []
    for proposal in reading.tasks:
        lead = _match(matcher, proposal.lead)
        coordinating = []
        for name in proposal.coordinating:
            matched = _match(matcher, name)
            coordinating.append({"name": name, "unit_id": matched["unit_id"]})
        rows.append(
            {
                "keep": True,
                "task": proposal.task,
                "lead_name": proposal.lead,
                "lead_unit_id": lead["unit_id"],
                "lead_group": lead["group"],
                "lead_matched": bool(lead["unit_id"] or lead["group"]),
                "coordinating": coordinating,
                "deadline": proposal.deadline.isoformat() if proposal.deadline else None,
                "deadline_text": proposal.deadline_text,
                "recurring": proposal.recurring,
                "source": proposal.source,
                "source_start": proposal.source_start,
                "source_end": proposal.source_end,
                "confidence": round(proposal.confidence, 2),
            }
        )
    if not rows:
        raise ValidationError(
            {
                "notice_text": _(
                    "Không tìm thấy chỉ đạo nào giao việc cho một đơn vị trong văn bản này."
                )
            }
        )
    draft = open_draft(meeting)
    if draft is None:
        draft = NoticeDraft(meeting=meeting, created_by=actor)
        db.session.add(draft)
    header = reading.notice
    draft.text = reading.text or normalize(text)
    draft.header = {
        "number": header.number,
        "issued_on": header.issued_on.isoformat() if header.issued_on else None,
        "signer": header.signer,
    }
    draft.rows = rows
    draft.warnings = list(reading.warnings)
    if not meeting.notice_text:
        meeting.notice_text = text
    if not meeting.notice_number and header.number:
        meeting.notice_number = header.number
    if not meeting.notice_issued_on and header.issued_on and header.issued_on >= meeting.held_on:
        meeting.notice_issued_on = header.issued_on
    if not meeting.notice_signer and header.signer:
        meeting.notice_signer = header.signer
    db.session.flush()
    return draft


def update_rows(draft: NoticeDraft, rows: list[dict[str, Any]]) -> None:
    """Store the reviewer's edits (nothing is validated or created yet)."""
    draft.rows = rows
    draft.updated_dt = now_utc()
    db.session.flush()


def _units_of_group(kind: str) -> list[Unit]:
    unit_kind = GROUP_KINDS.get(kind)
    if unit_kind is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Unit)
            .where(Unit.kind == unit_kind, Unit.is_active.is_(True))
            .order_by(Unit.name_folded)
        )
    )


def group_size(kind: str | None) -> int:
    """How many units a group reference expands to."""
    return len(_units_of_group(kind)) if kind else 0


def confirm_draft(draft: NoticeDraft, *, actor: User) -> list[Task]:
    """Create every kept row as a task, in one transaction with the caller's commit.

    Raises ValidationError with keys "row-N-field" naming the row and field at fault; nothing is
    created then. Names the reviewer mapped to a unit by hand are remembered as aliases.
    """
    meeting = draft.meeting
    errors: dict[str, str] = {}
    plans: list[tuple[int, list[Unit], list[Unit], dict[str, Any]]] = []
    aliases: list[tuple[Unit, str]] = []
    for index, row in enumerate(draft.rows):
        if not row.get("keep"):
            continue
        leads: list[Unit] = []
        if row.get("lead_unit_id"):
            unit = db.session.get(Unit, int(row["lead_unit_id"]))
            if unit is None:
                errors[f"row-{index}-lead"] = _("Đơn vị không tồn tại.")
            else:
                leads = [unit]
                if row.get("lead_name") and row.get("lead_mapped"):
                    aliases.append((unit, row["lead_name"]))
        elif row.get("lead_group"):
            leads = _units_of_group(row["lead_group"])
            if not leads:
                errors[f"row-{index}-lead"] = _(
                    "Không thể tự chia nhóm “%(name)s”: hãy chọn một đơn vị chủ trì.",
                    name=row.get("lead_name") or "",
                )
        else:
            errors[f"row-{index}-lead"] = _(
                "Chưa xác định đơn vị chủ trì cho “%(name)s”.", name=row.get("lead_name") or "?"
            )
        coordinating: list[Unit] = []
        for item in row.get("coordinating", []):
            unit = db.session.get(Unit, int(item["unit_id"])) if item.get("unit_id") else None
            if unit is None:
                errors[f"row-{index}-coordinating"] = _(
                    "Không tìm thấy đơn vị phối hợp “%(name)s” trong danh mục.",
                    name=item.get("name", ""),
                )
            else:
                coordinating.append(unit)
        plans.append((index, leads, coordinating, row))
    if not plans and not errors:
        errors["rows"] = _("Không còn nhiệm vụ nào được chọn để tạo.")
    if errors:
        raise ValidationError(errors)
    created: list[Task] = []
    for index, leads, coordinating, row in plans:
        deadline = _row_deadline(row, index)
        for lead in leads:
            try:
                created.append(
                    create_task(
                        meeting,
                        actor=actor,
                        content=row.get("task", ""),
                        lead_unit=lead,
                        coordinating_units=[u for u in coordinating if u.id != lead.id],
                        deadline=deadline,
                        is_recurring=bool(row.get("recurring")) and deadline is None,
                        source_text=row.get("source", ""),
                    )
                )
            except ValidationError as error:
                raise ValidationError(
                    {f"row-{index}-{field}": message for field, message in error.errors.items()}
                ) from error
    for unit, alias in aliases:
        add_alias(unit, alias)
    draft.status = "confirmed"
    draft.confirmed_dt = now_utc()
    db.session.flush()
    return created


def _row_deadline(row: dict[str, Any], index: int) -> date | None:
    raw = row.get("deadline")
    if not raw:
        return None
    try:
        return parse_date(str(raw))
    except ValueError as error:
        raise ValidationError(
            {f"row-{index}-deadline": _("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")}
        ) from error
