"""Form for a unit of the directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from tracker.core.forms import Line, Select, max_length, optional, required
from tracker.units.models import UnitKind

KIND_LABELS = {
    UnitKind.DEPARTMENT.value: _l("Phòng, ban chuyên môn"),
    UnitKind.COMMUNE.value: _l("Xã, thị trấn"),
    UnitKind.OFFICE.value: _l("Văn phòng"),
    UnitKind.OTHER.value: _l("Khác"),
}


class UnitForm(FlaskForm):
    name = Line(_l("Tên đơn vị"), validators=[required(), max_length(200)])
    short_name = Line(_l("Tên viết tắt"), validators=[optional(), max_length(60)])
    kind = Select(_l("Loại"), choices=list(KIND_LABELS.items()))
    parent_id = Select(_l("Đơn vị cấp trên"), coerce=int, validators=[optional()])
    aliases = TextAreaField(
        _l("Tên gọi khác (mỗi dòng một tên)"), validators=[optional(), max_length(5000)]
    )
    is_active = BooleanField(_l("Đang hoạt động"), default=True)
