"""Forms of the reminder settings, the webhooks and a person's preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.validators import URL, InputRequired

from tracker.core.forms import Line, Select, WholeNumber, max_length, optional, required
from tracker.reminders.models import EventMode


def _given() -> InputRequired:
    # DataRequired would call 0 "missing"; 0 must reach the range check and its message.
    return InputRequired(message=_l("Vui lòng điền mục này."))


class SettingsForm(FlaskForm):
    days_before = WholeNumber(_l("Nhắc trước hạn (số ngày làm việc)"), validators=[_given()])
    on_deadline_day = BooleanField(_l("Nhắc vào buổi sáng ngày đến hạn"))
    overdue_every = WholeNumber(
        _l("Khi quá hạn, nhắc lại sau mỗi (ngày làm việc)"), validators=[_given()]
    )
    escalate_after = WholeNumber(
        _l("Báo lãnh đạo và văn phòng khi quá hạn (ngày làm việc)"), validators=[_given()]
    )
    confirmation_after = WholeNumber(
        _l("Nhắc lãnh đạo khi kết quả chờ xác nhận quá (ngày làm việc)"), validators=[_given()]
    )
    extension_reminders = BooleanField(
        _l("Nhắc lãnh đạo về đề nghị gia hạn chờ quyết định vào sáng ngày làm việc kế tiếp")
    )
    digest_time = Line(
        _l("Giờ gửi thư tổng hợp hằng ngày (HH:MM)"), validators=[required(), max_length(5)]
    )
    max_attempts = WholeNumber(_l("Số lần gửi thử tối đa"), validators=[_given()])
    retry_minutes = WholeNumber(
        _l("Chờ trước lần gửi lại đầu tiên (phút, tăng gấp đôi mỗi lần)"), validators=[_given()]
    )


class WebhookForm(FlaskForm):
    unit_id = Select(_l("Đơn vị"), coerce=int)
    url = Line(
        _l("Địa chỉ nhận (URL)"),
        validators=[
            required(),
            max_length(500),
            URL(require_tld=False, message=_l("Địa chỉ URL không hợp lệ.")),
        ],
    )
    secret = Line(_l("Khoá ký (để trống để tạo tự động)"), validators=[optional(), max_length(128)])
    is_active = BooleanField(_l("Đang sử dụng"), default=True)


class PreferencesForm(FlaskForm):
    event_mode = RadioField(
        _l("Thông báo khi được giao việc, bị trả lại, có quyết định gia hạn"),
        choices=[
            (EventMode.IMMEDIATE.value, _l("Gửi thư ngay")),
            (EventMode.DIGEST.value, _l("Gộp vào thư tổng hợp hằng ngày")),
        ],
        default=EventMode.IMMEDIATE.value,
    )
