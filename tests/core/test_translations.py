"""The English catalogue: complete, compiled, in step with the sources, and used by the pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tracker import ROOT

CATALOGUE = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "messages.po"
MO_FILE = CATALOGUE / "messages.mo"
# The same keywords `make translations` passes to pybabel extract (-k _l -k lazy_gettext -k N_).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
VIETNAMESE_LETTERS = re.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]"
)


def _po() -> Catalog:
    with PO_FILE.open("rb") as f:
        return read_po(f, locale="en")


def _key(message_id: str | tuple[str, ...], context: str | None) -> tuple[str | None, str]:
    singular = message_id[0] if isinstance(message_id, tuple | list) else message_id
    return context, singular


def _strings(message_string: str | Iterable[str]) -> list[str]:
    return [message_string] if isinstance(message_string, str) else list(message_string)


def _as_dict(catalog: Catalog) -> dict[tuple[str | None, object], object]:
    return {
        (m.context, m.id if isinstance(m.id, str) else tuple(m.id)): (
            m.string if isinstance(m.string, str) else tuple(m.string)
        )
        for m in catalog
        if m.id
    }


def test_every_message_is_translated() -> None:
    catalog = _po()
    assert len(catalog) > 100
    untranslated = [m.id for m in catalog if m.id and not all(_strings(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.obsolete


def test_translations_keep_the_placeholders() -> None:
    for message in _po():
        if not message.id:
            continue
        source = _strings(message.id)
        for i, translated in enumerate(_strings(message.string)):
            expected = sorted(PLACEHOLDER.findall(source[min(i, len(source) - 1)]))
            assert sorted(PLACEHOLDER.findall(translated)) == expected, message.id


def test_plural_messages_have_english_plural_forms() -> None:
    plurals = [m for m in _po() if m.id and m.pluralizable]
    assert plurals
    for message in plurals:
        one, many = message.string
        assert one and many and one != many, message.id


def test_compiled_catalogue_matches_the_po_file() -> None:
    fresh = io.BytesIO()
    write_mo(fresh, _po())
    fresh.seek(0)
    with MO_FILE.open("rb") as f:
        committed = read_mo(f)
    assert _as_dict(committed) == _as_dict(read_mo(fresh))


def test_no_source_string_is_missing_from_the_catalogue() -> None:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    known = {_key(m.id, m.context) for m in _po() if m.id}
    missing = set()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = _key(message, context)
        if key[1] and key not in known:
            missing.add(f"{filename}:{lineno}: {key[1]}")
    assert sorted(missing) == [], "run `make translations` and translate the new strings"


def test_english_pages_show_english_navigation(login, world) -> None:
    client = login(world.lead_user)
    client.post("/language/en")
    page = client.get("/tasks/mine").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Unit tasks" in page
    nav = re.search(r"<nav\b.*?</nav>", page, re.S)
    assert nav is not None
    for label in ("Unit tasks", "Task list", "Meetings"):
        assert label in nav.group(0)
    for vietnamese in ("Việc của đơn vị", "Danh sách nhiệm vụ", "Cuộc họp", "Đăng xuất"):
        assert vietnamese not in page
    assert not VIETNAMESE_LETTERS.search(nav.group(0))
    assert "Log out" in page


def test_vietnamese_stays_the_default(login, world) -> None:
    page = login(world.lead_user).get("/tasks/mine").get_data(as_text=True)
    assert "Việc của đơn vị" in page and "Unit tasks" not in page
