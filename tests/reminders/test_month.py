"""A meeting's tasks through a month of passes: exactly which e-mails each person got each day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import Flask

from tests.factories import make_task, make_user
from tests.reminders.conftest import SmtpHandler, local
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reminders.operations.preferences import set_event_mode, set_muted
from tracker.tasks.extensions import decide_extension, request_extension
from tracker.tasks.operations import change_status, post_progress

# Each day: person -> the messages they received, each message as the sorted reminders it
# carries ("task:kind"). Days not listed: nobody received anything.
EXPECTED = {
    date(2017, 4, 10): {
        "noivu": [["A:assigned"], ["C:assigned"]],
        "tuphap": [["B:assigned"]],
        "noivu2": [["D:assigned"]],
    },
    date(2017, 4, 11): {"tckh": [["A:assigned", "C:assigned"]], "noivu2": [["D:due_soon"]]},
    date(2017, 4, 14): {"noivu2": [["D:due_today"]]},
    date(2017, 4, 17): {
        "noivu2": [["D:overdue"]],
        "noivu": [["A:due_soon"]],
        "tckh": [["A:due_soon"]],
    },
    date(2017, 4, 19): {"noivu2": [["D:overdue"]]},
    date(2017, 4, 20): {"tuphap": [["B:due_soon"]]},
    date(2017, 4, 21): {
        "noivu2": [["D:overdue"]],
        "chutich": [["A:awaiting_confirmation", "D:escalation"]],
        "vanphong": [["A:awaiting_confirmation", "D:escalation"]],
    },
    date(2017, 4, 24): {"noivu": [["A:returned"]]},
    date(2017, 4, 25): {
        "tuphap": [["B:due_today"]],
        "noivu2": [["D:extension_decided"], ["D:overdue"]],
        "noivu": [["A:overdue"]],
        "chutich": [["D:extension_pending"]],
        "vanphong": [["D:extension_pending"]],
    },
    date(2017, 4, 26): {"tuphap": [["B:overdue"]]},
    date(2017, 4, 27): {
        "noivu": [["A:overdue"]],
        "chutich": [["A:escalation"]],
        "vanphong": [["A:escalation"]],
    },
    date(2017, 4, 28): {"tuphap": [["B:overdue"]], "noivu2": [["D:due_soon"]]},
    date(2017, 5, 3): {"noivu": [["A:overdue"]]},
    date(2017, 5, 4): {
        "tuphap": [["B:overdue"]],
        "chutich": [["B:escalation"]],
        "vanphong": [["B:escalation"]],
    },
    date(2017, 5, 5): {"noivu2": [["D:due_today"]]},
    date(2017, 5, 8): {"tuphap": [["B:overdue"]], "noivu2": [["D:overdue"]]},
    date(2017, 5, 9): {"tckh": [["C:due_soon"]]},
    date(2017, 5, 10): {"tuphap": [["B:overdue"]], "noivu2": [["D:overdue"]]},
}


def test_a_month_of_passes(mail_app: Flask, world, smtp: SmtpHandler, run) -> None:
    w = world
    noivu2 = make_user(Role.UNIT, w.noivu, "noivu2", full_name="Sùng A Páo")
    a = w.task  # Nội vụ leads, TC-KH coordinates, deadline 20/4
    b = make_task(w.meeting, w.office, w.tuphap, deadline=date(2017, 4, 25))
    c = make_task(
        w.meeting, w.office, w.taichinh, coordinating_units=[w.noivu], deadline=date(2017, 5, 12)
    )
    d = make_task(w.meeting, w.office, w.noivu, responsible=noivu2, deadline=date(2017, 4, 14))
    set_event_mode(w.coord_user, "digest")
    db.session.commit()
    names = {a.id: "A", b.id: "B", c.id: "C", d.id: "D"}

    def at(day: date, hour: int, minute: int = 0) -> None:
        mail_app.config["TRACKER_FIXED_NOW"] = local(day.year, day.month, day.day, hour, minute)

    # What people do, at 10:00 on these days.
    def act(day: date) -> None:
        if day == date(2017, 4, 12):
            set_muted(w.lead_user, c, True)  # Nội vụ only coordinates C
        if day == date(2017, 4, 19):
            post_progress(a, actor=w.lead_user, note="Đã xây dựng xong kế hoạch", status="submitted")
        if day == date(2017, 4, 24):
            change_status(a, actor=w.office, transition_name="return", reason="Bổ sung số liệu")
            request_extension(
                d, actor=noivu2, new_deadline=date(2017, 5, 5), reason="Chờ số liệu của xã"
            )
        if day == date(2017, 4, 25):
            decide_extension(d.extension_requests_pending, actor=w.office, approve=True)
        if day == date(2017, 5, 3):
            post_progress(a, actor=w.lead_user, note="Đã bổ sung số liệu", status="submitted")
        if day == date(2017, 5, 4):
            change_status(a, actor=w.office, transition_name="confirm")
        db.session.commit()

    got: dict[date, dict[str, list[list[str]]]] = defaultdict(lambda: defaultdict(list))
    seen = 0
    day = date(2017, 4, 10)
    while day <= date(2017, 5, 10):
        # Several passes a day, weekends included: extra passes must send nothing twice.
        for hour, minute in ((7, 0), (7, 30), (7, 31), (10, 0), (16, 0)):
            if day == date(2017, 4, 10) and hour < 16:
                continue  # the tasks were assigned on the 10th at 09:00
            if (hour, minute) == (10, 0):
                at(day, 10)
                from tracker.extensions import db as _db

                _db.session.expire_all()
                if day == date(2017, 4, 25):
                    from tracker.tasks.extensions import pending_request

                    d.extension_requests_pending = pending_request(d)
                act(day)
                continue
            run(local(day.year, day.month, day.day, hour, minute))
            for message in smtp.received[seen:]:
                user = message.to.split("@")[0]
                items = sorted(
                    f"{names[int(r.split(':')[0])]}:{r.split(':')[1]}" for r in message.reminders
                )
                got[day][user].append(items)
            seen = len(smtp.received)
        day += timedelta(days=1)

    actual = {k: {u: sorted(m) for u, m in v.items()} for k, v in got.items()}
    expected = {k: {u: sorted(m) for u, m in v.items()} for k, v in EXPECTED.items()}
    assert actual == expected
