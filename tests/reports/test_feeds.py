"""Private calendar feeds, parsed with icalendar."""

from __future__ import annotations

from datetime import date

import icalendar

from tracker.extensions import db
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
