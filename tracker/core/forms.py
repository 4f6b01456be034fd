"""Form fields and validators with messages in the user's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, StopValidation
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.core.limits import (
    control_message,
    date_in_range,
    date_range_message,
    has_control,
    is_blank,
)


class _Required(DataRequired):
    """DataRequired that also takes text made only of invisible characters (zero-width
    spaces, direction marks) for empty."""

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and is_blank(field.data):
            field.errors[:] = []
            raise StopValidation(self.message)
        super().__call__(form, field)


def required() -> DataRequired:
    """A required field, with the message in the user's language."""
    return _Required(message=_l("Vui lòng điền mục này."))


def single_line() -> Any:
    """A validator refusing control characters (CR, LF, TAB ...), line separators and invisible
    formatting characters: one-line values end up in mail headers, file names and lists."""

    def check(form: Any, field: Field) -> None:
        if isinstance(field.data, str) and has_control(field.data):
            raise StopValidation(control_message())

    return check


class Line(StringField):
    """A one-line text field: control characters, line breaks and invisible formatting
    characters are refused with a message, before any other check."""

    def pre_validate(self, form: Any) -> None:
        single_line()(form, self)


def max_length(n: int) -> Length:
    """At most `n` characters."""
    return Length(max=n, message=_l("Tối đa %(max)d ký tự."))


def email() -> Email:
    """A syntactically valid e-mail address (no DNS lookup)."""
    return Email(message=_l("Địa chỉ thư điện tử không hợp lệ."), check_deliverability=False)


def percent() -> NumberRange:
    """A percentage."""
    return NumberRange(min=0, max=100, message=_l("Giá trị phải từ 0 đến 100."))


def optional() -> Optional:
    """An optional field."""
    return Optional()


def parse_date(text: str) -> date | None:
    """Read dd/mm/yyyy (as users type it) or yyyy-mm-dd (as browsers send it)."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class DateInput(StringField):
    """A date typed as dd/mm/yyyy or picked in the browser; keeps the raw text on error."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = kwargs.pop("render_kw", {}) or {}
        render_kw.setdefault("type", "date")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = valuelist[0] if valuelist else ""
        self.data = None
        try:
            day = parse_date(self.raw_text)
        except ValueError:
            self.process_errors.append(str(_l("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")))
            return
        if not date_in_range(day):
            # Kept as typed, refused with the range: a year 9999 is a slip, not a deadline.
            self.process_errors.append(date_range_message())
            return
        self.data = day

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            # Stop here: "required" would otherwise replace "invalid date" with "missing".
            raise StopValidation()

    def _value(self) -> str:
        if getattr(self, "raw_text", None) and self.data is None:
            return self.raw_text
        return self.data.isoformat() if isinstance(self.data, date) else ""


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes; ids not in the choices are an error
    named in the user's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        valid = {value for value, _label in (self.choices or [])}
        unknown = [v for v in (self.data or []) if v not in valid]
        if unknown:
            raise FieldError(str(_l("Có lựa chọn không tồn tại trong danh mục.")))

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = [self.coerce(v) for v in valuelist]
        except (ValueError, TypeError):
            self.data = []
            self.process_errors.append(str(_l("Có lựa chọn không hợp lệ.")))


def choice_check(field: Field) -> None:
    """Turn WTForms' English "Not a valid choice" into the user's language."""
    field.errors = [
        str(_l("Lựa chọn không tồn tại trong danh mục.")) if "choice" in str(e).lower() else e
        for e in field.errors
    ]


class Select(SelectField):
    """A single choice whose refusal is worded in the user's language."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        try:
            self.data = self.coerce(valuelist[0])
        except (ValueError, TypeError):
            self.data = None
            self.process_errors.append(str(_l("Lựa chọn không hợp lệ.")))

    def pre_validate(self, form: Any) -> None:
        valid = {value for value, *_rest in (self.choices or [])}
        if self.data not in valid:
            raise FieldError(str(_l("Lựa chọn không tồn tại trong danh mục.")))


class WholeNumber(IntegerField):
    """An integer whose refusal is worded in the user's language."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.raw_text = valuelist[0]
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            self.process_errors.append(str(_l("Vui lòng nhập một số nguyên.")))

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.data is None and getattr(self, "raw_text", None):
            return self.raw_text
        return "" if self.data is None else str(self.data)
