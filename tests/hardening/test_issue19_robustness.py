"""Issue 19, robustness: webhooks checked and unable to stop a reminder pass, dates bounded
everywhere, no header injection through a full name, the probe's 500s turned into 4xx, and
the hygiene items (Allow on 405, one charset on CSV, calendar feed reads audited)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import World, make_task
from tests.reminders.conftest import SmtpHandler, local
from tests.reminders.test_webhooks import Receiver
from tests.reminders.test_webhooks import receiver as receiver  # a fixture
from tracker.auth.models import AuditEvent
from tracker.core.errors import ValidationError
from tracker.extensions import db
from tracker.notices.operations import confirm_draft, read_into_draft
from tracker.reminders.models import ReminderState, UnitWebhook, WebhookDelivery
from tracker.reports import calendar_feed
from tracker.reports.imports import ImportFileError, read_workbook
from tracker.tasks.models import Task

RANGE_MESSAGE = "Ngày phải nằm trong khoảng từ 01/01/2000 đến 31/12/2100"


# --- 9. webhooks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://bot.example/hook", "http:// hoặc https://"),
        ("https://bot example/hook", "dấu cách"),
        ("https://bot.example/ho ok", "dấu cách"),
        ("https://bot.example/hook\r\nX: 1", "dấu cách"),
        ("https://bot.example:99999/hook", "Cổng (port)"),
        ("http://127.0.0.1:8080/hook", "địa chỉ nội bộ"),
        ("http://localhost/hook", "địa chỉ nội bộ"),
        ("http://169.254.169.254/latest/meta-data/", "địa chỉ nội bộ"),
        ("http://10.1.2.3/hook", "địa chỉ nội bộ"),
        ("http://192.168.1.10/hook", "địa chỉ nội bộ"),
        ("http://[::1]/hook", "địa chỉ nội bộ"),
        ("http://[::ffff:127.0.0.1]/hook", "địa chỉ nội bộ"),
    ],
)
def test_webhook_url_validated_on_save(login, world: World, url: str, message: str) -> None:
    response = login(world.admin).post(
        "/admin/reminders/webhooks",
        data={"unit_id": world.noivu.id, "url": url, "is_active": "y"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "has-error" in page
    assert message in page or "Địa chỉ URL không hợp lệ" in page or "ký tự điều khiển" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitWebhook)) == 0


def test_private_webhook_target_allowed_only_when_configured(
    app: Flask, login, world: World
) -> None:
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True
    response = login(world.admin).post(
        "/admin/reminders/webhooks",
        data={"unit_id": world.noivu.id, "url": "http://10.1.2.3:8080/zalo", "is_active": "y"},
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(UnitWebhook.url)) == "http://10.1.2.3:8080/zalo"


def _webhook_rows() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_webhook_target_refused_at_delivery(
    mail_app: Flask, world: World, smtp: SmtpHandler, receiver: Receiver, run, host: str
) -> None:
    # Stored before addresses were checked, or under a name that resolves to loopback.
    mail_app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = False
    url = receiver.url.replace("127.0.0.1", host)
    db.session.add(UnitWebhook(unit_id=world.noivu.id, url=url, secret="s"))
    db.session.commit()
    run(local(2017, 4, 17))
    assert receiver.requests == []
    rows = _webhook_rows()
    assert rows and all("private" in (r.last_error or "") for r in rows)
    # Allowed by the administrator: delivered.
    mail_app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True
    run(local(2017, 4, 17, 8, 30))
    assert len(receiver.requests) == 1


def test_webhook_name_resolving_to_a_private_address_is_refused(monkeypatch) -> None:
    import socket

    from tracker.reminders import webhooks

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
        # bot.example's name now points inside the network (DNS rebinding, a typo in DNS).
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    with pytest.raises(webhooks.WebhookError, match="private address"):
        webhooks.post("https://bot.example/hook", "s", {"x": 1}, "1")


@pytest.mark.parametrize(
    "bad_url",
    ["http://exa mple.test/hook", "http://[::1/hook", "https://bot.example:99999/x", "gopher://x"],
)
def test_bad_webhook_url_does_not_stop_the_reminder_pass(
    mail_app: Flask, world: World, smtp: SmtpHandler, receiver: Receiver, runner, bad_url: str
) -> None:
    make_task(world.meeting, world.office, world.tuphap, deadline=date(2017, 4, 20))
    # One bad address put straight into the database, one good one.
    db.session.add(UnitWebhook(unit_id=world.noivu.id, url=bad_url, secret="a"))
    db.session.add(UnitWebhook(unit_id=world.tuphap.id, url=receiver.url, secret="b"))
    db.session.commit()
    mail_app.config["TRACKER_FIXED_NOW"] = local(2017, 4, 17)
    result = runner.invoke(args=["remind", "--now", "2017-04-17T07:30:00"])
    assert result.exit_code == 0, result.output
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0][1])["unit"] == "Phòng Tư pháp"
    failed = [r for r in _webhook_rows() if r.last_error]
    assert failed and all(r.webhook.unit_id == world.noivu.id for r in failed)
    assert smtp.received  # the e-mail went too
    state = db.session.scalar(sa.select(ReminderState))
    assert state is not None and state.last_pass_dt == local(2017, 4, 17)


# --- 11. dates bounded everywhere ------------------------------------------------------------


def test_dates_bounded_in_forms(login, world: World) -> None:
    office = login(world.office)
    response = office.post(
        f"/meetings/{world.meeting.id}/tasks/new",
        data={"content": "Kiểm tra", "lead_unit_id": str(world.noivu.id), "deadline": "31/12/9999"},
    )
    page = response.get_data(as_text=True)
    assert RANGE_MESSAGE in page and 'value="31/12/9999"' in page  # kept as typed
    meeting = office.post(
        "/meetings/new", data={"title": "Họp", "held_on": "01/01/1900", "chair_id": "0"}
    )
    assert RANGE_MESSAGE in meeting.get_data(as_text=True)
    lead = login(world.lead_user).post(
        f"/tasks/{world.task.id}/extension",
        data={
            "extension-new_deadline": "2101-01-01",
            "extension-reason": "Chờ",
            "extension-version": str(world.task.version),
        },
    )
    assert lead.status_code == 422 and RANGE_MESSAGE in lead.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_dates_bounded_in_the_api(app: Flask, world: World) -> None:
    from tracker.auth.operations import create_api_token

    token = create_api_token(world.lead_user, "t")
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "9999-12-31", "reason": "Chờ", "version": world.task.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert RANGE_MESSAGE in response.json["errors"]["new_deadline"]


def _workbook(deadline: Any) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"])
    sheet.append([1, "Rà soát hồ sơ", "Phòng Nội vụ", deadline])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("deadline", ["31/12/9999", date(9999, 12, 31), "01/01/1999"])
def test_dates_bounded_in_imports(world: World, deadline: Any) -> None:
    [row] = read_workbook(_workbook(deadline), world.meeting)
    assert not row.ok and any(RANGE_MESSAGE in p for p in row.problems)
    assert row.deadline is None


def test_dates_bounded_for_the_notice_readers_output(world: World) -> None:
    draft = read_into_draft(
        world.meeting,
        actor=world.office,
        text="Giao Phòng Nội vụ chủ trì rà soát hồ sơ, hoàn thành trước ngày 30/6/2017.",
    )
    rows = [dict(row) for row in draft.rows]
    rows[0]["deadline"] = "9999-12-31"  # what a reader slip or an edited draft could carry
    draft.rows = rows
    with pytest.raises(ValidationError) as refused:
        confirm_draft(draft, actor=world.office)
    assert RANGE_MESSAGE in refused.value.errors["row-0-deadline"]


def test_ical_feed_survives_an_out_of_range_deadline_already_stored(
    app: Flask, world: World
) -> None:
    far = make_task(world.meeting, world.office, world.noivu, content="Hạn gõ nhầm")
    db.session.commit()
    db.session.execute(sa.update(Task).where(Task.id == far.id).values(deadline=date(9999, 12, 31)))
    feed = calendar_feed.regenerate_feed(world.lead_user)
    db.session.commit()
    response = app.test_client().get(f"/feeds/{calendar_feed.feed_token(feed)}.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"task-{world.task.id}@" in body and f"task-{far.id}@" not in body


# --- 12. no header injection through a full name ---------------------------------------------


def test_crlf_in_full_name_adds_no_mail_header(
    mail_app: Flask, world: World, smtp: SmtpHandler, run
) -> None:
    # Stored straight into the database (the forms refuse it): the mail must still be safe.
    world.lead_user.full_name = "Hà Thị Lan\r\nBcc: spy@evil.example\r\nX-Evil: 1"
    db.session.commit()
    run(local(2017, 4, 17))
    mine = [m for m in smtp.received if "noivu@vanho.example" in m.envelope_to]
    assert mine
    for message in smtp.received:
        assert "spy@evil.example" not in message.envelope_to
        assert message.message["Bcc"] is None and message.message["X-Evil"] is None
    to = mine[0].message["To"]
    assert to.addresses[0].addr_spec == "noivu@vanho.example"
    assert "\n" not in to.addresses[0].display_name and "Hà Thị Lan" in str(to)


# --- 13. the probe's 500s are 4xx --------------------------------------------------------------


@pytest.mark.parametrize("action", ["submit", "start"])
def test_chair_posting_a_units_action_to_decision_is_403(login, world: World, action: str) -> None:
    response = login(world.chair).post(
        f"/tasks/{world.task.id}/decision",
        data={"decision-action": action, "decision-version": str(world.task.version)},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Task, world.task.id).status == "new"


@pytest.mark.parametrize("path", ["/tasks/", "/meetings/", "/admin/audit"])
@pytest.mark.parametrize("page", ["99999999999999999999", "1000001", "-99999999999999999999"])
def test_huge_page_numbers_are_400(login, world: World, path: str, page: str) -> None:
    client = login(world.admin)
    response = client.get(f"{path}?page={page}")
    if page.startswith("-"):
        assert response.status_code == 200  # below 1: the first page, as always
        return
    assert response.status_code == 400
    assert "Số trang không hợp lệ" in response.get_data(as_text=True)
    # Past the end but within the bound: an empty page; nonsense: the first page.
    for fine in ("2", "1000000", "0", "abc"):
        assert client.get(f"{path}?page={fine}").status_code == 200, fine


def test_deeply_nested_json_body_is_400(app: Flask, world: World) -> None:
    from tracker.auth.operations import create_api_token

    token = create_api_token(world.lead_user, "t")
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/tasks/{world.task.id}/updates",
        data="[" * 100_000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "lồng nhau quá sâu" in response.json["message"]


def _entity_bomb_xlsx() -> bytes:
    """A real workbook whose first sheet declares a "billion laughs" entity and uses it."""
    source = zipfile.ZipFile(io.BytesIO(_workbook("30/6/2017")))
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = f"<!DOCTYPE worksheet [{''.join(entities)}]>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                head, rest = text.split("?>", 1) if "?>" in text else ("", text)
                text = (head + "?>" if head else "") + bomb + rest
                # The entity used in a cell: an inline string, so the sheet must expand it.
                text = text.replace("<sheetData>", "<sheetData><!-- &lol9; -->", 1)
                data = (
                    text.replace("</sheetData>", "", 1)
                    .replace(
                        "<sheetData><!-- &lol9; -->",
                        '<sheetData><row r="9"><c r="A9" t="inlineStr"><is><t>&lol9;</t></is>'
                        "</c></row>",
                        1,
                    )
                    .replace("</worksheet>", "</sheetData></worksheet>", 1)
                    .encode()
                )
            archive.writestr(member, data)
    return out.getvalue()


def test_xlsx_with_a_dtd_entity_bomb_is_refused(login, world: World) -> None:
    data = _entity_bomb_xlsx()
    with pytest.raises(ImportFileError, match="khai báo DTD"):
        read_workbook(data, world.meeting)
    response = login(world.office).post(
        "/reports/import",
        data={"meeting": str(world.meeting.id), "file": (io.BytesIO(data), "ds.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "khai báo DTD" in response.get_data(as_text=True)


# --- 14. hygiene; calendar feed reads audited --------------------------------------------------


def test_405_responses_carry_allow(app: Flask, login, world: World) -> None:
    response = app.test_client().get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"].split(", ")
    api = app.test_client().delete(f"/api/v1/tasks/{world.task.id}")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    page = login(world.office).put(f"/tasks/{world.task.id}")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_csv_content_type_names_the_charset_once(login, world: World) -> None:
    response = login(world.office).get("/reports/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_calendar_feed_reads_are_audited(app: Flask, world: World) -> None:
    feed = calendar_feed.regenerate_feed(world.lead_user)
    db.session.commit()
    response = app.test_client().get(
        f"/feeds/{calendar_feed.feed_token(feed)}.ics", environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert response.status_code == 200
    reads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.detail.like(f"read feed={feed.id} %"))
    ).all()
    assert [(e.username, e.address) for e in reads] == [("noivu", "203.0.113.9")]
