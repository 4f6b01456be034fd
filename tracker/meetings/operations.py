"""Recording meetings and their conclusion notices."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import Role, User
from tracker.core.errors import ValidationError
from tracker.core.limits import date_in_range, date_range_message, is_blank
from tracker.core.text import normalize
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.units.models import Unit

MAX_NOTICE_CHARS = 2_000_000


def chairs() -> list[User]:
    """Users who can chair a meeting."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.CHAIR, User.is_active_user.is_(True))
            .order_by(User.full_name)
        )
    )


def save_meeting(
    meeting: Meeting | None,
    *,
    actor: User,
    title: str,
    held_on: date | None,
    place: str = "",
    chair: User | None = None,
    attending_units: list[Unit] | None = None,
    notice_number: str = "",
    notice_issued_on: date | None = None,
    notice_signer: str = "",
    notice_text: str = "",
) -> Meeting:
    """Create (meeting=None) or update a meeting and its notice."""
    title = normalize(title)
    errors: dict[str, str] = {}
    if is_blank(title):
        errors["title"] = _("Vui lòng nhập tên cuộc họp.")
    if held_on is None:
        errors["held_on"] = _("Vui lòng nhập ngày họp.")
    elif not date_in_range(held_on):
        errors["held_on"] = date_range_message()
    if not date_in_range(notice_issued_on):
        errors["notice_issued_on"] = date_range_message()
    if notice_issued_on and held_on and notice_issued_on < held_on:
        errors["notice_issued_on"] = _("Ngày ban hành thông báo không thể trước ngày họp.")
    if len(notice_text) > MAX_NOTICE_CHARS:
        errors["notice_text"] = _(
            "Nội dung thông báo quá dài (tối đa %(n)s ký tự).", n=f"{MAX_NOTICE_CHARS:,}"
        )
    if chair is not None and chair.role != Role.CHAIR:
        errors["chair"] = _("Người chủ trì phải là lãnh đạo UBND.")
    if meeting is not None and held_on is not None:
        earliest = min((t.deadline for t in meeting.tasks if t.deadline), default=None)
        if earliest is not None and earliest < held_on:
            errors["held_on"] = _("Ngày họp không thể sau thời hạn của nhiệm vụ đã giao.")
    if errors:
        raise ValidationError(errors)
    if meeting is None:
        meeting = Meeting(created_by=actor)
        db.session.add(meeting)
    meeting.title = title
    meeting.held_on = held_on  # type: ignore[assignment]
    meeting.place = normalize(place)
    meeting.chair = chair
    meeting.attending_units = list(attending_units or [])
    meeting.notice_number = normalize(notice_number)
    meeting.notice_issued_on = notice_issued_on
    meeting.notice_signer = normalize(notice_signer)
    meeting.notice_text = notice_text.replace("\r\n", "\n")
    db.session.flush()
    return meeting
