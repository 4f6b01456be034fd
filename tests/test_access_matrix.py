"""Every route × every role: allowed, 404 or 403 as specified, never the data, never a 500.

The routes come from the app's URL map, so a new route without an entry here fails.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from tracker.calendar.operations import set_day
from tracker.extensions import db
from tracker.reports.calendar_feed import feed_token, regenerate_feed
from tracker.tasks.attachments import Upload, attach_files
from tracker.tasks.extensions import request_extension

ROLES = [
    "anonymous",
    "lead",
    "coord",
    "other",
    "chair",
    "office",
    "admin",
    "inactive",
    # Phòng Nội vụ (the lead unit) again: its head (role unit_head) and an officer given a
    # part of the task (tracker/subtasks).
    "head",
    "officer",
    # The head of Phòng Tài chính - Kế hoạch, a coordinating unit of the task: a coordinating
    # member who may also hand down the unit's own contribution.
    "coord_head",
]
# The lead unit's head and officer may do with the task what its other members may.
LEAD_UNIT = {"lead", "head", "officer"}
MANAGERS = {"chair", "office", "admin"}

# Who may use an endpoint. The forbidden answer for a logged-in user is 404 when the object is
# not theirs to know about, 403 when they see it but may not act.
AUDIENCE: dict[str, str] = {
    "index": "auth",
    "static": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.set_language": "public",
    "auth.profile": "auth",
    "auth.token_create": "auth",
    "auth.token_revoke": "owner",  # the lead user's token: others get 404
    "auth.user_list": "admin",
    "auth.user_edit": "admin",
    "auth.audit_log": "admin",
    "auth.login_verify": "public",  # without a pending password step: back to the login page
    "auth.mfa_setup": "auth",
    "auth.mfa_disable": "auth",
    "auth.mfa_recovery_codes": "auth",
    "auth.user_mfa_reset": "admin",
    "units.unit_list": "admin",
    "units.unit_edit": "admin",
    "calendar.days": "admin_office",
    "calendar.day_add": "admin",
    "calendar.day_remove": "admin",
    "meetings.meeting_list": "auth",
    "meetings.meeting_detail": "meeting",
    "meetings.meeting_edit": "manager",
    "notices.read": "manager",
    "notices.review": "manager",
    "notices.discard": "manager",
    "notices.page_image": "manager",
    "tasks.my_tasks": "auth",
    "tasks.overview": "auth",
    "tasks.export_list": "auth",  # the list as Excel: only the tasks the user sees
    "tasks.task_new": "manager",
    "tasks.task_detail": "task_view",
    "tasks.task_edit": "task_decide",
    "tasks.task_progress": "task_report",
    "tasks.task_complete": "task_report",
    "tasks.task_extension_request": "task_report",
    "tasks.task_comment": "task_contribute",
    "tasks.task_decision": "task_decide",
    "tasks.series_stop": "task_decide",
    "tasks.extension_decision": "task_decide",
    "tasks.attachment_download": "task_view",
    "decisions.queue": "decider",
    "reports.dashboard": "auth",
    "reports.download": "auth",
    "reports.import_upload": "manager",
    "reports.import_confirm": "manager",
    "reports.calendar_settings": "auth",
    "reports.calendar_ics": "public",
    "reminders.notifications": "auth",
    "reminders.open_notification": "owner",
    "reminders.open_subtask_notice": "owner",
    "reminders.read_all": "auth",
    "reminders.mute": "task_mute",  # only a coordinating unit may mute a task
    "reminders.preferences": "auth",
    "reminders.settings": "admin",
    "reminders.deliveries": "admin",
    "reminders.retry": "admin",
    "reminders.outbox": "admin",
    "reminders.outbox_message": "admin",
    "reminders.webhooks": "admin",
    "reminders.healthz": "public",
    "api.openapi": "public",
    "api.list_tasks": "token",
    "api.list_decisions": "token",
    "api.get_task": "token",
    "api.post_update": "token",
    "api.post_extension_request": "token",
    "api.post_extension_decision": "token",
    "reports_api.units_summary": "token",
    "reports_api.officers_summary": "token",
    "reports.officers_download": "unit_head",
    "subtasks.my_work": "auth",
    "subtasks.officers_csv": "unit_head",
    "subtasks.subtask_new": "break_down",
    "subtasks.subtask_detail": "subtask_view",
    "subtasks.subtask_report": "subtask_report",
    "subtasks.subtask_decision": "subtask_manage",
    "subtasks.subtask_edit": "subtask_manage",
    "subtasks_api.create_subtask": "token",
    "subtasks_api.update_subtask": "token",
}


def _allowed(audience: str, role: str) -> bool | None:
    """True when the role may use it, False when refused, None for special answers."""
    if audience == "public":
        return True
    if role in ("anonymous", "inactive"):
        return False
    if role in ("head", "officer", "coord_head") and audience == "owner":
        return False  # the lead user's own token and notifications
    if role == "coord_head":
        if audience in ("break_down", "unit_head"):
            return True
        role = "coord"
    lead_unit = role in LEAD_UNIT
    return {
        "auth": True,
        "admin": role == "admin",
        "admin_office": role in ("admin", "office"),
        "decider": role in ("chair", "office"),
        "manager": role in MANAGERS,
        "meeting": role != "other",
        "task_view": role != "other",
        "task_contribute": role != "other",
        "task_report": lead_unit,
        "task_mute": role == "coord",
        "task_decide": role in MANAGERS,
        "owner": role == "lead",
        "token": False,
        "unit_head": role == "head",
        "break_down": role == "head",
        "subtask_view": lead_unit or role in MANAGERS,
        "subtask_report": role == "officer",
        "subtask_manage": role == "head",
    }[audience]


def _refusal(audience: str, role: str) -> set[int]:
    role = "coord" if role == "coord_head" else role
    if audience == "token":
        return {401}
    if role in ("anonymous", "inactive"):
        return {302, 401}  # to the login page
    if audience in ("meeting", "task_view", "task_contribute", "owner"):
        return {404}
    if audience in ("task_report", "task_decide", "task_mute", "break_down"):
        return {404} if role == "other" else {403}
    if audience in ("subtask_view", "subtask_report", "subtask_manage"):
        # A part of the task is the lead unit's and the managers': others do not know it.
        return {404} if role in ("coord", "other") else {403}
    return {403, 404}


@pytest.fixture
def objects(app, world) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One object of every kind a URL can name."""
    extension = request_extension(
        world.task,
        actor=world.lead_user,
        new_deadline=date(2017, 5, 5),
        reason="Cần thêm thời gian",
    )
    attachment = attach_files(
        world.task,
        [Upload("bao-cao.txt", io.BytesIO("Báo cáo tiến độ".encode()))],
        actor=world.lead_user,
    )[0]
    day = set_day(date(2017, 4, 29), is_working=True, note="Làm bù")
    from tracker.auth.models import ApiToken
    from tracker.auth.operations import create_api_token

    create_api_token(world.lead_user, "test")
    token_row = db.session.scalar(db.select(ApiToken))
    feed = regenerate_feed(world.lead_user)
    from tests.factories import make_user
    from tracker.auth.models import Role
    from tracker.subtasks.operations import create_subtask

    head = make_user(Role.UNIT_HEAD, world.noivu, "truongnoivu")
    officer = make_user(Role.UNIT, world.noivu, "canbo1")
    coord_head = make_user(Role.UNIT_HEAD, world.taichinh, "truongtckh")
    subtask = create_subtask(
        world.task,
        actor=head,
        content="Rà soát thủ tục",
        deadline=date(2017, 4, 18),
        today=date(2017, 4, 10),
        assignee=officer,
    )
    # A notice of the part that is the lead user's (the "owner" of the walk), as a notice of
    # a part given to them would be.
    from tracker.subtasks.models import SubtaskReminder

    notice = SubtaskReminder(
        subtask_id=subtask.id,
        recipient_id=world.lead_user.id,
        kind="assigned",
        day=date(2017, 4, 10),
        attempts=0,
    )
    db.session.add(notice)
    db.session.commit()
    return {
        "task_id": world.task.id,
        "meeting_id": world.meeting.id,
        "unit_id": world.noivu.id,
        "user_id": world.lead_user.id,
        "request_id": extension.id,
        "attachment_id": attachment.id,
        "day_id": day.id,
        "token_id": token_row.id,
        "token": feed_token(feed),
        "fmt": "xlsx",
        "code": "en",
        "filename": "app.css",
        "delivery_id": 1,
        "webhook_id": 1,
        "name": "none.eml",
        "draft_id": 1,  # a scanned notice's page: managers only (none here: 404)
        "number": 1,
        "subtask_id": subtask.id,
        "notice_id": notice.id,
        "head": head,
        "officer": officer,
        "coord_head": coord_head,
    }


def _rules(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_an_entry(app) -> None:
    missing = sorted({rule.endpoint for rule, _ in _rules(app)} - set(AUDIENCE))
    assert missing == [], f"routes without an access entry: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, objects, login, role) -> None:
    users = {
        **world.people(),
        "head": objects["head"],
        "officer": objects["officer"],
        "coord_head": objects["coord_head"],
    }
    failures = []
    for rule, method in _rules(app):
        if rule.endpoint in ("auth.logout",):
            continue  # would end the session the rest of the walk uses
        audience = AUDIENCE[rule.endpoint]
        values = {arg: objects[arg] for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        client = app.test_client() if role == "anonymous" else login(users[role])
        response = client.open(url, method=method, data={})
        status = response.status_code
        body = response.get_data()
        allowed = _allowed(audience, role)
        if status >= 500:
            failures.append(f"{method} {url} as {role}: {status}")
        elif allowed is False and status not in _refusal(audience, role):
            failures.append(
                f"{method} {url} as {role}: {status}, expected {_refusal(audience, role)}"
            )
        elif allowed is True and status in (401, 403):
            failures.append(f"{method} {url} as {role}: refused with {status}")
        if allowed is False and world.task.content.encode() in body:
            failures.append(f"{method} {url} as {role}: leaked the task content")
    assert failures == []
