"""The form for declaring a day off or a working day."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from tracker.core.forms import DateInput, Line, Select, max_length, optional, required

DAY_KINDS = {
    "off": _l("Ngày nghỉ (nghỉ bù, nghỉ hoán đổi)"),
    "working": _l("Ngày làm việc (làm bù thứ Bảy)"),
}


class CalendarDayForm(FlaskForm):
    day = DateInput(_l("Ngày"), validators=[required()])
    kind = Select(_l("Loại ngày"))
    note = Line(_l("Ghi chú"), validators=[optional(), max_length(200)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = list(DAY_KINDS.items())
