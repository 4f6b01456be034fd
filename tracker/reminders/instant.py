"""Notifications planned by the request that made the news, not only by the next pass."""

from __future__ import annotations

from flask import current_app

from tracker.core.time import now_utc
from tracker.extensions import db
from tracker.reminders.operations.planning import plan_task_events_now
from tracker.reminders.operations.rules import load_rules
from tracker.reminders.passes import make_clock


def notify_task_now(task_id: int) -> None:
    """Plan, and commit, the notifications of what just happened to the task: a submitted
    result or an extension request reaches the chair's and the office's notifications at
    once; e-mails leave with the next pass (immediately or in the digest, as each person
    chose). Called after the change is committed: a failure here is logged and left to the
    pass, never the user's error."""
    try:
        plan_task_events_now(make_clock(now_utc(), load_rules()), task_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("planning the notifications of task %s failed", task_id)
