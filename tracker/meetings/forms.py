"""Form for a meeting and its conclusion notice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from tracker.core.forms import (
    CheckboxListField,
    DateInput,
    Line,
    Select,
    max_length,
    optional,
    required,
)

# Long enough for any real notice; longer pastes get a field error, not a dropped request.
NOTICE_MAX_CHARS = 2_000_000


class MeetingForm(FlaskForm):
    title = Line(_l("Tên cuộc họp"), validators=[required(), max_length(500)])
    held_on = DateInput(_l("Ngày họp"), validators=[required()])
    place = Line(_l("Địa điểm"), validators=[optional(), max_length(200)])
    chair_id = Select(_l("Người chủ trì"), coerce=int)
    attending_unit_ids = CheckboxListField(_l("Đơn vị dự họp"), coerce=int)
    notice_number = Line(
        _l("Số thông báo kết luận"),
        validators=[optional(), max_length(60)],
        render_kw={"placeholder": "45/TB-UBND"},
    )
    notice_issued_on = DateInput(_l("Ngày ban hành"), validators=[optional()])
    notice_signer = Line(_l("Người ký"), validators=[optional(), max_length(120)])
    notice_text = TextAreaField(
        _l("Toàn văn thông báo kết luận"),
        validators=[optional(), max_length(NOTICE_MAX_CHARS)],
        render_kw={"rows": 12},
    )
