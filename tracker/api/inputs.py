"""Reading JSON request bodies and query strings into typed values, with field errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from flask import abort, request
from flask_babel import gettext as _

from tracker.core.errors import ValidationError
from tracker.core.limits import date_in_range, date_range_message, is_blank

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def raw_query() -> dict[str, list[str]]:
    """The query arguments as sent, NUL characters included."""
    return parse_qs(request.query_string.decode("utf-8", "replace"), keep_blank_values=True)


def unknown_query_parameters(known: Iterable[str]) -> dict[str, str]:
    """A field error for each query parameter not in `known` (at most 20). Read from the raw
    query: the arguments have lost their NUL characters, and "lang\x00" must not pass for
    "lang"."""
    known = frozenset(known)
    unknown = sorted(name for name in raw_query() if name not in known)
    return {name[:100]: _("Tham số này không được hỗ trợ.") for name in unknown[:20]}


def read_json_object() -> dict[str, Any]:
    """The request body as a JSON object, whatever the Content-Type header says (curl -d sends
    form encoding); ValidationError on anything else."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise ValidationError({"body": _("Nội dung gửi lên không phải JSON hợp lệ.")}) from None
    except RecursionError:
        # 100,000 nested "[": the parser's recursion gave out before the body did. Refused
        # as a bad request (400), not read as a body with a bad field (422).
        abort(400, description=_("Nội dung JSON lồng nhau quá sâu, không được nhận."))
    if not isinstance(data, dict):
        raise ValidationError({"body": _("Nội dung gửi lên phải là một đối tượng JSON.")})
    return data


def parse_date(text: str) -> date | None:
    """A strict YYYY-MM-DD date, or None when `text` is not one (2017-02-31 is not)."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class Fields:
    """Reads the fields of a JSON object, collecting one message per bad field."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}
        for name in data:
            if name not in allowed:
                self.errors[name] = _("Trường này không được hỗ trợ.")

    def check(self) -> None:
        """Raise ValidationError when any field was bad."""
        if self.errors:
            raise ValidationError(self.errors)

    def integer(
        self, name: str, *, required: bool = False, low: int | None = None, high: int | None = None
    ) -> int | None:
        """A whole number, optionally within [low, high]."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = _("Vui lòng nhập giá trị này.")
            return None
        # bool is an int in Python, but `true` is no version or percentage.
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = _("Giá trị phải là một số nguyên.")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.errors[name] = _("Giá trị phải từ %(low)s đến %(high)s.", low=low, high=high)
            return None
        return value

    def string(self, name: str, *, required: bool = False, max_length: int = 20_000) -> str | None:
        """A text; required means present and not blank."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = _("Vui lòng nhập nội dung.")
            return None
        if not isinstance(value, str):
            self.errors[name] = _("Giá trị phải là một chuỗi ký tự.")
            return None
        # NUL is dropped as the forms do (PostgreSQL cannot store it); a lone surrogate
        # ("\ud800" is valid JSON) cannot be stored as UTF-8 anywhere.
        value = value.replace("\x00", "")
        if _SURROGATE.search(value):
            self.errors[name] = _("Nội dung chứa ký tự không hợp lệ.")
            return None
        if required and is_blank(value):
            self.errors[name] = _("Vui lòng nhập nội dung.")
            return None
        if len(value) > max_length:
            self.errors[name] = _("Nội dung quá dài (tối đa %(n)s ký tự).", n=f"{max_length:,}")
            return None
        return value

    def choice(self, name: str, values: Iterable[str]) -> str | None:
        """One of `values`."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or value not in set(values):
            self.errors[name] = _("Giá trị không hợp lệ: %(value)s.", value=_shown(value))
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """true or false."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = _("Vui lòng chọn true hoặc false.")
            return None
        if not isinstance(value, bool):
            self.errors[name] = _("Giá trị phải là true hoặc false.")
            return None
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = _("Vui lòng nhập ngày (YYYY-MM-DD).")
            return None
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.errors[name] = _(
                "Ngày không hợp lệ: %(value)s (cần dạng YYYY-MM-DD, ví dụ 2017-04-20).",
                value=_shown(value),
            )
        elif not date_in_range(parsed):
            self.errors[name] = date_range_message()
            return None
        return parsed
