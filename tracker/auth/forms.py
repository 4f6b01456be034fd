"""Forms for logging in, the profile and user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField

from tracker.auth.models import Role
from tracker.core.forms import Line, Select, email, max_length, optional, required, single_line

ROLE_LABELS = {
    Role.UNIT.value: _l("Cán bộ đơn vị"),
    Role.UNIT_HEAD.value: _l("Trưởng đơn vị (giao việc cho cán bộ)"),
    Role.CHAIR.value: _l("Lãnh đạo UBND (Chủ tịch, Phó Chủ tịch)"),
    Role.OFFICE.value: _l("Văn phòng HĐND và UBND"),
    Role.ADMIN.value: _l("Quản trị hệ thống"),
}

LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class LoginForm(FlaskForm):
    username = Line(_l("Tên đăng nhập"), validators=[required(), max_length(64)])
    password = PasswordField(_l("Mật khẩu"), validators=[required(), max_length(1000)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))


class ProfileForm(FlaskForm):
    full_name = Line(_l("Họ và tên"), validators=[required(), max_length(120)])
    email = EmailField(
        _l("Thư điện tử nhận nhắc việc"),
        validators=[optional(), single_line(), email(), max_length(254)],
    )
    locale = Select(_l("Ngôn ngữ"), choices=LANGUAGE_CHOICES)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[required()])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[required(), max_length(1000)])


class UserForm(FlaskForm):
    username = Line(_l("Tên đăng nhập"), validators=[required(), max_length(64)])
    full_name = Line(_l("Họ và tên"), validators=[required(), max_length(120)])
    email = EmailField(
        _l("Thư điện tử"),
        validators=[optional(), single_line(), email(), max_length(254)],
    )
    unit_id = Select(_l("Đơn vị"), coerce=int, validators=[optional()])
    role = Select(_l("Vai trò"), choices=list(ROLE_LABELS.items()))
    locale = Select(_l("Ngôn ngữ"), choices=LANGUAGE_CHOICES)
    is_active = BooleanField(_l("Đang hoạt động"), default=True)
    password = PasswordField(
        _l("Mật khẩu (để trống nếu không đổi)"), validators=[optional(), max_length(1000)]
    )


class LoginCodeForm(FlaskForm):
    """The second login step: a code from the authenticator app, or a recovery code."""

    code = Line(
        _l("Mã xác thực hoặc mã dự phòng"),
        validators=[required(), max_length(32)],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )


class SecondFactorForm(FlaskForm):
    """Turning the second factor on or off, or renewing recovery codes: password and a code."""

    password = PasswordField(_l("Mật khẩu hiện tại"), validators=[required(), max_length(1000)])
    code = Line(
        _l("Mã xác thực"),
        validators=[required(), max_length(32)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )
