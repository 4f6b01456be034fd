"""Vietnamese text helpers: normalisation and diacritic folding for search and sorting."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC-normalise `text` and collapse whitespace, so NFD input reads the same as NFC."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def fold(text: str) -> str:
    """Lower-case `text` and strip Vietnamese diacritics ("Nội vụ" -> "noi vu"), for search keys."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return normalize(stripped.replace("đ", "d"))
