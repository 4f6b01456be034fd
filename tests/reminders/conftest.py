"""Fixtures of the reminder tests: a real SMTP server on a loopback port, pass helpers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g

from tracker.reminders.passes import PassResult, run_pass

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """A message the SMTP server accepted."""

    envelope_to: list[str]
    message: Message

    @property
    def to(self) -> str:
        """The single envelope recipient."""
        return self.envelope_to[0]

    @property
    def reminders(self) -> list[str]:
        """task_id:kind of each reminder the message carries."""
        return str(self.message["X-Tracker-Reminders"] or "").split()


@dataclass
class RecordingMailer:
    """A mailer object that keeps what it is given (a pass given one sends alone)."""

    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def close(self) -> None:
        pass


@dataclass
class SmtpHandler:
    """Accepts messages, or refuses the next `refuse` ones with a temporary error."""

    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=default_policy)  # type: ignore[attr-defined]
        self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[SmtpHandler]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp: SmtpHandler) -> Flask:
    """The app sending its mail to the test SMTP server."""
    app.config["TRACKER_MAIL_URL"] = smtp.url  # type: ignore[attr-defined]
    # The test receivers listen on loopback, which webhooks otherwise refuse.
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True
    return app


def local(
    year: int, month: int, day: int, hour: int = 7, minute: int = 30, zone: ZoneInfo = HANOI
) -> datetime:
    """A local wall time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


@pytest.fixture
def run(app: Flask) -> Callable[..., PassResult]:
    """Run one pass at `now`, as a fresh job would (no cached calendar or identity map)."""

    def _run(now: datetime, **kw: object) -> PassResult:
        from tracker.extensions import db

        app.config["TRACKER_FIXED_NOW"] = now
        g.pop("working_calendar", None)
        db.session.expire_all()
        return run_pass(now, **kw)  # type: ignore[arg-type]

    return _run
