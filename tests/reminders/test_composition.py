"""Composing reminder e-mails: the message stored header by header (ComposedMessage) says what
the library's own message (set_content, add_alternative) says, in both languages, and the
transports send it as it was composed."""

from __future__ import annotations

import base64
import re
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from tests.reminders.conftest import SmtpHandler
from tracker.auth.models import User
from tracker.core.time import now_utc
from tracker.reminders.mail import (
    MAX_HEADER_ITEMS,
    MAX_ITEMS_PER_GROUP,
    ComposedMessage,
    Digest,
    DigestGroup,
    DigestIdentity,
    FileOutbox,
    Item,
    SmtpMailer,
    _message,
    compose_digest,
)
from tracker.reminders.models import Audience

DAY = date(2017, 4, 17)
LONG_CONTENT = (
    "Báo cáo Ủy ban nhân dân tỉnh về tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội, "
    "phối hợp với các sở, ngành liên quan tổ chức kiểm tra, đôn đốc tiến độ giải ngân vốn đầu tư "
    "công năm 2017 và đề xuất giải pháp tháo gỡ khó khăn trong bồi thường, giải phóng mặt bằng"
)
TEXT = "Kính gửi Nguyễn Thị Hồng Nhung,\n\n" + "\n".join(
    f"- {LONG_CONTENT} ({i})" for i in range(40)
)
HTML = "<!doctype html>\n<p>Kính gửi Nguyễn Thị Hồng Nhung,</p>\n" + "\n".join(
    f'<li><a href="http://x/tasks/{i}">{LONG_CONTENT} &amp; &lt;{i}&gt;</a></li>' for i in range(40)
)


def _library_message(
    recipient: User, subject: str, text: str, html: str, message_id: str, header: list[str]
) -> EmailMessage:
    """The message as the library builds it, header by header through the header registry
    (how tracker.reminders.mail built it before ComposedMessage)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "tracker@vanho.example"
    message["To"] = formataddr((recipient.full_name, recipient.email or ""))
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = message_id
    message["X-Tracker-Reminders"] = " ".join(header[:MAX_HEADER_ITEMS])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="base64")
    message.add_alternative(html, subtype="html", cte="base64")
    return message


def _seen(message: EmailMessage) -> dict[str, Any]:
    """What a reader gets from `message`: header values, structure and bodies (the boundary
    aside, which is random)."""
    return {
        "headers": [
            (name, str(value)) for name, value in message.items() if name != "Content-Type"
        ],
        "type": message.get_content_type(),
        "parts": [
            (part.get_content_type(), [(n, str(v)) for n, v in part.items()], part.get_content())
            for part in message.iter_parts()
        ],
        "plain": message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
        "html": message.get_body(("html",)).get_content(),  # type: ignore[union-attr]
        "attachments": list(message.iter_attachments()),
    }


def _parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=default_policy).parsebytes(data)  # type: ignore[return-value]


def _bodies(data: bytes) -> bytes:
    """Everything after the headers, the boundary replaced."""
    boundary = re.search(rb'boundary="([^"]+)"', data)
    assert boundary is not None
    return data.replace(boundary.group(1), b"BOUNDARY").split(b"\n\n", 1)[1]


@pytest.mark.parametrize(
    ("full_name", "subject", "text"),
    [
        ("Hà Thị Lan", "Nhắc việc ngày 17/04/2017: 117 nhiệm vụ cần chú ý", TEXT),
        ("Nguyễn Thị Hồng Nhung", f"Quá hạn kéo dài: {LONG_CONTENT[:88]}…", TEXT),
        ("O'Brien, John (Office)", "Reminders for 17/04/2017: 3 task(s) need your attention", ""),
        (
            "Tôn Nữ Thị Hoàng Oanh Công Tằng Tôn Nữ Diệu Huyền Nguyễn Phúc Lộc",
            "Overdue: " + LONG_CONTENT[:90],
            TEXT.replace("\n", "\r\n") + "\r\n\r\n",
        ),
        ("", "Due soon: Rà soát hồ sơ", "Một dòng"),
    ],
    ids=["vi-digest", "vi-long-subject", "en-ascii-name", "long-name-crlf", "no-name"],
)
def test_the_message_says_what_the_librarys_message_said(
    app: Flask, full_name: str, subject: str, text: str
) -> None:
    recipient = User(full_name=full_name, email="nhung@vanho.example")
    header = [f"{1000 + i}:escalation" for i in range(60)]
    args = (recipient, subject, text, HTML, "<digest.u7.20170417.0123456789ab@vanho.example>")
    library = _library_message(*args, header)
    expected = _seen(library)  # before as_bytes, which sets the library message's boundary
    library_bytes = library.as_bytes()

    message = _message(*args, header)
    assert isinstance(message, ComposedMessage)
    # As the pass and the mailers read it, unsent...
    assert _seen(message) == expected
    assert str(message["Message-ID"]) == "<digest.u7.20170417.0123456789ab@vanho.example>"
    # ...as the outbox file and the SMTP server get it...
    data = message.as_bytes()
    assert _seen(_parse(data)) == expected
    crlf = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    assert b"\n" not in crlf.replace(b"\r\n", b"")
    assert _seen(_parse(crlf)) == expected
    # ...with the very bodies the library wrote, and headers within RFC 5322's line length
    # (the subject's spaces kept: the library's folding drops some between encoded words).
    assert _bodies(data) == _bodies(library_bytes)
    assert str(_parse(data)["Subject"]) == subject
    head = data.split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.split(b"\n")) <= 78
    # RFC 2047: an encoded word holds whole characters, in at most 75 characters (Python's
    # parser would mend a character cut in two, other readers show garbage).
    for word in re.findall(rb"=\?utf-8\?b\?([^?]*)\?=", head):
        assert len(word) + len("=?utf-8?b??=") <= 75
        base64.b64decode(word).decode("utf-8")
    assert str(_parse(data)["X-Tracker-Reminders"]).split() == header[:MAX_HEADER_ITEMS]


def test_text_that_looks_like_an_encoded_word_stays_as_written(app: Flask) -> None:
    recipient = User(full_name="Hà Thị Lan", email="lan@vanho.example")
    for subject in ("Quá hạn: xem =?utf-8?q?x?= ngay", "Overdue: see =?utf-8?q?x?= now"):
        message = _message(recipient, subject, "x", "<p>x</p>", "<a@vanho.example>", ["1:overdue"])
        assert str(_parse(message.as_bytes())["Subject"]) == subject


def _digest(recipient_id: int) -> Digest:
    """Overdue: 52 tasks (50 listed), the first without a deadline; due soon: one task the
    recipient's unit coordinates, with characters HTML escapes."""

    def item(task_id: int, kind: str, audience: str, deadline: date | None, content: str) -> Item:
        delivery = SimpleNamespace(
            id=task_id, kind=kind, task_id=task_id, recipient_id=recipient_id, audience=audience
        )
        task = SimpleNamespace(
            id=task_id,
            content=content,
            deadline=deadline,
            lead_unit_name="Phòng Tài nguyên và Môi trường",
        )
        return Item(delivery, task)

    overdue = [
        item(100 + i, "overdue", Audience.LEAD, None if i == 0 else date(2017, 4, 10), LONG_CONTENT)
        for i in range(MAX_ITEMS_PER_GROUP)
    ]
    soon = [
        item(7, "due_soon", Audience.COORDINATING, date(2017, 4, 20), "Rà soát <hồ sơ> & báo cáo")
    ]
    items = overdue + soon
    return Digest(
        groups=[
            DigestGroup("overdue", "Quá hạn", overdue, MAX_ITEMS_PER_GROUP + 2),
            DigestGroup("due_soon", "Sắp đến hạn", soon, 1),
        ],
        identity=DigestIdentity(recipient_id, DAY, 53, 10_000, 7, 152),
        header=[f"{i.task.id}:{i.delivery.kind}" for i in items][:MAX_HEADER_ITEMS],
    )


WORDING = {
    "vi": {
        "subject": "Nhắc việc ngày 17/04/2017: 53 nhiệm vụ cần chú ý",
        "greeting": "Kính gửi Nguyễn Thị Hồng Nhung,",
        "no_deadline": "  Quá hạn · Chủ trì: Phòng Tài nguyên và Môi trường\n",
        "deadline": "  Quá hạn · Thời hạn: 10/04/2017 · Chủ trì: Phòng Tài nguyên và Môi trường\n",
        "coordinated": "Sắp đến hạn (đơn vị phối hợp, để biết) · Thời hạn: 20/04/2017 · Chủ trì: "
        "Phòng Tài nguyên và Môi trường",
        "more": "... và 2 nhiệm vụ khác:",
    },
    "en": {
        "subject": "Reminders for 17/04/2017: 53 task(s) need your attention",
        "greeting": "Dear Nguyễn Thị Hồng Nhung,",
        "no_deadline": "  Overdue · Lead: Phòng Tài nguyên và Môi trường\n",
        "deadline": "  Overdue · Deadline: 10/04/2017 · Lead: Phòng Tài nguyên và Môi trường\n",
        "coordinated": "Due soon (coordinating unit, for information) · Deadline: 20/04/2017 · "
        "Lead: Phòng Tài nguyên và Môi trường",
        "more": "... and 2 more:",
    },
}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_a_digest_in_the_recipients_language(app: Flask, locale: str) -> None:
    recipient = User(
        id=7, full_name="Nguyễn Thị Hồng Nhung", email="nhung@vanho.example", locale=locale
    )
    digest = _digest(7)
    message = _parse(compose_digest(recipient, digest, day=DAY).as_bytes())
    words = WORDING[locale]
    assert str(message["Subject"]) == words["subject"]
    assert str(message["To"]) == "Nguyễn Thị Hồng Nhung <nhung@vanho.example>"
    assert str(message["Message-ID"]).startswith("<digest.u7.20170417.")
    assert str(message["X-Tracker-Reminders"]).split() == digest.header
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(words["greeting"] + "\n")
    assert f"- {LONG_CONTENT}\n{words['no_deadline']}  http://127.0.0.1:5000/tasks/100\n" in text
    assert text.count(words["deadline"]) == MAX_ITEMS_PER_GROUP - 1
    assert f"- Rà soát <hồ sơ> & báo cáo\n  {words['coordinated']}\n" in text
    assert f"  {words['more']} http://127.0.0.1:5000/tasks/\n" in text
    assert (
        '<li><a href="http://127.0.0.1:5000/tasks/7">Rà soát &lt;hồ sơ&gt; &amp; báo cáo</a><br>\n'
        f"  <small>{words['coordinated']}</small></li>"
    ) in html
    assert f'<a href="http://127.0.0.1:5000/tasks/">{words["more"]}</a>' in html


def test_a_sender_with_a_name(app: Flask) -> None:
    app.config["TRACKER_MAIL_FROM"] = "Theo dõi nhiệm vụ <theodoi@vanho.example>"
    recipient = User(id=7, full_name="Hà Thị Lan", email="lan@vanho.example", locale="vi")
    data = compose_digest(recipient, _digest(7), day=DAY).as_bytes()
    message = _parse(data)
    assert str(message["From"]) == "Theo dõi nhiệm vụ <theodoi@vanho.example>"
    # The Message-ID's domain is the address's, without the name's closing bracket.
    assert re.search(rb"\nMessage-ID: <digest\.u7\.20170417\.[0-9a-f]{12}@vanho\.example>\n", data)


def _send(smtp: SmtpHandler, message: EmailMessage) -> None:
    mailer = SmtpMailer("127.0.0.1", int(smtp.url.rsplit(":", 1)[1]))  # type: ignore[attr-defined]
    try:
        mailer.send(message)
    finally:
        mailer.close()


def test_smtp_delivers_the_message_as_composed(app: Flask, smtp: SmtpHandler) -> None:
    recipient = User(id=7, full_name="Nguyễn Thị Hồng Nhung", email="nhung@vanho.example")
    message = compose_digest(recipient, _digest(7), day=DAY)
    _send(smtp, message)
    [received] = smtp.received
    assert received.envelope_to == ["nhung@vanho.example"]
    assert _seen(received.message) == _seen(message)  # type: ignore[arg-type]


def test_smtp_leaves_blind_copies_to_the_library(app: Flask, smtp: SmtpHandler) -> None:
    message = EmailMessage()
    message["From"] = "tracker@vanho.example"
    message["To"] = "lan@vanho.example"
    message["Bcc"] = "hoa@vanho.example"
    message["Subject"] = "Thử"
    message.set_content("Nội dung")
    _send(smtp, message)
    [received] = smtp.received
    assert received.envelope_to == ["lan@vanho.example", "hoa@vanho.example"]
    assert received.message["Bcc"] is None
    assert received.message.get_content().splitlines() == ["Nội dung"]  # type: ignore[attr-defined]


def test_the_outbox_file_holds_the_message_as_composed(app: Flask, tmp_path: Path) -> None:
    recipient = User(id=7, full_name="Hà Thị Lan", email="lan@vanho.example", locale="en")
    message = compose_digest(recipient, _digest(7), day=DAY)
    FileOutbox(tmp_path).send(message)
    [path] = tmp_path.glob("*.eml")
    assert _seen(_parse(path.read_bytes())) == _seen(message)
