"""Pages: notifications with the unread count, preferences and muting, the admin's rules,
/healthz."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask

from tests.factories import make_task
from tests.reminders.conftest import local
from tests.sql import recorded_statements
from tracker.extensions import db
from tracker.reminders.models import TaskMute
from tracker.reminders.operations.rules import load_rules


def test_notifications_and_unread_count(app: Flask, world, run, login) -> None:
    run(local(2017, 4, 17))
    client = login(world.lead_user)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "Sắp đến hạn" in page.text and "Xây dựng kế hoạch khắc phục" in page.text
    assert 'class="count"' in page.text and ">1</span>" in page.text  # header badge
    from tracker.reminders.models import Delivery

    delivery = db.session.query(Delivery).filter_by(recipient_id=world.lead_user.id).one()
    opened = client.get(f"/notifications/{delivery.id}")
    assert opened.status_code == 302 and opened.location.endswith(f"/tasks/{world.task.id}")
    page = client.get("/tasks/mine")
    assert 'class="count"' not in page.text
    # Someone else's notification is not found.
    assert login(world.other_user).get(f"/notifications/{delivery.id}").status_code == 404
    assert client.post("/notifications/read").status_code == 302


def test_unread_count_is_one_query(app: Flask, world, run, login) -> None:

    run(local(2017, 4, 17))
    client = login(world.lead_user)
    with recorded_statements() as statements:
        client.get("/tasks/mine")
    assert sum("reminder_deliveries" in s for s in statements) == 1


def test_coordinating_member_mutes_a_task_but_not_one_the_unit_leads(
    app: Flask, world, login, run
) -> None:
    client = login(world.coord_user)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200 and "Xây dựng kế hoạch khắc phục" in page.text
    assert (
        client.post(f"/notifications/mute/{world.task.id}", data={"muted": "1"}).status_code == 302
    )
    assert db.session.get(TaskMute, (world.coord_user.id, world.task.id)) is not None
    result = run(local(2017, 4, 17))
    assert result.planned == 1  # the lead unit only
    # The lead unit cannot mute its own task; a stranger does not even see it.
    lead = login(world.lead_user)
    assert lead.post(f"/notifications/mute/{world.task.id}", data={"muted": "1"}).status_code == 403
    other = login(world.other_user)
    assert (
        other.post(f"/notifications/mute/{world.task.id}", data={"muted": "1"}).status_code == 404
    )
    assert (
        client.post(f"/notifications/mute/{world.task.id}", data={"muted": "0"}).status_code == 302
    )
    assert db.session.get(TaskMute, (world.coord_user.id, world.task.id)) is None


def test_event_mode_preference(app: Flask, world, login) -> None:
    client = login(world.lead_user)
    assert (
        client.post("/notifications/preferences", data={"event_mode": "digest"}).status_code == 302
    )
    from tracker.reminders.operations.preferences import event_mode

    assert event_mode(world.lead_user) == "digest"
    page = client.get("/notifications/preferences")
    assert re.search(r'<input checked[^>]*value="digest"', page.text)
    bad = client.post("/notifications/preferences", data={"event_mode": "sms"})
    assert bad.status_code == 200 and 'class="error"' in bad.text
    assert event_mode(world.lead_user) == "digest"


def test_admin_settings_page(app: Flask, world, login) -> None:
    admin = login(world.admin)
    page = admin.get("/admin/reminders")
    assert page.status_code == 200 and 'value="07:30"' in page.text and 'value="3"' in page.text
    form = {
        "days_before": "5",
        "on_deadline_day": "y",
        "overdue_every": "2",
        "escalate_after": "5",
        "confirmation_after": "2",
        "extension_reminders": "y",
        "digest_time": "25:00",
        "max_attempts": "5",
        "retry_minutes": "5",
    }
    bad = admin.post("/admin/reminders", data=form)
    assert bad.status_code == 200 and "HH:MM" in bad.text and 'value="25:00"' in bad.text
    assert load_rules().days_before == 3
    bad = admin.post("/admin/reminders", data={**form, "digest_time": "08:00", "days_before": "x"})
    assert bad.status_code == 200 and "số nguyên" in bad.text
    bad = admin.post("/admin/reminders", data={**form, "digest_time": "08:00", "days_before": "0"})
    assert bad.status_code == 200 and "từ 1 đến 30" in bad.text
    ok = admin.post("/admin/reminders", data={**form, "digest_time": "8h15"})
    assert ok.status_code == 302
    rules = load_rules()
    assert (rules.days_before, f"{rules.digest_time:%H:%M}") == (5, "08:15")
    assert login(world.office).get("/admin/reminders").status_code == 403
    assert app.test_client().get("/admin/reminders").status_code == 302


def test_a_later_digest_time_waits(app: Flask, world, run, login) -> None:
    from tracker.reminders.models import ReminderSettings

    db.session.add(ReminderSettings(id=1, digest_time="08:15"))
    db.session.commit()
    assert run(local(2017, 4, 17, 8, 14)).planned == 0
    assert run(local(2017, 4, 17, 8, 15)).planned == 2
    # Saturday: no digest at all.
    make_task(world.meeting, world.office, world.tuphap, deadline=date(2017, 4, 24))
    db.session.commit()
    assert run(local(2017, 4, 22, 9, 0)).planned == 0


def test_healthz(app: Flask, world, run) -> None:
    client = app.test_client()
    assert client.get("/healthz").json == {
        "status": "ok",
        "database": "ok",
        "last_reminder_pass_dt": None,
    }
    run(local(2017, 4, 17))
    assert client.get("/healthz").json["last_reminder_pass_dt"] == "2017-04-17T00:30:00+00:00"


def test_unread_badge_stops_counting_at_99(app: Flask, world, login, monkeypatch) -> None:
    from tracker.reminders.operations import preferences

    run_for = login(world.lead_user)
    page = run_for.get("/tasks/mine")
    assert 'class="count"' not in page.text
    # 3 unread with the cap lowered to 2: the badge says "2+", not a number it did not count.
    from tracker.reminders.models import Delivery, DeliveryStatus

    for day in range(3):
        db.session.add(
            Delivery(
                recipient_id=world.lead_user.id,
                task_id=world.task.id,
                kind="overdue",
                day=date(2017, 5, 1 + day),
                audience="lead",
                is_digest=True,
                status=DeliveryStatus.SENT.value,
                send_after_dt=local(2017, 5, 1),
            )
        )
    db.session.commit()
    assert preferences.unread_count(world.lead_user) == 3
    monkeypatch.setattr(preferences, "UNREAD_CAP", 2)
    assert preferences.unread_count(world.lead_user) == 3  # counted up to cap + 1
    page = run_for.get("/tasks/mine")
    assert '<span class="count" aria-label="2+ chưa đọc">2+</span>' in page.text


def _statuses(world, **counts: int) -> None:
    """Deliveries of `world.task` in the given statuses, to the lead user, a day each."""
    from datetime import UTC, datetime, timedelta

    from tracker.reminders.models import Delivery

    n = 0
    for status, count in counts.items():
        for _ in range(count):
            n += 1
            sent_at = datetime(2017, 4, 1, tzinfo=UTC) + timedelta(days=n)
            db.session.add(
                Delivery(
                    recipient_id=world.lead_user.id,
                    task_id=world.task.id,
                    kind="overdue",
                    day=sent_at.date(),
                    audience="lead",
                    send_after_dt=sent_at,
                    status=status,
                )
            )
    db.session.commit()


def _listed_counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'status=(\w+)">[^<]+</a>: (?:<span[^>]*>)?([≈ \d.,]+)', page))


def test_settings_page_counts_each_status(app: Flask, world, login) -> None:
    _statuses(world, pending=2, failed=1, skipped=3, sent=4, in_app=1)
    page = login(world.admin).get("/admin/reminders").get_data(as_text=True)
    assert _listed_counts(page) == {
        "pending": "2",
        "sending": "0",
        "sent": "4",
        "failed": "1",
        "skipped": "3",
        "in_app": "1",
    }


def test_settings_page_estimates_a_long_history(
    app: Flask, world, login, backend: str, monkeypatch
) -> None:
    """Past EXACT_UP_TO reminders PostgreSQL's statistics give the history (sent, in the
    application only), marked as an estimate; what is still to act on stays exact."""
    import sqlalchemy as sa

    from tracker.reminders.operations import counts

    _statuses(world, pending=2, failed=1, sent=40, in_app=10)
    if backend == "postgresql":
        db.session.execute(sa.text("ANALYZE reminder_deliveries"))
        db.session.commit()
    monkeypatch.setattr(counts, "EXACT_UP_TO", 20)
    page = login(world.admin).get("/admin/reminders").get_data(as_text=True)
    listed = _listed_counts(page)
    if backend == "postgresql":
        # The sample is the whole small table: the estimate is exact here.
        assert listed == {**listed, "sent": "≈ 40", "in_app": "≈ 10", "pending": "2", "failed": "1"}
    else:
        assert listed == {**listed, "sent": "40", "in_app": "10", "pending": "2", "failed": "1"}
