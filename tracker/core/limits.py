"""Bounds on what people may enter: dates within 2000-2100, one-line text without control
characters, text that is more than invisible characters."""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import gettext as _

# Deadlines, meeting days and holidays of a tracker that started in the 2010s: anything
# outside is a typing slip (31/12/9999 broke every calendar feed that carried it).
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)

# The largest id the database holds (a 32-bit signed integer column on PostgreSQL): an id past
# it in a URL, a query string or a body is refused before a query overflows.
MAX_ID = 2**31 - 1

# Characters that change how the text around them is shown without being seen themselves:
# the bidirectional overrides and isolates (U+202E turned "…fdp.bat" into "…tab.pdf") and
# the zero-width ones.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)


def date_in_range(day: date | None) -> bool:
    """Whether `day` (None: no date) lies within DATE_MIN..DATE_MAX."""
    return day is None or DATE_MIN <= day <= DATE_MAX


def date_range_message() -> str:
    """The refusal of a date out of range, in the user's language."""
    return _(
        "Ngày phải nằm trong khoảng từ %(low)s đến %(high)s.",
        low=f"{DATE_MIN:%d/%m/%Y}",
        high=f"{DATE_MAX:%d/%m/%Y}",
    )


def is_control(ch: str) -> bool:
    """A character no one-line value may hold: C0/C1 controls (CR, LF, TAB, ESC ...), the line
    and paragraph separators, and the invisible formatting characters above."""
    return ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def has_control(text: str | None) -> bool:
    """Whether `text` holds a character that a one-line field refuses."""
    return any(is_control(ch) for ch in text or "")


def control_message() -> str:
    """The refusal of a one-line value holding control characters."""
    return _("Nội dung không được chứa ký tự điều khiển, xuống dòng hay ký tự ẩn.")


def strip_controls(text: str) -> str:
    """`text` without the characters `is_control` names (for names kept from before)."""
    return "".join(ch for ch in text if not is_control(ch))


def is_blank(text: str | None) -> bool:
    """Whether `text` is empty once whitespace and invisible characters are set aside: a note
    of zero-width spaces says nothing."""
    return not any(
        not ch.isspace() and ch not in _INVISIBLE and unicodedata.category(ch) != "Cf"
        for ch in text or ""
    )
