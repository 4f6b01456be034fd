"""Issue 18 §2: a submitted result or an extension request reaches the chair and the office at
once in the application and by e-mail (immediately or in the next digest, as each chose); a
decision reaches the lead unit; an overdue notice of a finished task reads "đã xong"."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from tests.reminders.conftest import SmtpHandler, local
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.reminders.models import Delivery, DeliveryStatus
from tracker.reminders.operations.preferences import set_event_mode

NOW = local(2017, 4, 10, 9, 0)


def _rows(**filters: object) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Delivery).filter_by(**filters).order_by(Delivery.id)))


def _submit(client, world) -> None:
    response = client.post(
        f"/tasks/{world.task.id}/complete",
        data={
            "result-note": "Đã ban hành Kế hoạch số 62/KH-UBND",
            "result-version": str(world.task.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _subjects(smtp: SmtpHandler) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for received in smtp.received:
        for address in received.envelope_to:
            found.setdefault(address, []).append(str(received.message["Subject"]))
    return found


def test_a_submitted_result_reaches_chair_and_office_at_once(
    mail_app: Flask, login, world, smtp: SmtpHandler, run
) -> None:
    mail_app.config["TRACKER_FIXED_NOW"] = NOW
    _submit(login(world.lead_user), world)
    # In the application before any reminder pass has run.
    rows = _rows(kind="result_submitted")
    assert sorted(r.recipient_id for r in rows) == sorted([world.chair.id, world.office.id])
    page = login(world.chair).get("/notifications/").get_data(as_text=True)
    assert "Đơn vị báo cáo hoàn thành, chờ xác nhận" in page
    assert "Xây dựng kế hoạch khắc phục hạn chế" in page
    # The pass mails both now: they chose immediate messages (the default).
    result = run(local(2017, 4, 10, 9, 5))
    assert result.sent >= 2
    subjects = _subjects(smtp)
    for address in ("chutich@vanho.example", "vanphong@vanho.example"):
        assert any("Đơn vị báo cáo hoàn thành, chờ xác nhận" in s for s in subjects[address])
    # The pass plans nothing twice.
    assert len(_rows(kind="result_submitted")) == 2
    # Nobody is told what they did: the lead unit's member got no such notice (only the
    # assignment, which no pass had announced yet).
    assert not any("chờ xác nhận" in s for s in subjects.get("noivu@vanho.example", []))


def test_the_digest_preference_keeps_the_news_for_the_next_digest(
    mail_app: Flask, login, world, smtp: SmtpHandler, run
) -> None:
    set_event_mode(world.office, "digest")
    db.session.commit()
    mail_app.config["TRACKER_FIXED_NOW"] = NOW
    _submit(login(world.lead_user), world)
    office_row = _rows(kind="result_submitted", recipient_id=world.office.id)[0]
    assert office_row.is_digest is True
    run(local(2017, 4, 10, 9, 5))
    assert "vanphong@vanho.example" not in _subjects(smtp)
    assert any("chờ xác nhận" in s for s in _subjects(smtp)["chutich@vanho.example"])
    # The next morning's digest carries it (Tuesday 11/4, after 07:30).
    run(local(2017, 4, 11, 7, 35))
    office_mail = [r.message for r in smtp.received if "vanphong@vanho.example" in r.envelope_to]
    assert len(office_mail) == 1
    text = office_mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "Xây dựng kế hoạch khắc phục hạn chế" in text
    assert _rows(kind="result_submitted", recipient_id=world.office.id)[0].status == "sent"


def test_an_extension_request_through_the_api_reaches_the_managers(
    mail_app: Flask, app: Flask, world, smtp: SmtpHandler, run
) -> None:
    mail_app.config["TRACKER_FIXED_NOW"] = NOW
    token = create_api_token(world.lead_user, "t")
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-05-05", "reason": "Chờ hướng dẫn", "version": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.json
    rows = _rows(kind="extension_requested")
    assert sorted(r.recipient_id for r in rows) == sorted([world.chair.id, world.office.id])
    run(local(2017, 4, 10, 9, 5))
    assert any("Đơn vị đề nghị gia hạn" in s for s in _subjects(smtp)["chutich@vanho.example"])


def test_decisions_reach_the_lead_unit(
    mail_app: Flask, login, world, smtp: SmtpHandler, run
) -> None:
    mail_app.config["TRACKER_FIXED_NOW"] = NOW
    lead = login(world.lead_user)
    _submit(lead, world)
    db.session.refresh(world.task)
    chair = login(world.chair)
    returned = chair.post(
        f"/tasks/{world.task.id}/decision",
        data={
            "decision-action": "return",
            "decision-reason": "Bổ sung số liệu",
            "decision-version": str(world.task.version),
        },
    )
    assert returned.status_code == 302
    assert [r.recipient_id for r in _rows(kind="returned")] == [world.lead_user.id]
    page = lead.get("/notifications/").get_data(as_text=True)
    assert "Nhiệm vụ bị trả lại" in page
    # Submitted again (a new news for the managers, the same day) and confirmed.
    db.session.refresh(world.task)
    _submit(lead, world)
    db.session.refresh(world.task)
    confirmed = chair.post(
        f"/tasks/{world.task.id}/decision",
        data={"decision-action": "confirm", "decision-version": str(world.task.version)},
    )
    assert confirmed.status_code == 302
    assert [r.recipient_id for r in _rows(kind="confirmed")] == [world.lead_user.id]
    run(local(2017, 4, 10, 9, 5))
    subjects = _subjects(smtp)["noivu@vanho.example"]
    assert any("Kết quả đã được xác nhận hoàn thành" in s for s in subjects)
    # The return was overtaken by the confirmation before the pass: not mailed any more.
    assert not any("Nhiệm vụ bị trả lại" in s for s in subjects)


def test_an_extension_decision_reaches_the_lead_unit(mail_app: Flask, login, world) -> None:
    mail_app.config["TRACKER_FIXED_NOW"] = NOW
    lead = login(world.lead_user)
    asked = lead.post(
        f"/tasks/{world.task.id}/extension",
        data={
            "extension-new_deadline": "05/05/2017",
            "extension-reason": "Chờ hướng dẫn",
            "extension-version": str(world.task.version),
        },
    )
    assert asked.status_code == 302
    from tracker.tasks.models import ExtensionRequest

    request = db.session.scalars(sa.select(ExtensionRequest)).one()
    db.session.refresh(world.task)
    decided = login(world.office).post(
        f"/extension-requests/{request.id}/decision",
        data={"extdecision-action": "approve", "extdecision-version": str(world.task.version)},
    )
    assert decided.status_code == 302
    assert [r.recipient_id for r in _rows(kind="extension_decided")] == [world.lead_user.id]
    assert "Đã có quyết định gia hạn" in lead.get("/notifications/").get_data(as_text=True)


def test_an_overdue_notice_reads_done_once_the_task_is_done(mail_app: Flask, login, world) -> None:
    mail_app.config["TRACKER_FIXED_NOW"] = local(2017, 4, 24, 9, 0)
    db.session.add(
        Delivery(
            recipient_id=world.lead_user.id,
            task_id=world.task.id,
            kind="overdue",
            day=date(2017, 4, 24),
            audience="lead",
            deadline=world.task.deadline,
            send_after_dt=local(2017, 4, 24),
            status=DeliveryStatus.SENT.value,
        )
    )
    db.session.commit()
    lead = login(world.lead_user)
    page = lead.get("/notifications/").get_data(as_text=True)
    assert "Quá hạn" in page and "đã xong" not in page
    _submit(lead, world)
    db.session.refresh(world.task)
    # Submitted is not done yet.
    assert "đã xong" not in lead.get("/notifications/").get_data(as_text=True)
    confirmed = login(world.chair).post(
        f"/tasks/{world.task.id}/decision",
        data={"decision-action": "confirm", "decision-version": str(world.task.version)},
    )
    assert confirmed.status_code == 302
    page = lead.get("/notifications/").get_data(as_text=True)
    overdue_row = next(row for row in page.split("<tr")[1:] if "Quá hạn" in row)
    assert "resolved muted" in overdue_row and "đã xong" in overdue_row
