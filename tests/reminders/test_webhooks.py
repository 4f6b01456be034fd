"""The webhook channel against a real local HTTP server: signed JSON, retried like e-mail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from tests.reminders.conftest import SmtpHandler, local
from tracker.extensions import db
from tracker.reminders.models import UnitWebhook
from tracker.reminders.webhooks import SIGNATURE_HEADER, verify

SECRET = "bí-mật-của-phòng-nội-vụ"


@dataclass
class Receiver:
    """What the chat-bot bridge received; it answers 503 to the first `fail` requests."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail: int = 0
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on a free loopback port, in a thread."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.fail > 0:
                state.fail -= 1
                self.send_response(503)
            else:
                state.requests.append((dict(self.headers), body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_signed_json_retried_until_accepted_then_not_again(
    mail_app: Flask, world, smtp: SmtpHandler, receiver: Receiver, run
) -> None:
    db.session.add(UnitWebhook(unit_id=world.noivu.id, url=receiver.url, secret=SECRET))
    db.session.commit()
    receiver.fail = 1
    run(local(2017, 4, 17))
    assert receiver.requests == []
    run(local(2017, 4, 17, 7, 40))  # after the back-off
    run(local(2017, 4, 17, 8, 0))
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert verify(SECRET, body, headers[SIGNATURE_HEADER])
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert not verify("another secret", body, headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["kind"] == "due_soon"
    assert payload["unit"] == "Phòng Nội vụ"
    assert payload["task"]["id"] == world.task.id
    assert payload["task"]["deadline"] == "2017-04-20"
    assert payload["task"]["url"].endswith(f"/tasks/{world.task.id}")
    assert payload["text"].startswith("Sắp đến hạn: Xây dựng kế hoạch")


def test_admin_sets_up_a_webhook(app: Flask, world, login) -> None:
    admin = login(world.admin)
    bad = admin.post(
        "/admin/reminders/webhooks",
        data={"unit_id": world.noivu.id, "url": "ftp://x", "is_active": "y"},
    )
    assert bad.status_code == 200 and 'value="ftp://x"' in bad.text
    assert "has-error" in bad.text
    ok = admin.post(
        "/admin/reminders/webhooks",
        data={"unit_id": world.noivu.id, "url": "https://bot.example/hook", "is_active": "y"},
    )
    assert ok.status_code == 302
    hook = db.session.query(UnitWebhook).one()
    assert hook.unit_id == world.noivu.id and len(hook.secret) == 64
    assert login(world.office).get("/admin/reminders/webhooks").status_code == 403
