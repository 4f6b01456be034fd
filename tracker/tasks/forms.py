"""Forms for assigning a task, reporting progress and deciding."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, TextAreaField
from wtforms.validators import NumberRange

from tracker.core.forms import (
    CheckboxListField,
    DateInput,
    Select,
    WholeNumber,
    max_length,
    optional,
    percent,
    required,
)
from tracker.tasks.operations import MAX_CONTENT_CHARS, MAX_NOTE_CHARS


class TaskForm(FlaskForm):
    content = TextAreaField(
        _l("Nội dung nhiệm vụ"),
        validators=[required(), max_length(MAX_CONTENT_CHARS)],
        render_kw={"rows": 4},
    )
    lead_unit_id = Select(_l("Đơn vị chủ trì"), coerce=int)
    coordinating_unit_ids = CheckboxListField(_l("Đơn vị phối hợp"), coerce=int)
    responsible_id = Select(_l("Người phụ trách (thuộc đơn vị chủ trì)"), coerce=int)
    deadline = DateInput(_l("Thời hạn"), validators=[optional()])
    is_recurring = BooleanField(_l("Không thời hạn / thực hiện thường xuyên"))
    # Lặp lại: a periodic directive ("báo cáo hằng tháng trước ngày 25").
    repeat = Select(_l("Lặp lại"), default="")
    repeat_day = WholeNumber(
        _l("Ngày trong tháng"),
        validators=[
            optional(),
            NumberRange(min=1, max=31, message=_l("Ngày phải từ 1 đến 31.")),
        ],
        render_kw={"min": 1, "max": 31, "inputmode": "numeric"},
    )
    repeat_month = Select(_l("Tháng (lặp hằng năm)"), coerce=int, default=0)
    repeat_end = DateInput(_l("Lặp đến ngày"), validators=[optional()])
    reason = TextAreaField(
        _l("Lý do điều chỉnh"), validators=[optional(), max_length(2000)], render_kw={"rows": 2}
    )
    version = HiddenField()


class ProgressForm(FlaskForm):
    """Cập nhật tiến độ: how far the work is; it does not submit the result."""

    note = TextAreaField(
        _l("Nội dung báo cáo"),
        validators=[required(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 3},
    )
    progress = WholeNumber(
        _l("Tiến độ (%)"),
        validators=[optional(), percent()],
        render_kw={"min": 0, "max": 100, "step": 5, "inputmode": "numeric"},
    )
    files = MultipleFileField(_l("Tệp đính kèm"))
    version = HiddenField()


class ResultForm(FlaskForm):
    """Báo cáo hoàn thành: the result, sent for the chair's confirmation."""

    note = TextAreaField(
        _l("Kết quả thực hiện"),
        validators=[required(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 4},
    )
    files = MultipleFileField(_l("Văn bản, tài liệu kết quả"))
    version = HiddenField()


class CommentForm(FlaskForm):
    note = TextAreaField(
        _l("Ý kiến, đóng góp"),
        validators=[required(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 3},
    )
    files = MultipleFileField(_l("Tệp đính kèm"))


class DecisionForm(FlaskForm):
    action = HiddenField(validators=[required()])
    reason = TextAreaField(
        _l("Lý do / ý kiến"),
        validators=[optional(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 2},
    )
    version = HiddenField()


class ExtensionRequestForm(FlaskForm):
    new_deadline = DateInput(_l("Thời hạn đề nghị"), validators=[required()])
    reason = TextAreaField(
        _l("Lý do xin gia hạn"),
        validators=[required(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 3},
    )
    version = HiddenField()


class ExtensionDecisionForm(FlaskForm):
    action = HiddenField(validators=[required()])
    deadline = DateInput(_l("Gia hạn đến ngày (để trống: theo đề nghị)"), validators=[optional()])
    comment = TextAreaField(
        _l("Ý kiến"),
        validators=[optional(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 2},
    )
    version = HiddenField()
