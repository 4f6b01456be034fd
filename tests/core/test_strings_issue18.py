"""No raw or foreign strings (issue 18 §8): audit events by name, the outbox's dates in local
time, the notifications page in English, file sizes in each language's format, a favicon,
search examples with their diacritics, the package licence in PEP 639 form."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from tests.factories import World
from tracker import ROOT
from tracker.auth.audit import KIND_LABELS, AuditKind, record
from tracker.core.web import format_file_size
from tracker.extensions import db
from tracker.reminders.mail import outbox_folder

VIETNAMESE_LETTERS = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]"
)


def test_every_audit_event_has_a_name() -> None:
    assert set(KIND_LABELS) == set(AuditKind)
    assert len({str(label) for label in KIND_LABELS.values()}) == len(AuditKind)


def test_the_audit_log_names_its_events(app: Flask, world: World, login) -> None:  # type: ignore[no-untyped-def]
    record(AuditKind.LOGIN_FAILED, username="noivu")
    record(AuditKind.MFA_RESET, actor=world.admin, detail="user=noivu")
    record("legacy_event", username="noivu")  # recorded by an older version: kept as written
    db.session.commit()
    admin = login(world.admin)
    page = admin.get("/admin/audit").text
    assert "Đăng nhập sai" in page and "Đặt lại xác thực hai lớp" in page
    assert ">login_failed<" not in page and ">mfa_reset<" not in page
    # The filter's choices too: the label shown, the key sent.
    assert '<option value="login_failed" >Đăng nhập sai</option>' in page
    assert "legacy_event" in page
    filtered = admin.get("/admin/audit?kind=mfa_reset").text
    assert "Đặt lại xác thực hai lớp" in filtered and "user=noivu" in filtered
    admin.post("/language/en")
    english = admin.get("/admin/audit").text
    assert "Failed login" in english and "Two-factor authentication reset" in english


def _outbox_message(name: str, date_header: str | None) -> None:
    message = EmailMessage()
    message["From"] = "tracker@vanho.example"
    message["To"] = "noivu@vanho.example"
    message["Subject"] = "Nhắc việc ngày 17/04/2017"
    if date_header is not None:
        message["Date"] = date_header
    message.set_content("Kính gửi Phòng Nội vụ")
    folder = outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(message.as_bytes())


def test_the_outbox_shows_local_dates(app: Flask, world: World, login) -> None:  # type: ignore[no-untyped-def]
    # 23:30 UTC on the 16th is 06:30 on the 17th in Hanoi (UTC+7).
    _outbox_message("a.eml", "Sun, 16 Apr 2017 23:30:00 +0000")
    _outbox_message("b.eml", None)
    admin = login(world.admin)
    page = admin.get("/admin/reminders/outbox").text
    assert "17/04/2017 06:30" in page
    assert "+0000" not in page and "Sun, 16 Apr" not in page
    shown = admin.get("/admin/reminders/outbox/a.eml").text
    assert "17/04/2017 06:30" in shown and "+0000" not in shown
    assert admin.get("/admin/reminders/outbox/b.eml").status_code == 200


def test_the_notifications_page_has_an_english_title(app: Flask, world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.lead_user)
    assert "<h1>Thông báo" in client.get("/notifications/").text
    client.post("/language/en")
    page = client.get("/notifications/").text
    assert re.search(r"<title>Notifications ·", page)
    assert "<h1>Notifications" in page
    assert "<h1>Notice" not in page


@pytest.mark.parametrize(
    ("size", "vi", "en"),
    [
        (512, "512 B", "512 B"),
        (1536, "1,5 KB", "1.5 KB"),
        (1536 * 1024, "1,5 MB", "1.5 MB"),
        (20 * 1024 * 1024, "20 MB", "20 MB"),
        (1234 * 1024**3, "1.234 GB", "1,234 GB"),
    ],
)
def test_file_sizes_in_each_language(app: Flask, size: int, vi: str, en: str) -> None:
    with app.test_request_context("/"):
        with force_locale("vi"):
            assert format_file_size(size) == vi
        with force_locale("en"):
            assert format_file_size(size) == en
        rendered = app.jinja_env.from_string("{{ n|filesize }}").render(n=size)
        assert rendered == vi  # the app's default language


def test_pages_carry_a_favicon(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login").text
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert link, "no favicon link"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert ET.fromstring(icon.data).tag == "{http://www.w3.org/2000/svg}svg"


PLACEHOLDER_EXAMPLE = re.compile(r"placeholder=\"\{\{ _\('ví dụ: ([^']+)'\) \}\}\"")
SEARCH_TEMPLATES = sorted(
    str(path.relative_to(ROOT / "templates"))
    for path in (ROOT / "templates").rglob("*.html")
    if PLACEHOLDER_EXAMPLE.search(path.read_text(encoding="utf-8"))
)


@pytest.mark.parametrize("template", SEARCH_TEMPLATES)
def test_search_examples_are_written_with_diacritics(template: str) -> None:
    text = (ROOT / "templates" / template).read_text(encoding="utf-8")
    for example in PLACEHOLDER_EXAMPLE.findall(text):
        assert VIETNAMESE_LETTERS.search(example), f"{template}: “{example}” lacks diacritics"


def test_the_units_example_finds_what_it_shows(app: Flask, world: World, login) -> None:  # type: ignore[no-untyped-def]
    page = login(world.admin).get("/admin/units/", query_string={"q": "nội vụ"}).text
    assert 'placeholder="ví dụ: nội vụ"' in page
    assert world.noivu.name in page and world.tuphap.name not in page


def test_the_licence_is_an_spdx_expression() -> None:
    project = tomllib.loads(Path(ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    classifiers = project["project"].get("classifiers", [])
    assert not [c for c in classifiers if c.startswith("License ::")]
    # PEP 639 strings need setuptools 77; an older one would refuse the string.
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in requires)
