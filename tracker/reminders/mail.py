"""E-mail: composing reminders in the recipient's language, and the transports (SMTP or a
file outbox under the instance folder)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.auth.models import User
from tracker.core.time import now_utc
from tracker.reminders.models import Audience, ReminderKind
from tracker.tasks.models import Task

KIND_LABELS = {
    ReminderKind.DUE_SOON.value: _l("Sắp đến hạn"),
    ReminderKind.DUE_TODAY.value: _l("Đến hạn hôm nay"),
    ReminderKind.OVERDUE.value: _l("Quá hạn"),
    ReminderKind.ESCALATION.value: _l("Quá hạn kéo dài"),
    ReminderKind.AWAITING_CONFIRMATION.value: _l("Kết quả chờ xác nhận"),
    ReminderKind.EXTENSION_PENDING.value: _l("Đề nghị gia hạn chờ quyết định"),
    ReminderKind.ASSIGNED.value: _l("Được giao nhiệm vụ"),
    ReminderKind.RETURNED.value: _l("Nhiệm vụ bị trả lại"),
    ReminderKind.EXTENSION_DECIDED.value: _l("Đã có quyết định gia hạn"),
}

# The digest's sections, in the order people should act on them.
DIGEST_GROUPS = (
    ("overdue", _l("Quá hạn"), (ReminderKind.OVERDUE, ReminderKind.ESCALATION)),
    ("due_today", _l("Đến hạn hôm nay"), (ReminderKind.DUE_TODAY,)),
    ("due_soon", _l("Sắp đến hạn"), (ReminderKind.DUE_SOON,)),
    (
        "waiting",
        _l("Chờ anh/chị xử lý"),
        (ReminderKind.AWAITING_CONFIRMATION, ReminderKind.EXTENSION_PENDING),
    ),
    (
        "events",
        _l("Thông tin mới"),
        (ReminderKind.ASSIGNED, ReminderKind.RETURNED, ReminderKind.EXTENSION_DECIDED),
    ),
)
# A digest for the office may cover thousands of tasks; it lists the first ones and links
# to the full list rather than becoming a message no mail client opens.
MAX_ITEMS_PER_GROUP = 50
# Mail filters (and tests) read the header; parsing and folding a long header for every
# digest costs more than the rest of the message, so it names the first ones only.
MAX_HEADER_ITEMS = MAX_ITEMS_PER_GROUP


class MailError(Exception):
    """The message was not accepted; it will be tried again."""


class Mailer(Protocol):
    """Something that delivers messages."""

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` or raise MailError."""

    def close(self) -> None:
        """Release connections."""


@dataclass
class SmtpMailer:
    """SMTP, optionally over TLS (smtps) or upgraded with STARTTLS; one connection reused
    for the messages of a pass."""

    host: str
    port: int
    mode: str = "plain"  # plain | ssl | starttls
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    _smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            if self.mode == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.mode == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server."""
        try:
            refused = self._connect().send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # The connection may be unusable now; the next message opens a new one.
            self.close()
            raise MailError(str(error)) from error
        if refused:
            raise MailError(f"refused: {refused}")

    def close(self) -> None:
        """Say goodbye to the server."""
        if self._smtp is not None:
            # A server that already hung up needs no goodbye.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None


@dataclass
class FileOutbox:
    """Development: messages written as .eml files, named after their Message-ID so that
    delivering the same reminder again replaces the file instead of adding one."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        """Write `message` atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / outbox_name(str(message["Message-ID"]))
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
        os.replace(temporary, path)

    def close(self) -> None:
        """Nothing to release."""


def outbox_name(message_id: str) -> str:
    """A file name for a Message-ID."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>")) + ".eml"


def outbox_folder() -> Path:
    """Where the development outbox lives."""
    return Path(current_app.instance_path) / "outbox"


def mailer_from_config() -> Mailer:
    """The transport named by TRACKER_MAIL_URL (empty: the file outbox)."""
    url = current_app.config.get("TRACKER_MAIL_URL") or ""
    if not url:
        return FileOutbox(outbox_folder())
    parts = urlsplit(url)
    modes = {"smtp": "plain", "smtps": "ssl", "smtp+starttls": "starttls"}
    if parts.scheme not in modes or not parts.hostname:
        raise ValueError(f"TRACKER_MAIL_URL must be smtp://, smtps:// or smtp+starttls://: {url}")
    default_port = {"plain": 25, "ssl": 465, "starttls": 587}[modes[parts.scheme]]
    return SmtpMailer(
        host=parts.hostname,
        port=parts.port or default_port,
        mode=modes[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def read_outbox(limit: int = 200) -> list[tuple[str, EmailMessage]]:
    """The newest messages of the file outbox, newest first."""
    folder = outbox_folder()
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    return [(path.name, read_outbox_message(path.name)) for path in files]


def read_outbox_message(name: str) -> EmailMessage:
    """One message of the outbox by file name (no path components accepted)."""
    if "/" in name or "\\" in name or not name.endswith(".eml") or name.startswith("."):
        raise FileNotFoundError(name)
    with (outbox_folder() / name).open("rb") as file:
        return BytesParser(policy=default_policy).parse(file)  # type: ignore[return-value]


def _domain() -> str:
    sender = current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost"
    return sender.rsplit("@", 1)[-1] or "localhost"


def message_id_for(delivery: Any) -> str:
    """The Message-ID of a single reminder: derived from what it is about, the same on every
    retry."""
    return (
        f"<reminder.{delivery.kind}.t{delivery.task_id}.u{delivery.recipient_id}."
        f"{delivery.day:%Y%m%d}@{_domain()}>"
    )


@dataclass(frozen=True, slots=True)
class DigestIdentity:
    """Which reminders a digest carries, summed up by the database: the same set gives the
    same Message-ID on every retry, without reading tens of thousands of ids."""

    recipient_id: int
    day: date
    count: int
    id_sum: int
    first_id: int
    last_id: int


def digest_message_id(identity: DigestIdentity) -> str:
    """The Message-ID of a digest."""
    key = f"{identity.count}:{identity.id_sum}:{identity.first_id}:{identity.last_id}"
    digest_hash = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<digest.u{identity.recipient_id}.{identity.day:%Y%m%d}.{digest_hash}@{_domain()}>"


def task_link(task_id: int) -> str:
    """The task's page."""
    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/tasks/{task_id}"


@dataclass
class Item:
    """One line of a message: a reminder and its task."""

    delivery: Any  # a Delivery, or a plain row of its table
    # The Task for a single message; for a digest, the few columns it prints.
    task: Task | Any

    @property
    def label(self) -> str:
        """What the reminder says."""
        return str(KIND_LABELS.get(self.delivery.kind, self.delivery.kind))

    @property
    def for_information(self) -> bool:
        """Sent to a coordinating unit, for information."""
        return self.delivery.audience == Audience.COORDINATING

    @property
    def link(self) -> str:
        """The task's page."""
        return task_link(self.task.id)


@dataclass
class DigestGroup:
    """One section of a digest: its first items and how many it has in all."""

    key: str
    title: Any
    items: list[Item]
    total: int


@dataclass
class Digest:
    """What one digest says: its sections, its identity (which also says how many reminders
    it carries in all), and the reminders named in its header."""

    groups: list[DigestGroup]
    identity: DigestIdentity
    header: list[str]


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One task as a digest prints it, with every text already in the recipient's language:
    a digest lists up to 250 of them, and looking each label and link up in the templates
    cost more than the rest of the message."""

    content: str
    link: str
    label: str
    for_information: bool
    deadline: str
    lead_unit: str


@functools.lru_cache(maxsize=8)
def _labels(_locale: str) -> dict[str, str]:
    """The reminders' labels in one language (translated once, not per message)."""
    return {kind: str(label) for kind, label in KIND_LABELS.items()}


def _digest_lines(items: Sequence[Item], base_url: str) -> list[DigestLine]:
    labels = _labels(str(get_locale()))
    return [
        DigestLine(
            content=_shorten(item.task.content, 300),
            link=f"{base_url}/tasks/{item.task.id}",
            label=labels.get(item.delivery.kind, item.delivery.kind),
            for_information=item.delivery.audience == Audience.COORDINATING,
            deadline=f"{item.task.deadline:%d/%m/%Y}" if item.task.deadline else "",
            lead_unit=item.task.lead_unit_name,
        )
        for item in items
    ]


def compose(recipient: User, item: Item, *, day: date) -> EmailMessage:
    """The message for one reminder, text and HTML, in the recipient's language."""
    with force_locale(_locale(recipient)):
        subject = f"{item.label}: {_shorten(item.task.content, 90)}"
        text, html = _render("single", recipient, item=item, day=day)
    header = [f"{item.delivery.task_id}:{item.delivery.kind}"]
    return _message(recipient, subject, text, html, message_id_for(item.delivery), header)


def compose_digest(recipient: User, digest: Digest, *, day: date) -> EmailMessage:
    """The digest for `recipient`, text and HTML, in the recipient's language."""
    base_url = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    with force_locale(_locale(recipient)):
        groups = [
            (group.key, str(group.title), _digest_lines(group.items, base_url), group.total)
            for group in digest.groups
        ]
        subject = _(
            "Nhắc việc ngày %(day)s: %(n)d nhiệm vụ cần chú ý",
            day=f"{day:%d/%m/%Y}",
            n=digest.identity.count,
        )
        text, html = _render("digest", recipient, groups=groups, day=day)
    message_id = digest_message_id(digest.identity)
    return _message(recipient, subject, text, html, message_id, digest.header)


def _locale(recipient: User) -> str:
    return recipient.locale if recipient.locale in ("vi", "en") else "vi"


def _render(template: str, recipient: User, **context: Any) -> tuple[str, str]:
    context.update(
        recipient=recipient,
        base_url=current_app.config["TRACKER_BASE_URL"].rstrip("/"),
        kind_labels=KIND_LABELS,
    )
    return (
        render_template(f"reminders/email/{template}.txt", **context),
        render_template(f"reminders/email/{template}.html", **context),
    )


def _message(
    recipient: User, subject: str, text: str, html: str, message_id: str, header: list[str]
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost"
    message["To"] = formataddr((recipient.full_name, recipient.email or ""))
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = message_id
    # Lets mail filters (and tests) see which reminders a message carries.
    message["X-Tracker-Reminders"] = " ".join(header[:MAX_HEADER_ITEMS])
    message["Auto-Submitted"] = "auto-generated"
    # base64 outright: the library would otherwise encode a sample both ways to choose, and
    # Vietnamese text always comes out shorter in base64 than quoted-printable.
    message.set_content(text, cte="base64")
    message.add_alternative(html, subtype="html", cte="base64")
    return message


def _shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
