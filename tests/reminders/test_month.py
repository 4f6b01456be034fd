"""A meeting's tasks through a month of passes: exactly which e-mails each person got each day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from flask import Flask

from tests.factories import make_task, make_user
from tests.reminders.conftest import SmtpHandler, local
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reminders.operations.preferences import set_event_mode, set_muted
from tracker.tasks.extensions import decide_extension, pending_request, request_extension
from tracker.tasks.operations import change_status, post_progress

# Nội vụ has two members and nobody is named responsible for A, so both hear about A; D names
# noivu2. Each day: person -> the messages they received, each message as the sorted reminders it
# carries ("task:kind"). Days not listed: nobody received anything.
EXPECTED = {
    date(2017, 4, 10): {
        "noivu": [["A:assigned"], ["C:assigned"]],
        "tuphap": [["B:assigned"]],
        "noivu2": [["A:assigned"], ["C:assigned"], ["D:assigned"]],
    },
    date(2017, 4, 11): {"tckh": [["A:assigned", "C:assigned"]], "noivu2": [["D:due_soon"]]},
    date(2017, 4, 14): {"noivu2": [["D:due_today"]]},
    date(2017, 4, 17): {
        "noivu2": [["A:due_soon", "D:overdue"]],
        "noivu": [["A:due_soon"]],
        "tckh": [["A:due_soon"]],
    },
    # A submitted: the chair and the office hear at once (issue 18 §2).
    date(2017, 4, 19): {
        "noivu2": [["D:overdue"]],
        "chutich": [["A:result_submitted"]],
        "vanphong": [["A:result_submitted"]],
    },
    date(2017, 4, 20): {"tuphap": [["B:due_soon"]]},
    date(2017, 4, 21): {
        "noivu2": [["D:overdue"]],
        "chutich": [["A:awaiting_confirmation", "D:escalation"]],
        "vanphong": [["A:awaiting_confirmation", "D:escalation"]],
    },
    date(2017, 4, 24): {
        "noivu": [["A:returned"]],
        "noivu2": [["A:returned"]],
        "chutich": [["D:extension_requested"]],
        "vanphong": [["D:extension_requested"]],
    },
    date(2017, 4, 25): {
        "tuphap": [["B:due_today"]],
        "noivu2": [["A:overdue", "D:overdue"], ["D:extension_decided"]],
        "noivu": [["A:overdue"]],
        "chutich": [["D:extension_pending"]],
        "vanphong": [["D:extension_pending"]],
    },
    date(2017, 4, 26): {"tuphap": [["B:overdue"]]},
    date(2017, 4, 27): {
        "noivu": [["A:overdue"]],
        "noivu2": [["A:overdue"]],
        "chutich": [["A:escalation"]],
        "vanphong": [["A:escalation"]],
    },
    date(2017, 4, 28): {"tuphap": [["B:overdue"]], "noivu2": [["D:due_soon"]]},
    date(2017, 5, 3): {
        "noivu": [["A:overdue"]],
        "noivu2": [["A:overdue"]],
        "chutich": [["A:result_submitted"]],
        "vanphong": [["A:result_submitted"]],
    },
    date(2017, 5, 4): {
        "tuphap": [["B:overdue"]],
        "chutich": [["B:escalation"]],
        "vanphong": [["B:escalation"]],
        "noivu": [["A:confirmed"]],
        "noivu2": [["A:confirmed"]],
    },
    date(2017, 5, 5): {"noivu2": [["D:due_today"]]},
    date(2017, 5, 8): {"tuphap": [["B:overdue"]], "noivu2": [["D:overdue"]]},
    # Nội vụ's noivu muted C on the 12th; noivu2 did not.
    date(2017, 5, 9): {"tckh": [["C:due_soon"]], "noivu2": [["C:due_soon"]]},
    date(2017, 5, 10): {"tuphap": [["B:overdue"]], "noivu2": [["D:overdue"]]},
}


@pytest.mark.slow
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
            post_progress(
                a, actor=w.lead_user, note="Đã xây dựng xong kế hoạch", status="submitted"
            )
        if day == date(2017, 4, 24):
            change_status(a, actor=w.office, transition_name="return", reason="Bổ sung số liệu")
            request_extension(
                d, actor=noivu2, new_deadline=date(2017, 5, 5), reason="Chờ số liệu của xã"
            )
        if day == date(2017, 4, 25):
            request = pending_request(d)
            assert request is not None
            decide_extension(request, actor=w.office, approve=True)
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
            if day.weekday() >= 5 and hour != 16:
                continue
            if day == date(2017, 4, 10) and hour < 16:
                continue  # the tasks were assigned on the 10th at 09:00
            if (hour, minute) == (10, 0):
                at(day, 10)
                db.session.expire_all()
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
