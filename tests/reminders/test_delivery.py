"""Sending: a real SMTP server that refuses then accepts, re-checks at send time, catch-up
after downtime, the message itself, the file outbox, failures shown to the admin."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.factories import make_task, make_unit, make_user
from tests.reminders.conftest import RecordingMailer, SmtpHandler, local
from tests.sql import listening
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reminders.mail import read_outbox
from tracker.reminders.models import Delivery, DeliveryClaim, DeliveryStatus, ReminderSettings
from tracker.reminders.operations.planning import plan
from tracker.reminders.operations.rules import load_rules
from tracker.reminders.passes import make_clock
from tracker.tasks.operations import change_status, post_progress


def _deliveries(**filters: object) -> list[Delivery]:
    return list(db.session.scalars(sa.select(Delivery).filter_by(**filters).order_by(Delivery.id)))


def test_refused_then_accepted_is_delivered_once(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    smtp.refuse = 2  # both recipients of the due-soon reminder of 17/4 are refused once
    first = run(local(2017, 4, 17))
    assert (first.planned, first.sent, first.failed) == (2, 0, 2)
    assert smtp.received == []
    row = _deliveries(recipient_id=world.lead_user.id)[0]
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "451" in (row.last_error or "")
    # Before the back-off has passed nothing is tried again.
    assert run(local(2017, 4, 17, 7, 32)).sent == 0
    second = run(local(2017, 4, 17, 7, 36))
    assert (second.sent, second.failed) == (2, 0)
    assert run(local(2017, 4, 17, 8, 0)).sent == 0
    assert sorted(m.to for m in smtp.received) == ["noivu@vanho.example", "tckh@vanho.example"]
    assert smtp.refused == 2
    assert {d.status for d in _deliveries()} == {DeliveryStatus.SENT}


def test_gives_up_after_max_attempts_and_shows_the_failure(
    mail_app: Flask, world, smtp: SmtpHandler, run, login
) -> None:
    db.session.add(ReminderSettings(id=1, max_attempts=2, retry_minutes=1))
    db.session.commit()
    smtp.refuse = 100
    run(local(2017, 4, 17))
    result = run(local(2017, 4, 17, 7, 40))
    assert result.failed == 2
    assert {d.status for d in _deliveries()} == {DeliveryStatus.FAILED}
    assert run(local(2017, 4, 17, 9, 0)).failed == 0  # not tried again
    page = login(world.admin).get("/admin/reminders/deliveries?status=failed")
    assert page.status_code == 200
    assert "Hà Thị Lan" in page.text and "451" in page.text
    failed = _deliveries(recipient_id=world.lead_user.id)[0]
    response = login(world.admin).post(f"/admin/reminders/deliveries/{failed.id}/retry")
    assert response.status_code == 302
    smtp.refuse = 0
    assert run(local(2017, 4, 17, 9, 1)).sent == 1
    assert [m.to for m in smtp.received] == ["noivu@vanho.example"]


def test_a_task_confirmed_between_planning_and_sending_is_not_reminded(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    now = local(2017, 4, 17)
    mail_app.config["TRACKER_FIXED_NOW"] = now
    rules = load_rules()
    assert plan(make_clock(now, rules), rules) == 2
    db.session.commit()
    post_progress(world.task, actor=world.lead_user, note="Xong", status="submitted")
    change_status(world.task, actor=world.chair, transition_name="confirm")
    db.session.commit()
    result = run(now)
    # The submission's news for the chair and the office (decided already: skipped too) and
    # the confirmation's for the lead unit are planned; only the confirmation is sent.
    assert (result.planned, result.sent, result.skipped) == (3, 1, 4)
    assert [r.envelope_to for r in smtp.received] == [["noivu@vanho.example"]]
    assert "Kết quả đã được xác nhận hoàn thành" in smtp.received[0].message["Subject"]
    skipped = {(d.kind, d.last_error) for d in _deliveries() if d.status == "skipped"}
    assert skipped == {("due_soon", "status done"), ("result_submitted", "status done")}


def test_an_extended_deadline_makes_a_planned_reminder_irrelevant(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    now = local(2017, 4, 17)
    mail_app.config["TRACKER_FIXED_NOW"] = now
    rules = load_rules()
    plan(make_clock(now, rules), rules)
    db.session.commit()
    world.task.deadline = date(2017, 5, 20)
    db.session.commit()
    assert run(now).skipped == 2
    assert smtp.received == []


def test_catch_up_after_three_days_down(mail_app: Flask, world, smtp: SmtpHandler, run) -> None:
    # Monday 17/4 the mail server refuses everything; the scheduler is then down Tuesday to
    # Thursday (the deadline, 20/4) and comes back on Friday 21/4 at 10:15.
    smtp.refuse = 100
    run(local(2017, 4, 17))
    smtp.refuse = 0
    result = run(local(2017, 4, 21, 10, 15))
    # The stale "due in 3 days" of Monday is dropped; the overdue notice goes to the lead
    # unit only (coordinating units are not chased).
    assert result.skipped == 2
    assert [(m.to, m.reminders) for m in smtp.received] == [
        ("noivu@vanho.example", [f"{world.task.id}:overdue"])
    ]
    # Nothing is sent twice by the passes that follow.
    assert run(local(2017, 4, 21, 10, 16)).sent == 0
    assert run(local(2017, 4, 21, 16, 0)).sent == 0
    assert len(smtp.received) == 1


def test_passes_are_idempotent_and_dry_run_sends_nothing(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    dry = run(local(2017, 4, 17), dry_run=True)
    assert dry.planned == 2 and dry.sent == 0
    assert dry.would_send == [
        {
            "to": "noivu@vanho.example",
            "user": "noivu",
            "digest": True,
            "reminders": [f"{world.task.id}:due_soon"],
        },
        {
            "to": "tckh@vanho.example",
            "user": "tckh",
            "digest": True,
            "reminders": [f"{world.task.id}:due_soon"],
        },
    ]
    assert smtp.received == [] and _deliveries() == []
    assert run(local(2017, 4, 17)).as_dict() == {
        "planned": 2,
        "sent": 2,
        "failed": 0,
        "skipped": 0,
    }
    assert run(local(2017, 4, 17)).as_dict() == {
        "planned": 0,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
    }


def test_the_message_text_html_language_link_and_message_id(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    world.coord_user.locale = "en"
    db.session.commit()
    run(local(2017, 4, 17))
    by_to = {m.to: m.message for m in smtp.received}
    vi = by_to["noivu@vanho.example"]
    assert vi["Subject"] == "Nhắc việc ngày 17/04/2017: 1 nhiệm vụ cần chú ý"
    text = vi.get_body(("plain",)).get_content()
    html = vi.get_body(("html",)).get_content()
    link = f"http://127.0.0.1:5000/tasks/{world.task.id}"
    assert "Kính gửi Hà Thị Lan" in text and link in text
    assert f'href="{link}"' in html and "Sắp đến hạn" in html
    assert "Xây dựng kế hoạch khắc phục" in text
    # The Message-ID is derived from the reminder: the same on every run with the same data.
    delivery = _deliveries(recipient_id=world.lead_user.id)[0]
    assert vi["Message-ID"] == delivery.message_id
    assert vi["Message-ID"].startswith(f"<digest.u{world.lead_user.id}.20170417.")
    assert vi["Message-ID"].endswith("@vanho.example>")
    en = by_to["tckh@vanho.example"]
    # The English catalogue may not exist yet; the message is rendered in the recipient's
    # locale either way and still says the coordinating unit gets it for information.
    assert en.get_body(("plain",)) is not None


def test_people_without_address_get_the_notification_in_the_app(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    world.lead_user.email = None
    db.session.commit()
    result = run(local(2017, 4, 17))
    assert result.sent == 1
    assert [m.to for m in smtp.received] == ["tckh@vanho.example"]
    assert _deliveries(recipient_id=world.lead_user.id)[0].status == DeliveryStatus.IN_APP


def test_responsible_person_rather_than_the_whole_unit(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    second = make_user(Role.UNIT, world.noivu, "noivu2")
    make_task(
        world.meeting, world.office, world.noivu, responsible=second, deadline=date(2017, 4, 20)
    )
    db.session.commit()
    run(local(2017, 4, 17))
    received = sorted((m.to, len(m.reminders)) for m in smtp.received)
    # world.task names nobody: both members; the new task names noivu2: only noivu2.
    assert received == [
        ("noivu2@vanho.example", 2),
        ("noivu@vanho.example", 1),
        ("tckh@vanho.example", 1),
    ]


def test_events_are_sent_at_once_or_kept_for_the_digest(
    mail_app: Flask, world, smtp: SmtpHandler, run
) -> None:
    from tracker.reminders.operations.preferences import set_event_mode

    set_event_mode(world.coord_user, "digest")
    world.task.deadline = date(2017, 12, 29)  # nothing else to remind about
    mail_app.config["TRACKER_FIXED_NOW"] = local(2017, 4, 18, 14, 0)
    task = make_task(
        world.meeting,
        world.office,
        world.noivu,
        coordinating_units=[world.taichinh],
        deadline=date(2017, 6, 30),
    )
    db.session.commit()
    result = run(local(2017, 4, 18, 14, 1))
    assert result.sent == 1
    assert [(m.to, m.reminders) for m in smtp.received] == [
        ("noivu@vanho.example", [f"{task.id}:assigned"])
    ]
    assert "Được giao nhiệm vụ" in smtp.received[0].message["Subject"]
    run(local(2017, 4, 19, 7, 30))
    assert [(m.to, m.reminders) for m in smtp.received[1:]] == [
        ("tckh@vanho.example", [f"{task.id}:assigned"])
    ]


def test_file_outbox_when_no_mail_server_is_configured(app: Flask, world, run, login) -> None:
    app.config["TRACKER_MAIL_URL"] = ""
    assert run(local(2017, 4, 17)).sent == 2
    assert run(local(2017, 4, 17, 8, 0)).sent == 0
    messages = read_outbox()
    assert len(messages) == 2
    name, message = messages[0]
    assert message["Subject"].startswith("Nhắc việc ngày 17/04/2017")
    admin = login(world.admin)
    page = admin.get("/admin/reminders/outbox")
    assert page.status_code == 200 and "Nhắc việc ngày 17/04/2017" in page.text
    shown = admin.get(f"/admin/reminders/outbox/{name}")
    assert shown.status_code == 200 and "Kính gửi" in shown.text
    assert admin.get("/admin/reminders/outbox/..%2Fsecret_key").status_code == 404
    assert login(world.office).get("/admin/reminders/outbox").status_code == 403


class InspectingMailer:
    """Accepts every message and, while it is being handed over, reads the reminders and
    the claim rows from another connection (what another process would see)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[Any], list[Any]]] = []

    def send(self, message: EmailMessage) -> None:
        D, C = Delivery.__table__, DeliveryClaim.__table__
        with db.engine.connect() as other:
            rows = other.execute(sa.select(D.c.status, D.c.message_id, D.c.sent_dt)).all()
            claims = other.execute(sa.select(C.c.message_id, C.c.delivery_id)).all()
        self.seen.append((str(message["Message-ID"]), rows, claims))

    def close(self) -> None:
        pass


def test_reminders_are_marked_sent_before_the_message_goes_out(app: Flask, world, run) -> None:
    """Each reminder is written twice in its life (planned, sent): the claim marks it sent
    with its message's Message-ID, and the open claim row is what says it is in flight until
    the mail server has answered."""
    updates: list[str] = []

    def record(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE reminder_deliveries") and cursor.rowcount > 0:
            updates.append(statement)

    mailer = InspectingMailer()
    with listening("after_cursor_execute", record):
        result = run(local(2017, 4, 17), mailer=mailer)
    assert (result.sent, result.failed) == (2, 0) and len(mailer.seen) == 2
    for message_id, rows, claims in mailer.seen:
        # The reminder this message carries is already sent, with its Message-ID...
        assert (DeliveryStatus.SENT, message_id) in {(r.status, r.message_id) for r in rows}
        # ... and its claim, with that Message-ID, is open while the server answers.
        assert [c.message_id for c in claims] == [message_id]
    # One UPDATE that changes reminders per message (the claim), none for a "sending"
    # mark or for the outcome.
    assert len(updates) == 2 and not [u for u in updates if "sending" in u]
    assert db.session.scalars(sa.select(DeliveryClaim)).all() == []
    assert {d.status for d in _deliveries()} == {DeliveryStatus.SENT}
    assert len({d.message_id for d in _deliveries()}) == 2


def test_one_transaction_per_person_and_no_claim_left_open(app: Flask, world, run) -> None:
    """Each person's claim is one transaction, which also closes the claims of the messages
    sent just before it; the last ones are closed once the pass has sent everything."""
    for i in range(6):
        unit = make_unit(f"Phòng Đếm {i}")
        make_user(unit=unit, username=f"dem{i}")
        make_task(world.meeting, world.office, unit, deadline=world.task.deadline)
    db.session.commit()
    commits: list[int] = []

    def count(_conn: Any) -> None:
        commits.append(1)

    mailer = RecordingMailer()
    with listening("commit", count):
        result = run(local(2017, 4, 17), mailer=mailer)
    recipients = {str(m["To"]) for m in mailer.messages}
    assert result.sent == len(mailer.messages) == len(recipients) == 8
    # One per person, and seven for the pass itself (planning, reading the recipients, the
    # last claims, looking for more, webhooks, its time): two per person before (23).
    assert len(commits) == len(recipients) + 7, len(commits)
    assert db.session.scalars(sa.select(DeliveryClaim)).all() == []
    assert {d.status for d in _deliveries()} == {DeliveryStatus.SENT}
