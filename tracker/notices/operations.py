"""From a notice to confirmed tasks: read, match units, keep the reviewer's edits, confirm."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.calendar.operations import working_calendar
from tracker.core.errors import ValidationError
from tracker.core.forms import parse_date
from tracker.core.text import fold, normalize
from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.models import NoticeDraft, NoticeDraftPage
from tracker.notices.ocr import PageImage
from tracker.notices.units import GroupMatch, UnitMatch, UnitMatcher
from tracker.tasks.models import Task
from tracker.tasks.operations import create_task
from tracker.units.models import Unit, UnitKind
from tracker.units.operations import add_alias, find_unit, save_unit

# Below this the review screen marks a proposal, or one of its fields, as doubtful.
DOUBTFUL_BELOW = 0.7
FIELDS = ("lead", "coordinating", "task", "deadline")

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


# Words the reader may leave at either end of a unit name it read from a directive ("Huyện
# đoàn chủ trì", "giao Phòng Nội vụ"): never part of a unit's name.
_ROLE_WORDS = (
    "chủ trì",
    "phối hợp",
    "thực hiện",
    "có trách nhiệm",
    "chịu trách nhiệm",
    "được giao",
    "khẩn trương",
    "tiếp tục",
    "giao cho",
    "giao",
    "đề nghị",
    "yêu cầu",
    "với",
    "cùng",
)
_ROLE_AT_END = re.compile(
    r"(?:[\s,;:.]+|^)(?:" + "|".join(_ROLE_WORDS) + r")[\s,;:.]*$", re.IGNORECASE
)
_ROLE_AT_START = re.compile(r"^[\s,;:.]*(?:" + "|".join(_ROLE_WORDS) + r")\s+", re.IGNORECASE)
_ROLE_INSIDE = re.compile(r"\b(?:chủ trì|phối hợp|thực hiện|trách nhiệm)\b", re.IGNORECASE)


def trim_role_words(name: str) -> str:
    """A unit name as the reader returned it, without role words at either end ("Huyện đoàn
    chủ trì" → "Huyện đoàn")."""
    name = normalize(name or "")
    while True:
        trimmed = _ROLE_AT_START.sub("", _ROLE_AT_END.sub("", name)).strip(" ,;:.")
        if trimmed == name:
            return name
        name = trimmed


def _match(matcher: UnitMatcher, name: str) -> dict[str, Any]:
    name = trim_role_words(name) or name
    found = matcher.match(name)
    if isinstance(found, GroupMatch):
        return {"unit_id": None, "group": found.kind}
    if isinstance(found, UnitMatch):
        return {"unit_id": found.unit_id, "group": None}
    unit = find_unit(name)  # exact alias hit the fuzzy matcher might score low
    return {"unit_id": unit.id if unit else None, "group": None}


def _field_confidence(proposal: Any) -> dict[str, float]:
    """The reader's confidence per field; a reader without it gives its overall confidence to
    every field."""
    given = getattr(proposal, "field_confidence", None) or {}
    overall = float(proposal.confidence)
    return {name: round(float(given.get(name, overall)), 2) for name in FIELDS}


def read_into_draft(
    meeting: Meeting,
    *,
    actor: User,
    text: str,
    pages: Sequence[PageImage] = (),
    source_kind: str = "text",
) -> NoticeDraft:
    """Read `text` and replace the meeting's open draft with the proposals; a scan's `pages`
    are kept with the draft for the review screen.

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
                # What the matcher chose: a different choice is the clerk's, by hand.
                "auto_lead_unit_id": lead["unit_id"],
                "coordinating": coordinating,
                "deadline": proposal.deadline.isoformat() if proposal.deadline else None,
                "deadline_text": proposal.deadline_text,
                "recurring": proposal.recurring,
                "source": proposal.source,
                "source_start": proposal.source_start,
                "source_end": proposal.source_end,
                "confidence": round(proposal.confidence, 2),
                "field_confidence": _field_confidence(proposal),
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
    draft.source_kind = source_kind
    draft.pages = [
        NoticeDraftPage(
            number=page.number,
            image=page.image,
            width=page.width,
            height=page.height,
            rotation=page.rotation,
            confidence=page.confidence,
            text=page.text,
            doubtful_words=list(page.doubtful_words),
        )
        for page in pages
    ]
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


def _picked_by_hand(row: dict[str, Any]) -> bool:
    """The clerk chose the lead unit: it is not the one the matcher proposed."""
    if not row.get("lead_unit_id"):
        return False
    if "auto_lead_unit_id" in row:
        return row["lead_unit_id"] != row["auto_lead_unit_id"]
    return bool(row.get("lead_mapped"))  # drafts read before auto_lead_unit_id was kept


MAX_ALIAS_CHARS = 120


def alias_to_learn(row: dict[str, Any], unit: Unit, notice_text: str) -> str | None:
    """The name to remember as an alias of `unit` for this row, or None.

    Only the name as the notice writes it (the reader's span, trimmed of role words such as
    "chủ trì"), only when it occurs in the notice as such, only when it differs from the unit's
    own names, and only when the clerk picked the unit by hand. A misread span ("Huyện đoàn chủ
    trì", two units run together) is never learned."""
    if not _picked_by_hand(row):
        return None
    name = trim_role_words(row.get("lead_name") or "")
    if not name or len(name) > MAX_ALIAS_CHARS or _ROLE_INSIDE.search(name):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    if name.casefold() not in normalize(notice_text).casefold():
        return None  # the reader put the name together (a title dropped, heads shared)
    if fold(name) in {fold(unit.name), fold(unit.short_name or "")}:
        return None
    return name


def confirm_draft(draft: NoticeDraft, *, actor: User) -> list[Task]:
    """Create every kept row as a task, in one transaction with the caller's commit.

    Raises ValidationError with keys "row-N-field" naming every row and field at fault; nothing
    is created then. Names the reviewer mapped to a unit by hand are remembered as aliases (see
    alias_to_learn).
    """
    meeting = draft.meeting
    errors: dict[str, str] = {}
    plans: list[tuple[int, list[Unit], list[Unit], date | None, dict[str, Any]]] = []
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
                alias = alias_to_learn(row, unit, draft.text)
                if alias:
                    aliases.append((unit, alias))
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
        deadline = None
        try:
            deadline = _row_deadline(row)
        except ValueError:
            errors[f"row-{index}-deadline"] = _("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")
        plans.append((index, leads, coordinating, deadline, row))
    if not plans and not errors:
        errors["rows"] = _("Không còn nhiệm vụ nào được chọn để tạo.")
    if errors:
        raise ValidationError(errors)
    created: list[Task] = []
    for index, leads, coordinating, deadline, row in plans:
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


def _row_deadline(row: dict[str, Any]) -> date | None:
    """The row's deadline; ValueError when it is not a date."""
    raw = row.get("deadline")
    if not raw:
        return None
    return parse_date(str(raw))


def rematch_units(draft: NoticeDraft) -> int:
    """Match the draft's names that matched no unit again (after a unit was added); returns
    how many names now match. A name matched this way counts as matched by the machine."""
    matcher = unit_matcher()
    found = 0
    rows = [dict(row) for row in draft.rows]
    for row in rows:
        if not row.get("lead_unit_id") and not row.get("lead_group") and row.get("lead_name"):
            lead = _match(matcher, row["lead_name"])
            if lead["unit_id"] or lead["group"]:
                row["lead_unit_id"], row["lead_group"] = lead["unit_id"], lead["group"]
                row["auto_lead_unit_id"] = lead["unit_id"]
                row["lead_matched"] = True
                found += 1
        items = []
        for item in row.get("coordinating", []):
            item = dict(item)
            if not item.get("unit_id") and item.get("name"):
                unit_id = _match(matcher, item["name"])["unit_id"]
                if unit_id:
                    item["unit_id"] = unit_id
                    found += 1
            items.append(item)
        row["coordinating"] = items
    update_rows(draft, rows)
    return found


def add_unit_from_review(
    draft: NoticeDraft, *, name: str, kind: str, short_name: str = ""
) -> tuple[Unit, int]:
    """Add a unit missing from the directory while reviewing a notice (an admin may rename or
    deactivate it later), then match the draft's unmatched names again. Returns the unit and
    how many names it (or the new matching) resolved. Raises ValidationError(name=/kind=)."""
    unit = save_unit(None, name=name, short_name=short_name, kind=kind)
    return unit, rematch_units(draft)


def unmatched_names(draft: NoticeDraft) -> list[str]:
    """The names of the draft the directory does not know yet, in reading order, once each."""
    names: dict[str, str] = {}
    for row in draft.rows:
        if not row.get("keep", True):
            continue
        if not row.get("lead_unit_id") and not row.get("lead_group") and row.get("lead_name"):
            name = trim_role_words(row["lead_name"])
            names.setdefault(fold(name), name)
        for item in row.get("coordinating", []):
            if not item.get("unit_id") and item.get("name"):
                name = trim_role_words(item["name"])
                names.setdefault(fold(name), name)
    return [name for name in names.values() if name]


@dataclass
class Check:
    """Why a field of a proposed task needs the clerk's eye."""

    field: str  # "lead", "coordinating", "task", "deadline" or "row"
    reason: str


def _field_label(field: str) -> str:
    return {
        "lead": _("đơn vị chủ trì"),
        "coordinating": _("đơn vị phối hợp"),
        "task": _("nội dung"),
        "deadline": _("thời hạn"),
    }.get(field, field)


_TOKEN = re.compile(r"\w+")


def _words_in(words: Sequence[str], text: str | None) -> list[str]:
    """The doubtful words that occur in `text` as whole words (case aside, accents kept: a
    doubtful "hố" is not "hồ")."""
    if not text:
        return []
    present = set(_TOKEN.findall(normalize(text).lower()))
    found = []
    for word in words:
        tokens = _TOKEN.findall(normalize(word).lower())
        if tokens and all(token in present for token in tokens):
            found.append(word)
    return found


def review_checks(draft: NoticeDraft, issued_on: date | None = None) -> dict[int, list[Check]]:
    """For each kept row that needs a second look, the fields and the reasons: the reader was
    unsure of a field, a name is not in the directory, a deadline phrase gave no date or a date
    far from the notice, or a scan's doubtful words fall in the row."""
    doubtful_words = [w for page in draft.pages for w in page.doubtful_words]
    issued = issued_on or _issued_on(draft)
    result: dict[int, list[Check]] = {}
    for index, row in enumerate(draft.rows):
        if not row.get("keep", True):
            continue
        checks: list[Check] = []
        confidence = row.get("field_confidence") or {}
        overall = float(row.get("confidence", 1.0))
        same = not confidence or len({confidence.get(f, overall) for f in FIELDS}) == 1
        if same and overall < DOUBTFUL_BELOW:
            checks.append(
                Check(
                    "row",
                    _(
                        "chương trình đọc không chắc chắn về dòng này (%(p)d%%)",
                        p=round(overall * 100),
                    ),
                )
            )
        elif not same:
            for field in FIELDS:
                value = float(confidence.get(field, overall))
                if value < DOUBTFUL_BELOW:
                    checks.append(
                        Check(
                            field,
                            _(
                                "chương trình đọc không chắc chắn về %(field)s (%(p)d%%)",
                                field=_field_label(field),
                                p=round(value * 100),
                            ),
                        )
                    )
        if not row.get("lead_unit_id") and not row.get("lead_group") and row.get("lead_name"):
            checks.append(
                Check("lead", _("“%(name)s” chưa có trong danh mục đơn vị", name=row["lead_name"]))
            )
        for item in row.get("coordinating", []):
            if not item.get("unit_id"):
                checks.append(
                    Check(
                        "coordinating",
                        _("“%(name)s” chưa có trong danh mục đơn vị", name=item.get("name", "")),
                    )
                )
        if row.get("deadline_text") and not row.get("deadline") and not row.get("recurring"):
            checks.append(
                Check(
                    "deadline",
                    _(
                        "văn bản nói “%(text)s” nhưng chưa ra ngày cụ thể",
                        text=row["deadline_text"],
                    ),
                )
            )
        deadline = row.get("deadline")
        if deadline and issued:
            try:
                days = (parse_date(str(deadline)) - issued).days
            except ValueError:
                days = 0
            if days > 366 or days < 0:
                checks.append(
                    Check("deadline", _("thời hạn cách xa ngày ban hành văn bản, hãy kiểm tra"))
                )
        if doubtful_words:
            for field, text in (
                ("lead", row.get("lead_name")),
                ("deadline", row.get("deadline_text")),
                ("coordinating", ", ".join(c.get("name", "") for c in row.get("coordinating", []))),
                ("task", row.get("task")),
            ):
                words = _words_in(doubtful_words, text)
                if words:
                    checks.append(
                        Check(
                            field,
                            _(
                                "chữ nhận dạng từ bản scan không rõ: %(words)s — đối chiếu với ảnh",
                                words=", ".join(f"“{w}”" for w in dict.fromkeys(words)),
                            ),
                        )
                    )
        if checks:
            result[index] = checks
    return result


def _issued_on(draft: NoticeDraft) -> date | None:
    if draft.meeting.notice_issued_on:
        return draft.meeting.notice_issued_on
    raw = (draft.header or {}).get("issued_on")
    try:
        return date.fromisoformat(raw) if raw else draft.meeting.held_on
    except ValueError:
        return draft.meeting.held_on
