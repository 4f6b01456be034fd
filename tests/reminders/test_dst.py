"""A zone with daylight saving (Europe/Berlin): no digest day skipped or doubled."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from tests.factories import make_meeting, make_task
from tests.reminders.conftest import SmtpHandler
from tracker.calendar.operations import set_day
from tracker.extensions import db
from tracker.reminders.models import ReminderSettings

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change_day", "digest_time"),
    [
        (date(2017, 3, 26), "02:30"),  # spring: 02:30 does not exist that day
        (date(2017, 10, 29), "02:30"),  # autumn: 02:30 happens twice that day
        (date(2017, 3, 26), "07:30"),
    ],
)
def test_one_digest_a_day_across_the_change(
    mail_app: Flask, world, smtp: SmtpHandler, run, change_day: date, digest_time: str
) -> None:
    mail_app.config["TRACKER_TIMEZONE"] = "Europe/Berlin"
    db.session.add(ReminderSettings(id=1, digest_time=digest_time, overdue_every=1))
    # The change happens on a Sunday; declare that Sunday a working day so the digest is due
    # on the very day the clock jumps.
    set_day(change_day, is_working=True, note="Làm bù")
    # Overdue every working day: one reminder a day for the whole window.
    meeting = make_meeting(world.office, held_on=change_day - timedelta(days=30))
    make_task(meeting, world.office, world.tuphap, deadline=change_day - timedelta(days=10))
    db.session.commit()
    start = datetime.combine(change_day - timedelta(days=2), datetime.min.time(), tzinfo=BERLIN)
    moment = start.astimezone(UTC)
    end = (start + timedelta(days=5)).astimezone(UTC)
    while moment < end:  # a pass every 30 minutes of real (UTC) time
        run(moment)
        moment += timedelta(minutes=30)
    days = Counter(
        datetime.strptime(m.message["Date"], "%a, %d %b %Y %H:%M:%S %z").astimezone(BERLIN).date()
        for m in smtp.received
        if m.to == "tuphap@vanho.example" and any(r.endswith(":overdue") for r in m.reminders)
    )
    working = [
        change_day - timedelta(days=2),
        change_day,
        change_day + timedelta(days=1),
        change_day + timedelta(days=2),
    ]
    assert days == Counter(working)  # Friday, the Sunday, Monday, Tuesday: once each
