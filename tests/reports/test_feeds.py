"""Private calendar feeds, parsed with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import sqlalchemy as sa

from tracker.extensions import db
from tracker.reports.models import CalendarFeed
from tracker.tasks.extensions import decide_extension, request_extension


def _feed_url(client) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/reports/calendar", data={"action": "regenerate"})
    assert response.status_code == 302
    html = client.get("/reports/calendar").get_data(as_text=True)
    url = html.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
    assert "/feeds/" in url and url.endswith(".ics")
    return url[url.index("/feeds/") :]


def _events(client, path: str) -> dict[str, icalendar.Event]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_lists_the_units_deadlines(login, client, data) -> None:
    path = _feed_url(login(data.a_user))
    events = _events(client, path)  # anonymous: the token is the key
    # A leads 1-12 (9 cancelled, 11 without deadline left out) and coordinates 14.
    expected = {data.tasks[n].id for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14)}
    assert {int(uid.split("@")[0].removeprefix("task-")) for uid in events} == expected
    event = events[f"task-{data.tasks[3].id}@127.0.0.1"]
    assert event.decoded("DTSTART") == date(2017, 4, 6)
    assert event.decoded("DTEND") == date(2017, 4, 7)
    assert str(event["SUMMARY"]).startswith("[Chủ trì] Nhiệm vụ số 3")
    assert str(event["URL"]).endswith(f"/tasks/{data.tasks[3].id}")
    assert "Đơn vị phối hợp: Phòng Tư pháp" in str(event["DESCRIPTION"])
    assert str(events[f"task-{data.tasks[14].id}@127.0.0.1"]["SUMMARY"]).startswith("[Phối hợp]")


def test_uid_stable_and_sequence_grows_when_the_deadline_moves(login, client, data) -> None:
    path = _feed_url(login(data.a_user))
    task = data.tasks[5]
    uid = f"task-{task.id}@127.0.0.1"
    before = _events(client, path)[uid]
    request = request_extension(
        task, actor=data.a_user, new_deadline=date(2017, 5, 5), reason="Chờ ý kiến sở"
    )
    decide_extension(request, actor=data.office, approve=True)
    db.session.commit()
    after = _events(client, path)[uid]
    assert after.decoded("DTSTART") == date(2017, 5, 5)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert "Đã gia hạn 1 lần" in str(after["DESCRIPTION"])


def test_revoked_regenerated_and_unknown_tokens_are_404(login, client, data) -> None:
    user_client = login(data.a_user)
    old = _feed_url(user_client)
    new = _feed_url(user_client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    user_client.post("/reports/calendar", data={"action": "revoke"})
    assert client.get(new).status_code == 404
    assert "đã bị thu hồi" in user_client.get("/reports/calendar").get_data(as_text=True)
    assert client.get("/feeds/nonsense.ics").status_code == 404
    assert client.get("/feeds/" + "x" * 500 + ".ics").status_code == 404


def test_deactivated_owner_feed_is_404(login, client, data) -> None:
    path = _feed_url(login(data.a_user))
    data.a_user.is_active_user = False
    db.session.commit()
    assert client.get(path).status_code == 404


# --- reads in the audit log ------------------------------------------------------------------


def _feed_events(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    from tracker.auth.models import AuditEvent

    rows = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.kind == "calendar_feed").order_by(AuditEvent.id)
    )
    return [(e.username, e.address, e.detail.split(" token=")[0]) for e in rows]


def _poll(client, path: str, address: str) -> int:  # type: ignore[no-untyped-def]
    return client.get(path, environ_base={"REMOTE_ADDR": address}).status_code


def test_reads_are_audited_once_per_address_and_day(app, login, client, data) -> None:
    user_client = login(data.a_user)
    path = _feed_url(user_client)
    feed_id = db.session.scalar(sa.select(CalendarFeed.id))
    start = app.config["TRACKER_FIXED_NOW"]
    # A calendar polling every 5 minutes for an hour from the office, once from a phone.
    for minutes in range(0, 60, 5):
        app.config["TRACKER_FIXED_NOW"] = start + timedelta(minutes=minutes)
        assert _poll(client, path, "203.0.113.5") == 200
    assert _poll(client, path, "198.51.100.7") == 200
    # The next local day, the office's calendar again.
    app.config["TRACKER_FIXED_NOW"] = start + timedelta(days=1)
    assert _poll(client, path, "203.0.113.5") == 200
    assert _poll(client, path, "203.0.113.5") == 200
    name = data.a_user.username
    read = f"read feed={feed_id}"
    assert _feed_events(app) == [
        (name, "127.0.0.1", f"new URL feed={feed_id}"),
        (name, "203.0.113.5", read),
        (name, "198.51.100.7", read),
        (name, "203.0.113.5", read),
    ]
    db.session.expire_all()
    feed = db.session.get(CalendarFeed, feed_id)
    assert feed.last_used_dt == start + timedelta(days=1)  # the latest poll, not the first
    # The owner sees when and from where the feed was read.
    html = user_client.get("/reports/calendar").get_data(as_text=True)
    assert "lần đọc gần nhất" in html
    assert "203.0.113.5" in html and "198.51.100.7" in html and "Đã đọc" in html


def test_day_boundary_is_local_midnight(app, login, client, data) -> None:
    path = _feed_url(login(data.a_user))
    # 16:59 and 17:01 UTC are 23:59 and 00:01 in Hà Nội: two local days, two rows.
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 10, 16, 59, tzinfo=UTC)
    assert _poll(client, path, "203.0.113.5") == 200
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 10, 17, 1, tzinfo=UTC)
    assert _poll(client, path, "203.0.113.5") == 200
    app.config["TRACKER_FIXED_NOW"] = datetime(2017, 4, 11, 16, 0, tzinfo=UTC)
    assert _poll(client, path, "203.0.113.5") == 200
    reads = [e for e in _feed_events(app) if e[2].startswith("read")]
    assert len(reads) == 2


def test_refused_reads_are_audited_with_their_owner(app, login, client, data) -> None:
    user_client = login(data.a_user)
    old = _feed_url(user_client)
    new = _feed_url(user_client)  # the old URL is replaced
    feed_id = db.session.scalar(sa.select(CalendarFeed.id))
    for _ in range(3):
        assert _poll(client, old, "203.0.113.5") == 404
    user_client.post("/reports/calendar", data={"action": "revoke"})
    for _ in range(3):
        assert _poll(client, new, "198.51.100.7") == 404
    name = data.a_user.username
    events = _feed_events(app)
    assert events[-4:] == [
        (name, "127.0.0.1", f"new URL feed={feed_id}"),
        (name, "203.0.113.5", f"refused replaced feed={feed_id}"),
        (name, "127.0.0.1", f"revoked feed={feed_id}"),
        (name, "198.51.100.7", f"refused revoked feed={feed_id}"),
    ]
    # The replacement names the URL it replaced; the refusal names the same URL.
    from tracker.auth.models import AuditEvent

    details = db.session.scalars(sa.select(AuditEvent.detail).order_by(AuditEvent.id)).all()
    old_print = next(d for d in details if "replaces" in d).rsplit("token=", 1)[1]
    assert f"refused replaced feed={feed_id} token={old_print}" in details
    html = user_client.get("/reports/calendar").get_data(as_text=True)
    assert "Bị từ chối: địa chỉ đã thu hồi" in html
    assert "Bị từ chối: địa chỉ cũ đã được thay" in html


def test_deactivated_owner_reads_are_audited(app, login, client, data) -> None:
    path = _feed_url(login(data.a_user))
    data.a_user.is_active_user = False
    db.session.commit()
    assert _poll(client, path, "203.0.113.5") == 404
    assert _feed_events(app)[-1][1:] == (
        "203.0.113.5",
        f"refused inactive owner feed={db.session.scalar(sa.select(CalendarFeed.id))}",
    )


def test_guessed_tokens_write_one_row_per_address_and_day(app, client, data) -> None:
    for n in range(20):
        assert _poll(client, f"/feeds/guess{n:03d}.ics", "192.0.2.9") == 404
    assert _poll(client, "/feeds/another.ics", "192.0.2.10") == 404
    assert _feed_events(app) == [
        ("", "192.0.2.9", "refused unknown"),
        ("", "192.0.2.10", "refused unknown"),
    ]
