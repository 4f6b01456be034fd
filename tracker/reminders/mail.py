"""E-mail: composing reminders in the recipient's language, and the transports (SMTP or a
file outbox under the instance folder)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import os
import random
import re
import smtplib
import ssl
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import Policy
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.auth.models import User
from tracker.core.limits import strip_controls
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
    ReminderKind.RESULT_SUBMITTED.value: _l("Đơn vị báo cáo hoàn thành, chờ xác nhận"),
    ReminderKind.EXTENSION_REQUESTED.value: _l("Đơn vị đề nghị gia hạn"),
    ReminderKind.CONFIRMED.value: _l("Kết quả đã được xác nhận hoàn thành"),
}

# The digest's sections, in the order people should act on them.
DIGEST_GROUPS = (
    ("overdue", _l("Quá hạn"), (ReminderKind.OVERDUE, ReminderKind.ESCALATION)),
    ("due_today", _l("Đến hạn hôm nay"), (ReminderKind.DUE_TODAY,)),
    ("due_soon", _l("Sắp đến hạn"), (ReminderKind.DUE_SOON,)),
    (
        "waiting",
        _l("Chờ anh/chị xử lý"),
        (
            ReminderKind.RESULT_SUBMITTED,
            ReminderKind.EXTENSION_REQUESTED,
            ReminderKind.AWAITING_CONFIRMATION,
            ReminderKind.EXTENSION_PENDING,
        ),
    ),
    (
        "events",
        _l("Thông tin mới"),
        (
            ReminderKind.ASSIGNED,
            ReminderKind.RETURNED,
            ReminderKind.EXTENSION_DECIDED,
            ReminderKind.CONFIRMED,
        ),
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
            smtp = self._connect()
            envelope = _envelope(message) if isinstance(message, ComposedMessage) else None
            if envelope is None:
                refused = smtp.send_message(message)
            else:
                # What send_message would send, serialised by the message itself: the
                # library's generator writes a body line by line, a ComposedMessage in one go.
                data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
                refused = smtp.sendmail(envelope[0], envelope[1], data)
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


# Headers that make smtplib's send_message do more than read From and To: it drops blind
# copies, takes the sender from Sender or a Resent- block.
_ENVELOPE_HEADERS = frozenset({"sender", "bcc", "resent-date", "resent-sender", "resent-bcc"})


def _envelope(message: EmailMessage) -> tuple[str, list[str]] | None:
    """The sender and recipients send_message would use, read from the raw header values
    (reading message["To"] would parse it through the header registry); None when the
    message needs send_message itself: blind copies, a resent block, or addresses beyond
    ASCII (SMTPUTF8)."""
    raw = [(name.lower(), value) for name, value in message.raw_items()]
    if any(name in _ENVELOPE_HEADERS for name, _value in raw):
        return None
    senders = [str(value) for name, value in raw if name == "from"]
    recipients = [str(value) for name, value in raw if name in ("to", "cc")]
    if len(senders) != 1 or not recipients:
        return None
    sender = getaddresses(senders)[0][1]
    addresses = [address for _name, address in getaddresses(recipients)]
    if not sender or not all(addresses) or not "".join([sender, *addresses]).isascii():
        return None
    return sender, addresses


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
    return _sender_domain(current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost")


@functools.lru_cache(maxsize=8)
def _sender_domain(sender: str) -> str:
    # The address part: a sender written "Name <addr>" would otherwise leave its ">" in every
    # Message-ID (which the header registry used to drop when it parsed the header).
    return parseaddr(sender)[1].rsplit("@", 1)[-1] or "localhost"


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


class DigestLine(NamedTuple):
    """One task as a digest prints it, with every text already in the recipient's language:
    a digest lists up to 250 of them, and looking each label and link up in the templates
    cost more than the rest of the message. `details` is the line under the task (its label,
    "for information", the deadline and the lead unit), composed once for both bodies."""

    content: str
    link: str
    details: str


@dataclass(frozen=True, slots=True)
class _Wording:
    """What every line of a digest says around its values, in one language."""

    labels: dict[str, str]
    for_information: str  # appended to the label
    deadline: str  # before the deadline
    lead_unit: str  # before the lead unit (chủ trì)


@functools.lru_cache(maxsize=8)
def _wording(_locale: str) -> _Wording:
    """The digest's wording in one language (translated once, not per message or line)."""
    return _Wording(
        labels={kind: str(label) for kind, label in KIND_LABELS.items()},
        for_information=f" ({_('đơn vị phối hợp, để biết')})",
        deadline=f" · {_('Thời hạn')}: ",
        lead_unit=f" · {_('Chủ trì')}: ",
    )


@functools.lru_cache(maxsize=1024)
def _day_text(day: date) -> str:
    # Deadlines repeat across the lines of a pass; strftime is the slow part of a line.
    return f"{day:%d/%m/%Y}"


def _digest_lines(items: Sequence[Item], base_url: str) -> list[DigestLine]:
    wording = _wording(str(get_locale()))
    labels = wording.labels
    lines = []
    for item in items:
        delivery, task = item.delivery, item.task
        details = labels.get(delivery.kind, delivery.kind)
        if delivery.audience == Audience.COORDINATING:
            details += wording.for_information
        if task.deadline:
            details += wording.deadline + _day_text(task.deadline)
        details += wording.lead_unit + task.lead_unit_name
        lines.append(
            DigestLine(_shorten(task.content, 300), f"{base_url}/tasks/{task.id}", details)
        )
    return lines


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


class _BodyGenerator(BytesGenerator):
    """The library's generator, writing a body in one piece: it writes one line at a time
    (two writes for each of a digest's 2,000 base64 lines). The bytes are the same; should a
    later Python drop this hook, the library's loop runs and only the speed is lost."""

    def _write_lines(self, lines: str) -> None:
        if not lines:
            return
        if "\r" in lines:
            self.write(_LINE_BREAK.sub(self._NL, lines))
        else:  # what we compose: str.replace is ten times faster than the expression
            self.write(lines if self._NL == "\n" else lines.replace("\n", self._NL))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ComposedMessage(EmailMessage):
    """A reminder e-mail. Its header values are stored already encoded and folded, the way
    the parser stores what it reads: the policy writes them out as they are and parses one
    only when it is read (message["To"]). Building and folding each header through the
    header registry cost more than rendering the message."""

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        """The message as bytes, as EmailMessage.as_bytes writes it."""
        out = BytesIO()
        policy = self.policy if policy is None else policy
        generator = _BodyGenerator(out, mangle_from_=False, policy=policy)
        generator.flatten(self, unixfrom=unixfrom)
        return out.getvalue()


# RFC 5322 lines stay within 78 characters; an encoded word within 75 (RFC 2047). A value
# stored with a longer line is refolded by the policy when written (refold_source="long"),
# so a form below that does not fit costs time, not correctness.
_MAX_LINE = 78
_MAX_WORD = 75
_WORD_OVERHEAD = len("=?utf-8?b??=")


def _fits(name: str, value: str) -> bool:
    """Whether the policy writes `value` as it is."""
    lines = value.split("\n")
    return len(name) + 2 + len(lines[0]) <= _MAX_LINE and all(
        len(line) <= _MAX_LINE for line in lines[1:]
    )


def _plain(value: str) -> bool:
    """Printable ASCII that no reader takes for an encoded word."""
    return value.isascii() and value.isprintable() and "=?" not in value


def _fold_at_spaces(name: str, value: str) -> str:
    """`value` folded before spaces so that its lines fit; unfolding gives it back as it
    was. A word longer than a line stays whole (the policy then refolds the header)."""
    room = _MAX_LINE - len(name) - 2
    lines: list[str] = []
    line = ""
    for word in value.split(" "):
        if not line:
            line = word
        elif word and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = " " + word, _MAX_LINE
        else:
            line += " " + word
    lines.append(line)
    return "\n".join(lines)


def _encoded_words(name: str, value: str) -> str:
    """`value` as base64 encoded words (RFC 2047), one per line, each cut at a character
    boundary: readers join adjacent encoded words without the space between them."""
    data = value.encode()
    words = []
    start = 0
    room = _MAX_LINE - len(name) - 2
    while start < len(data) or not words:
        # At least 6 bytes a word, so that any character (4 bytes at most) fits in one.
        chars = max(min(room, _MAX_WORD) - _WORD_OVERHEAD, 8)
        end = min(len(data), start + chars // 4 * 3)
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start, room = end, _MAX_LINE - 1
    return "\n ".join(words)


def _unstructured(name: str, value: str) -> str:
    """A free-text header value (Subject), encoded and folded."""
    if _plain(value):
        return _fold_at_spaces(name, value)
    return _encoded_words(name, value)


def _address(name: str, display_name: str, address: str) -> str:
    """An address header value, encoded and folded, built from email.headerregistry.Address:
    the name loses any control character first (a full name holding CR LF must not start a
    header of its own, "Bcc:" say), the address must be a bare addr-spec (Address refuses
    anything after it), and Address quotes the name where RFC 5322 needs it."""
    mailbox = Address(display_name=strip_controls(display_name), addr_spec=address)
    display_name, address = mailbox.display_name, mailbox.addr_spec
    if display_name.isascii():
        return str(mailbox)
    address.encode("ascii")  # as formataddr: no address beyond ASCII
    # One encoded word: the library's parser puts a space between adjacent encoded words in
    # an address (other readers do not), so a name is never cut in two.
    word = _encoded_words(name, display_name)
    if "\n" not in word:
        value = f"{word} <{address}>"
        return value if _fits(name, value) else f"{word}\n <{address}>"
    return formataddr((display_name, address))  # a long name: one word the policy refolds


@functools.lru_cache(maxsize=8)
def _library_folded(name: str, value: str) -> str:
    """`value` encoded and folded by the library once: the sender is the same in every
    message."""
    folded = default_policy.header_factory(name, value).fold(policy=default_policy)
    return folded[len(name) + 1 :].strip(" \t\r\n")


@functools.cache
def _parsed(name: str, value: str) -> Any:
    """A header the generator reads several times per message (the content type to pick a
    handler and the boundary, the encoding), parsed once: the same in every message, and
    immutable (changing a header replaces it)."""
    return default_policy.header_factory(name, value)


def _boundary() -> str:
    """A multipart boundary in the library's form. No check against the parts is needed:
    base64 lines never begin with '--'."""
    return f"==============={random.randrange(sys.maxsize):019d}=="


def _text_part(subtype: str, text: str, *headers: tuple[str, str]) -> ComposedMessage:
    """A text part in UTF-8 and base64, with the bytes set_content(cte="base64") writes
    (line ends normalised, a final newline, 76-character lines). base64 outright: Vietnamese
    text always comes out shorter in base64 than quoted-printable."""
    part = ComposedMessage()
    part.set_raw("Content-Type", _parsed("Content-Type", f'text/{subtype}; charset="utf-8"'))
    part.set_raw("Content-Transfer-Encoding", _parsed("Content-Transfer-Encoding", "base64"))
    for name, value in headers:
        part.set_raw(name, value)
    body = text.encode()
    if "\r" in text:
        body = b"\n".join(body.splitlines()) + b"\n"
    elif not body.endswith(b"\n"):  # the same bytes, without splitting 2,000 lines
        body += b"\n"
    encoded = binascii.b2a_base64(body, newline=False).decode("ascii")
    # base64.encodebytes calls the encoder once a line; one call and slices are twice as fast.
    lines = [encoded[start : start + 76] for start in range(0, len(encoded), 76)]
    part.set_payload("\n".join(lines) + "\n")
    return part


def _message(
    recipient: User, subject: str, text: str, html: str, message_id: str, header: list[str]
) -> EmailMessage:
    """The message as set_content and add_alternative built it (multipart/alternative, text
    then HTML, both base64), with its headers stored encoded and folded (ComposedMessage)."""
    message = ComposedMessage()
    sender = current_app.config.get("TRACKER_MAIL_FROM") or "tracker@localhost"
    for name, value in (
        ("Subject", _unstructured("Subject", subject)),
        ("From", _library_folded("From", sender)),
        ("To", _address("To", recipient.full_name or "", recipient.email or "")),
        ("Date", format_datetime(now_utc())),
        ("Message-ID", message_id),
        # Lets mail filters (and tests) see which reminders a message carries.
        (
            "X-Tracker-Reminders",
            _unstructured("X-Tracker-Reminders", " ".join(header[:MAX_HEADER_ITEMS])),
        ),
        ("Auto-Submitted", "auto-generated"),
        ("MIME-Version", "1.0"),
    ):
        # set_raw is how the parser stores a header it read; these values are ready to write.
        message.set_raw(name, value)
    # Parsed here, once: the generator reads it three times (to pick a handler, the boundary).
    message.set_raw(
        "Content-Type",
        default_policy.header_factory(
            "Content-Type", f'multipart/alternative; boundary="{_boundary()}"'
        ),
    )
    message.set_payload(
        [
            _text_part("plain", text),
            # add_alternative made the HTML part a whole EmailMessage, with its own version.
            _text_part("html", html, ("MIME-Version", "1.0")),
        ]
    )
    return message


def _shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
