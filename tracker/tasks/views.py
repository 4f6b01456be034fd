"""Task pages: a unit's tasks, the task list, a task with its history, and the forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from jinja2.filters import do_truncate
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.auth.models import UNIT_ROLES, User
from tracker.calendar.operations import working_calendar
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.forms import parse_date
from tracker.core.permissions import (
    Action,
    NotVisible,
    PermissionDenied,
    can,
    can_decide_request,
    is_coordinating_member,
    require,
    visible_tasks_clause,
)
from tracker.core.text import fold
from tracker.core.time import request_today
from tracker.core.web import (
    apply_errors,
    format_date,
    id_arg,
    id_url_prefix,
    manager_required,
    relative_deadline,
)
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reminders.instant import notify_task_now
from tracker.tasks import attachments as files
from tracker.tasks import export as task_export
from tracker.tasks import extensions, operations, recurrence, search
from tracker.tasks.forms import (
    CommentForm,
    DecisionForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ProgressForm,
    ResultForm,
    TaskForm,
)
from tracker.tasks.models import (
    CLOSED_STATUSES,
    ExtensionRequest,
    ExtensionStatus,
    Frequency,
    Status,
    Task,
    TaskAttachment,
    TaskEvent,
    Timeliness,
)
from tracker.tasks.timeliness import timeliness_clause
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("tasks", __name__)

TIMELINESS_LABELS = {
    Timeliness.DONE_ON_TIME.value: _l("Hoàn thành đúng hạn"),
    Timeliness.DONE_LATE.value: _l("Hoàn thành quá hạn"),
    Timeliness.OPEN_ON_TIME.value: _l("Chưa hoàn thành, trong hạn"),
    Timeliness.OPEN_OVERDUE.value: _l("Chưa hoàn thành, quá hạn"),
    Timeliness.DUE_SOON.value: _l("Sắp đến hạn"),
    Timeliness.NO_DEADLINE.value: _l("Không thời hạn"),
}

DECISION_LABELS = {
    "confirm": _l("Xác nhận hoàn thành"),
    "return": _l("Trả lại, yêu cầu thực hiện lại"),
    "pause": _l("Tạm hoãn"),
    "resume": _l("Tiếp tục thực hiện"),
    "cancel": _l("Huỷ nhiệm vụ"),
    "reopen": _l("Mở lại"),
}

# What the flash says after each decision: which task, what happened to it.
DECISION_DONE = {
    "confirm": _l("Đã xác nhận hoàn thành nhiệm vụ %(task)s."),
    "return": _l("Đã trả lại nhiệm vụ %(task)s để đơn vị thực hiện lại."),
    "pause": _l("Đã tạm hoãn nhiệm vụ %(task)s."),
    "resume": _l("Đã cho tiếp tục thực hiện nhiệm vụ %(task)s."),
    "cancel": _l("Đã huỷ nhiệm vụ %(task)s."),
    "reopen": _l("Đã mở lại nhiệm vụ %(task)s."),
}

PER_PAGE = 50
COUNT_CAP = 10_000


SHORT_TITLE_CHARS = 60


def task_title(task: Task) -> str:
    """The task as headings and messages name it: the notice's number and the first words of
    the content ("TB 45/TB-UBND · Xây dựng kế hoạch khắc phục …"); a bare "Nhiệm vụ #69"
    told nobody which task it was."""
    content = " ".join(task.content.split())
    if len(content) > SHORT_TITLE_CHARS:
        cut = content[:SHORT_TITLE_CHARS].rsplit(" ", 1)[0]
        content = f"{cut} …"
    number = task.meeting.notice_number if task.meeting else None
    return f"TB {number} · {content}" if number else content


def load_task(task_id: int, action: Action = Action.VIEW) -> Task:
    """The task, if the current user may do `action` with it; 404 when they may not even
    see it, 403 when they see it but may not act."""
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404)
    try:
        require(current_user, action, task)
    except NotVisible:
        abort(404)
    except PermissionDenied:
        abort(403)
    return task


def _due_soon_days() -> int:
    return int(current_app.config.get("TRACKER_DUE_SOON_DAYS", 3))


def timeliness_of(task: Task) -> str | None:
    """The task's timeliness class today, with the deployment's calendar."""
    return task.timeliness(request_today(), _due_soon_days(), working_calendar())


@bp.route("/tasks/mine")
@login_required
def my_tasks() -> Any:
    manager = current_user.sees_all_tasks
    led, coordinated = operations.unit_task_lists(current_user, coordinated=not manager)
    # A chair or the office follows every unit: their page lists the units' open work and
    # what awaits their decision, not "tasks our unit coordinates" (every task it does not
    # lead).
    return render_template(
        "tasks/mine.html",
        led=led,
        coordinated=coordinated,
        manager=manager,
        units_load=operations.units_overview(request_today()) if manager else [],
        closed_days=operations.RECENTLY_CLOSED_DAYS,
    )


# The list's orders: the nearest deadline first (the default: what needs doing next), the
# furthest first, or the newest tasks first (what was just assigned).
LIST_ORDERS = {
    "deadline": (Task.deadline.is_(None), Task.deadline, Task.id),
    "deadline_desc": (Task.deadline.is_(None), Task.deadline.desc(), Task.id.desc()),
    "newest": (Task.id.desc(),),
}
LIST_ORDER_LABELS = {
    "deadline": _l("Thời hạn gần nhất trước"),
    "deadline_desc": _l("Thời hạn xa nhất trước"),
    "newest": _l("Giao gần đây nhất trước"),
}
# An Excel file of the list holds at most this many tasks (the page says so beyond it).
EXPORT_CAP = 10_000


class TaskListQuery(NamedTuple):
    """The task list's filters read from the query string, as a query."""

    query: sa.Select[tuple[Task]]  # the filtered tasks the user may see, in no order
    unsearched: sa.Select[tuple[Task]]  # the same without the search words
    words: list[str]  # the search words, folded
    sort: str  # a key of LIST_ORDERS
    order: tuple[Any, ...]
    filters: dict[str, Any]  # the filters as they go back into links and the form
    errors: list[str]  # what the user typed that could not be used, in their words
    unit: Unit | None


def task_list_query(args: Any, options: list[Any] | None = None) -> TaskListQuery:
    """The task list's query from its filters (the page and its Excel file share it); the
    page's loader options unless `options` are given."""
    query = (
        sa.select(Task)
        .options(*(operations.task_query_options() if options is None else options))
        .where(visible_tasks_clause(current_user))
    )
    errors: list[str] = []
    unit_id, usable = id_arg(args, "unit")
    if not usable:
        errors.append(_("Đơn vị không hợp lệ."))
    role = args.get("role", "")
    unit = None
    if unit_id:
        # (Named in the Excel file's heading for those who pick units on the page.)
        unit = db.session.get(Unit, unit_id) if current_user.sees_all_tasks else None
        if role == "coordinating":
            from tracker.tasks.models import task_coordinating_units as tcu

            query = query.where(
                Task.id.in_(sa.select(tcu.c.task_id).where(tcu.c.unit_id == unit_id))
            )
        elif role == "lead" or not role:
            query = query.where(Task.lead_unit_id == unit_id)
    status = args.get("status", "")
    if status:
        if status in {s.value for s in Status}:
            query = query.where(Task.status == status)
        else:
            errors.append(_("Trạng thái không hợp lệ."))
    timeliness = args.get("timeliness", "")
    if timeliness:
        if timeliness in TIMELINESS_LABELS:
            query = query.where(
                timeliness_clause(timeliness, request_today(), _due_soon_days(), working_calendar())
            )
        else:
            errors.append(_("Tình trạng thời hạn không hợp lệ."))
    meeting_id, usable = id_arg(args, "meeting")
    if not usable:
        errors.append(_("Cuộc họp không hợp lệ."))
    if meeting_id:
        query = query.where(Task.meeting_id == meeting_id)
    # A deadline range, as the dashboard's links pass it for a report period.
    bounds: dict[str, str] = {}
    for name, compare in (("from", Task.deadline.__ge__), ("to", Task.deadline.__le__)):
        raw = args.get(name, "").strip()
        if not raw:
            continue
        try:
            day = parse_date(raw)
        except ValueError:
            errors.append(
                _("Ngày “%(value)s” không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.", value=raw[:20])
            )
            continue
        if day is not None:
            query = query.where(compare(day))
            bounds[name] = day.isoformat()
    sort = args.get("sort", "")
    if sort not in LIST_ORDERS:
        sort = "deadline"  # an unknown order is the default one, not an error page
    q = args.get("q", "").strip()
    words = fold(q).split()[:10]
    unsearched = query
    for word in words:
        # Escaped: "50%" or "a_b" are what the user typed, not patterns.
        query = query.where(Task.content_folded.contains(word, autoescape=True))
    filters = {
        "unit": unit_id or "",
        "role": role,
        "status": status,
        "timeliness": timeliness,
        "meeting": meeting_id or "",
        "q": q,
        **bounds,
    }
    if sort != "deadline":
        filters["sort"] = sort  # (the default order stays out of links)
    return TaskListQuery(query, unsearched, words, sort, LIST_ORDERS[sort], filters, errors, unit)


@bp.route("/tasks/")
@login_required
def overview() -> Any:
    args = request.args
    listing = task_list_query(args)
    query, words, order = listing.query, listing.words, listing.order
    # Counted up to a cap: at a million tasks, counting every match of a broad search took as
    # long as finding the page; past the cap the page says "more than".
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            query.with_only_columns(Task.id).limit(COUNT_CAP + 1).subquery()
        )
    )
    query = query.order_by(*order)
    page = None
    if words and listing.sort == "deadline":
        # Many matches: read the page among the first tasks in list order (tasks/search.py,
        # which walks the deadline order).
        wanted = max(1, args.get("page", 1, type=int) or 1) * PER_PAGE
        bound = search.prefix_bound(min(total, COUNT_CAP), wanted)
        if bound is not None:
            prefix = listing.unsearched.where(bound, *search.substrings(words)).order_by(*order)
            page = db.paginate(prefix, per_page=PER_PAGE, error_out=False, count=False)
            if len(page.items) < PER_PAGE:
                page = None  # the matches lie further on than their density promised
    if page is None:
        page = db.paginate(query, per_page=PER_PAGE, error_out=False, count=False)
    page.total_capped = total > COUNT_CAP
    page.total = min(total, COUNT_CAP)
    for message in listing.errors:
        flash(message, "error")
    units = active_units() if current_user.sees_all_tasks else []
    return render_template(
        "tasks/list.html",
        page=page,
        units=units,
        filters=listing.filters,
        statuses=list(Status),
        orders=LIST_ORDER_LABELS,
        export_cap=EXPORT_CAP,
    )


@bp.route("/tasks/export.xlsx")
@login_required
def export_list() -> Any:
    """The task list, with the page's filters and order, as an Excel file: what offices keep
    and send on (every task of the filter, not one page)."""
    listing = task_list_query(request.args, task_export.query_options())
    if listing.errors:
        for message in listing.errors:
            flash(message, "error")
        return redirect(url_for("tasks.overview", **request.args))
    tasks = list(db.session.scalars(listing.query.order_by(*listing.order).limit(EXPORT_CAP + 1)))
    capped = len(tasks) > EXPORT_CAP
    del tasks[EXPORT_CAP:]
    today = request_today()
    # The meeting is named from its tasks: a meeting id the user cannot see names nothing.
    meeting = tasks[0].meeting if listing.filters["meeting"] and tasks else None
    # The file's words are the official forms' Vietnamese whatever the page's language.
    with force_locale("vi"):
        body = task_export.task_list_xlsx(
            tasks,
            today=today,
            filters_line=task_export.filters_line(
                listing.filters,
                unit=listing.unit,
                meeting=meeting,
                status_label=operations.status_label,
            ),
            capped=capped,
        )
    task_export.log_list_export(current_user, len(tasks), listing.filters)
    db.session.commit()
    return Response(
        body,
        mimetype=task_export.XLSX_MIME,
        headers={
            "Content-Disposition": f'attachment; filename="danh-sach-nhiem-vu-{today:%Y%m%d}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


# --- the task tables' rows ---------------------------------------------------------------------
# Each row's link, labels and deadline are worked out here in one pass and the shared task table
# (_macros.html, `task_table`) only prints them: with a macro, a url_for and a few translations
# per row, Jinja took longer to draw a list's 50 rows than the database took to find them. The
# same filters as before (format_date, relative_deadline, Jinja's truncate), each message
# translated once per table instead of per row.


class TaskRow(NamedTuple):
    """A row of a task table, as printed."""

    href: str
    content: str
    period_label: str
    meeting: str
    lead_unit: str
    coordinating_units: str
    timeliness: str  # the class ("None" when paused or cancelled, as the shared table prints)
    deadline: str  # dd/mm/yyyy, or "" without a deadline
    relative: str  # "còn 3 ngày", or "" when closed or without a deadline
    extended: str  # "gia hạn 2 lần", or ""
    no_deadline: str  # "Thường xuyên" or "Không thời hạn" without a deadline, else ""
    status: str  # "Đang thực hiện · 40%"
    timeliness_label: str  # the badge, or "" without a class


def task_rows(tasks: list[Task]) -> list[TaskRow]:
    """A task table's rows (a template global): each task's link, meeting, units, deadline,
    status and timeliness."""
    env = current_app.jinja_env
    task_path = id_url_prefix("tasks.task_detail", "task_id")
    today, due_soon, calendar = request_today(), _due_soon_days(), working_calendar()
    extended_text = _("gia hạn %(n)d lần")
    recurring_text, no_deadline_text = _("Thường xuyên"), _("Không thời hạn")
    timeliness_labels = {key: str(label) for key, label in TIMELINESS_LABELS.items()}
    status_labels: dict[str, str] = {}
    relatives: dict[date, str] = {}
    rows = []
    for task in tasks:
        timeliness = task.timeliness(today, due_soon, calendar)
        deadline = task.deadline
        status = task.status
        relative = ""
        if deadline is not None and status not in CLOSED_STATUSES:
            relative = relatives.get(deadline) or relatives.setdefault(
                deadline, relative_deadline(deadline, today)
            )
        status_text = status_labels.get(status) or status_labels.setdefault(
            status, operations.status_label(status)
        )
        if task.progress and status != Status.DONE:
            status_text = f"{status_text} · {task.progress}%"
        meeting, lead = task.meeting, task.lead_unit
        rows.append(
            TaskRow(
                f"{task_path}{task.id}",
                do_truncate(env, task.content, 220),
                task.period_label,
                meeting.notice_number or do_truncate(env, meeting.title, 80),
                lead.short_name or lead.name,
                ", ".join(u.short_name or u.name for u in task.coordinating_units),
                str(timeliness),
                format_date(deadline),
                relative,
                extended_text % {"n": task.extension_count}
                if deadline is not None and task.extension_count
                else "",
                ""
                if deadline is not None
                else recurring_text
                if task.is_recurring
                else no_deadline_text,
                status_text,
                timeliness_labels[timeliness] if timeliness else "",
            )
        )
    return rows


REPEAT_LABELS = {
    "": _l("Không lặp lại"),
    Frequency.MONTHLY.value: _l("Hằng tháng"),
    Frequency.QUARTERLY.value: _l("Hằng quý (ngày trong tháng cuối quý)"),
    Frequency.YEARLY.value: _l("Hằng năm"),
}


def _unit_choices(form: TaskForm) -> None:
    units = active_units()
    form.lead_unit_id.choices = [(0, _("— Chọn đơn vị chủ trì —"))] + [
        (u.id, u.name) for u in units
    ]
    form.coordinating_unit_ids.choices = [(u.id, u.name) for u in units]
    people = db.session.scalars(
        sa.select(User)
        .options(selectinload(User.unit))
        .where(User.role.in_(UNIT_ROLES), User.is_active_user.is_(True), User.unit_id.is_not(None))
        .order_by(User.full_name)
    ).all()
    form.responsible_id.choices = [(0, _("— Không chỉ định —"))] + [
        (u.id, f"{u.full_name} ({u.unit.short_name or u.unit.name})") for u in people if u.unit
    ]
    form.repeat.choices = [(key, str(label)) for key, label in REPEAT_LABELS.items()]
    form.repeat_month.choices = [(0, "—")] + [(m, _("Tháng %(m)d", m=m)) for m in range(1, 13)]


def _form_values(form: TaskForm) -> dict[str, Any]:
    lead = db.session.get(Unit, form.lead_unit_id.data) if form.lead_unit_id.data else None
    coordinating = (
        list(
            db.session.scalars(sa.select(Unit).where(Unit.id.in_(form.coordinating_unit_ids.data)))
        )
        if form.coordinating_unit_ids.data
        else []
    )
    responsible = (
        db.session.get(User, form.responsible_id.data) if form.responsible_id.data else None
    )
    return {
        "content": form.content.data or "",
        "lead_unit": lead,
        "coordinating_units": coordinating,
        "responsible": responsible,
        "deadline": None if form.is_recurring.data else form.deadline.data,
        "is_recurring": bool(form.is_recurring.data),
    }


def _create_from_form(meeting: Meeting, form: TaskForm) -> Task:
    values = _form_values(form)
    if not form.repeat.data:
        return operations.create_task(meeting, actor=current_user, **values)
    if values["is_recurring"]:
        raise ValidationError(
            {
                "repeat": _(
                    "Nhiệm vụ thường xuyên không có kỳ hạn; hãy chọn “Không lặp lại” hoặc bỏ "
                    "đánh dấu “thường xuyên”."
                )
            }
        )
    # Each period's deadline comes from the rule; the deadline field is not used.
    del values["deadline"], values["is_recurring"]
    return recurrence.create_recurring_task(
        meeting,
        actor=current_user,
        frequency=form.repeat.data,
        day=form.repeat_day.data,
        month=form.repeat_month.data or None,
        end_on=form.repeat_end.data,
        **values,
    )


@bp.route("/meetings/<int:meeting_id>/tasks/new", methods=["GET", "POST"])
@manager_required
def task_new(meeting_id: int) -> Any:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    form = TaskForm()
    _unit_choices(form)
    if form.validate_on_submit():
        try:
            task = _create_from_form(meeting, form)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, _field_names(error.errors))
        else:
            db.session.commit()
            notify_task_now(task.id)
            flash(_("Đã giao nhiệm vụ cho %(unit)s.", unit=task.lead_unit.name), "success")
            if request.form.get("another"):
                return redirect(url_for("tasks.task_new", meeting_id=meeting.id))
            return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))
    return render_template(
        "tasks/form.html", form=form, meeting=meeting, task=None, repeat_labels=REPEAT_LABELS
    )


def _field_names(errors: dict[str, str]) -> dict[str, str]:
    # Operations name the model fields; the form names the inputs.
    rename = {
        "lead_unit": "lead_unit_id",
        "coordinating_units": "coordinating_unit_ids",
        "responsible": "responsible_id",
    }
    return {rename.get(k, k): v for k, v in errors.items()}


def _apply(task: Task, operation: Callable[[], object]) -> None:
    """Run `operation` and commit. A concurrent change that got in first makes the UPDATE's
    version check fail (StaleDataError, at flush or commit): it becomes the same StaleVersion
    as a stale form, and nothing is written."""
    try:
        operation()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise operations.stale_error(task) from None
    notify_task_now(task.id)


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def task_edit(task_id: int) -> Any:
    task = load_task(task_id, Action.EDIT)
    form = TaskForm(obj=task)
    _unit_choices(form)
    if request.method == "GET":
        form.lead_unit_id.data = task.lead_unit_id
        form.coordinating_unit_ids.data = [u.id for u in task.coordinating_units]
        form.responsible_id.data = task.responsible_id or 0
        form.version.data = str(task.version)
    # The rule of a series is set when it is created (and can be stopped); not edited here.
    form.repeat.data = ""
    status = 200
    if form.validate_on_submit():
        try:
            values = _form_values(form)
            _apply(
                task,
                lambda: operations.edit_task(
                    task,
                    actor=current_user,
                    seen_version=_version(form.version.data),
                    reason=form.reason.data or "",
                    **values,
                ),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, _field_names(error.errors))
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale)
            form.version.data = str(stale.current_version)
            status = 409
        else:
            flash(_("Đã cập nhật nhiệm vụ."), "success")
            return redirect(url_for("tasks.task_detail", task_id=task.id))
    page = render_template(
        "tasks/form.html", form=form, meeting=task.meeting, task=task, repeat_labels=REPEAT_LABELS
    )
    return page, status


def _version(raw: str | None) -> int:
    # Every form of these pages carries the version it was drawn from: one without (emptied,
    # or a page from before) cannot show it was, and is stale as the API's is (409).
    try:
        return int(raw) if raw and raw.strip() else -1
    except ValueError:
        return -1  # a tampered version is stale by definition


def _flash_stale(stale: StaleVersion) -> None:
    when = format_date(stale.changed_dt) if stale.changed_dt else ""
    flash(
        _(
            "Nhiệm vụ vừa được %(who)s thay đổi lúc %(when)s. Vui lòng xem lại trước khi gửi; "
            "nội dung bạn nhập vẫn được giữ dưới đây.",
            who=stale.changed_by,
            when=when,
        ),
        "error",
    )


def _progress_form(task: Task, formdata: Any = None) -> ProgressForm:
    form = ProgressForm(formdata=formdata, prefix="progress")
    if formdata is None:
        form.progress.data = task.progress
        form.version.data = str(task.version)
    return form


def _result_form(task: Task, formdata: Any = None) -> ResultForm:
    form = ResultForm(formdata=formdata, prefix="result")
    if formdata is None:
        form.version.data = str(task.version)
    return form


def _uploads(field_name: str) -> list[files.Upload]:
    return [
        files.Upload(filename=f.filename or "", stream=f.stream)
        for f in request.files.getlist(field_name)
        if f and f.filename
    ]


def _iso_day(value: str | None) -> str:
    # History keeps dates as ISO text; people read dd/mm/yyyy.
    try:
        return format_date(date.fromisoformat(value)) if value else ""
    except ValueError:
        return value or ""


def _render_detail(task: Task, **forms: Any) -> Any:
    events = db.session.scalars(
        sa.select(TaskEvent)
        .options(selectinload(TaskEvent.actor))
        .where(TaskEvent.task_id == task.id)
        .order_by(TaskEvent.id.desc())
    ).all()
    attachments = db.session.scalars(
        sa.select(TaskAttachment)
        .options(selectinload(TaskAttachment.uploaded_by))
        .where(TaskAttachment.task_id == task.id)
        .order_by(TaskAttachment.id)
    ).all()
    files_by_event: dict[int | None, list[TaskAttachment]] = {}
    for attachment in attachments:
        files_by_event.setdefault(attachment.event_id, []).append(attachment)
    extension_requests = db.session.scalars(
        sa.select(ExtensionRequest)
        .options(
            selectinload(ExtensionRequest.requested_by), selectinload(ExtensionRequest.decided_by)
        )
        .where(ExtensionRequest.task_id == task.id)
        .order_by(ExtensionRequest.id.desc())
    ).all()
    pending = next((r for r in extension_requests if r.status == ExtensionStatus.PENDING), None)
    progress_form = forms.get("progress_form") or _progress_form(task)
    result_form = forms.get("result_form") or _result_form(task)
    comment_form = forms.get("comment_form") or CommentForm(prefix="comment")
    decision_form = forms.get("decision_form") or DecisionForm(prefix="decision")
    if not decision_form.version.data:
        decision_form.version.data = str(task.version)
    extension_form = forms.get("extension_form") or ExtensionRequestForm(prefix="extension")
    if not extension_form.version.data:
        extension_form.version.data = str(task.version)
    extension_decision_form = forms.get("extension_decision_form") or ExtensionDecisionForm(
        prefix="extdecision"
    )
    if not extension_decision_form.version.data:
        extension_decision_form.version.data = str(task.version)
    decisions = [
        (name, DECISION_LABELS[name])
        for name, t in operations.TRANSITIONS.items()
        if t.action in (Action.DECIDE, Action.JUDGE)
        and Status(task.status) in t.sources
        and can(current_user, t.action, task)
    ]
    series = task.series
    may_edit = can(current_user, Action.EDIT, task)
    return render_template(
        "tasks/detail.html",
        task=task,
        events=events,
        files_by_event=files_by_event,
        attachments=attachments,
        type_label=files.type_label,
        iso_day=_iso_day,
        progress_form=progress_form,
        result_form=result_form,
        may_submit_result=Status(task.status) in operations.TRANSITIONS["submit"].sources,
        comment_form=comment_form,
        decision_form=decision_form,
        decisions=decisions,
        extension_requests=extension_requests,
        pending_extension=pending,
        extension_form=extension_form,
        extension_decision_form=extension_decision_form,
        series=series,
        series_rule=recurrence.describe_rule(series) if series else "",
        series_tasks=(
            db.session.scalars(
                sa.select(Task).where(Task.series_id == series.id).order_by(Task.period_start)
            ).all()
            if series
            else []
        ),
        may_report=can(current_user, Action.REPORT, task),
        # The coordinating units' form, for them only: a chair or the office has the
        # decision form's comment box, not a coordinating unit's.
        may_contribute=can(current_user, Action.CONTRIBUTE, task)
        and is_coordinating_member(current_user, task),
        may_decide=can(current_user, Action.DECIDE, task),
        may_judge=can(current_user, Action.JUDGE, task),
        may_decide_extension=pending is not None
        and can_decide_request(current_user, task, pending.requested_by_id),
        may_edit=may_edit,
        may_request_extension=(
            can(current_user, Action.REQUEST_EXTENSION, task)
            and task.status not in CLOSED_STATUSES
            and pending is None
        ),
        max_upload_mb=current_app.config.get("TRACKER_MAX_UPLOAD_MB", 20),
    )


@bp.route("/tasks/<int:task_id>")
@login_required
def task_detail(task_id: int) -> Any:
    return _render_detail(load_task(task_id))


def _back(task: Task) -> Any:
    # Forms posted from the decision queue go back to it; nothing else is accepted as a
    # destination (no open redirect).
    if request.form.get("next") == "decisions" and "decisions.queue" in current_app.view_functions:
        return redirect(url_for("decisions.queue"))
    return redirect(url_for("tasks.task_detail", task_id=task.id))


def _act_on_task(
    task: Task,
    form: Any,
    form_name: str,
    operation: Callable[[], object],
    done: str | Callable[[], str],
) -> Any:
    """The shape of every form posted from the task page: validate, run the operation and
    commit (`_apply`), then go back to the task; on bad input or a stale version, show the task
    page again with the form as typed (422)."""
    status = 422
    if form.validate_on_submit():
        try:
            _apply(task, operation)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        except StaleVersion as stale:
            db.session.rollback()
            _flash_stale(stale)
            if hasattr(form, "version"):
                form.version.data = str(stale.current_version)
            status = 409
        except NotVisible:
            db.session.rollback()
            abort(404)
        except PermissionDenied:
            # An action of another role posted to this form (a chair "submitting"): refused,
            # not a server error.
            db.session.rollback()
            abort(403)
        else:
            # Said after the operation: what was done depends on what the form asked.
            flash(done if isinstance(done, str) else done(), "success")
            return _back(task)
    db.session.refresh(task)
    return _render_detail(task, **{form_name: form}), status


@bp.route("/tasks/<int:task_id>/progress", methods=["POST"])
@login_required
def task_progress(task_id: int) -> Any:
    task = load_task(task_id, Action.REPORT)
    form = _progress_form(task, request.form)
    return _act_on_task(
        task,
        form,
        "progress_form",
        lambda: operations.post_progress(
            task,
            actor=current_user,
            note=form.note.data or "",
            progress=form.progress.data,
            seen_version=_version(form.version.data),
            attachments=_uploads("progress-files"),
        ),
        lambda: _(
            "Đã cập nhật tiến độ nhiệm vụ %(task)s: %(n)d%%.",
            task=task_title(task),
            n=task.progress,
        ),
    )


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def task_complete(task_id: int) -> Any:
    """Báo cáo hoàn thành: the lead unit sends its result for the chair's confirmation."""
    task = load_task(task_id, Action.REPORT)
    form = _result_form(task, request.form)
    return _act_on_task(
        task,
        form,
        "result_form",
        lambda: operations.post_progress(
            task,
            actor=current_user,
            note=form.note.data or "",
            status=Status.SUBMITTED.value,
            seen_version=_version(form.version.data),
            attachments=_uploads("result-files"),
        ),
        lambda: _("Đã gửi kết quả nhiệm vụ %(task)s để Chủ tịch xác nhận.", task=task_title(task)),
    )


@bp.route("/tasks/<int:task_id>/comment", methods=["POST"])
@login_required
def task_comment(task_id: int) -> Any:
    task = load_task(task_id, Action.CONTRIBUTE)
    form = CommentForm(prefix="comment")
    return _act_on_task(
        task,
        form,
        "comment_form",
        lambda: operations.add_comment(
            task,
            actor=current_user,
            note=form.note.data or "",
            attachments=_uploads("comment-files"),
        ),
        lambda: _("Đã gửi ý kiến về nhiệm vụ %(task)s.", task=task_title(task)),
    )


@bp.route("/tasks/<int:task_id>/decision", methods=["POST"])
@login_required
def task_decision(task_id: int) -> Any:
    task = load_task(task_id, Action.DECIDE)
    form = DecisionForm(prefix="decision")
    return _act_on_task(
        task,
        form,
        "decision_form",
        lambda: operations.change_status(
            task,
            actor=current_user,
            transition_name=form.action.data,
            reason=form.reason.data or "",
            seen_version=_version(form.version.data),
        ),
        lambda: str(DECISION_DONE[form.action.data]) % {"task": task_title(task)},
    )


@bp.route("/tasks/<int:task_id>/extension", methods=["POST"])
@login_required
def task_extension_request(task_id: int) -> Any:
    task = load_task(task_id, Action.REQUEST_EXTENSION)
    form = ExtensionRequestForm(prefix="extension")
    return _act_on_task(
        task,
        form,
        "extension_form",
        lambda: extensions.request_extension(
            task,
            actor=current_user,
            new_deadline=form.new_deadline.data,
            reason=form.reason.data or "",
            seen_version=_version(form.version.data),
        ),
        lambda: _(
            "Đã gửi đề nghị gia hạn nhiệm vụ %(task)s đến %(day)s để Chủ tịch quyết định.",
            task=task_title(task),
            day=format_date(form.new_deadline.data),
        ),
    )


@bp.route("/extension-requests/<int:request_id>/decision", methods=["POST"])
@login_required
def extension_decision(request_id: int) -> Any:
    extension = db.session.get(ExtensionRequest, request_id)
    if extension is None:
        abort(404)
    task = load_task(extension.task_id, Action.DECIDE)
    form = ExtensionDecisionForm(prefix="extdecision")

    def decide() -> object:
        if form.action.data not in ("approve", "refuse"):
            raise ValidationError({"action": _("Thao tác không hợp lệ.")})
        return extensions.decide_extension(
            extension,
            actor=current_user,
            approve=form.action.data == "approve",
            deadline=form.deadline.data,
            comment=form.comment.data or "",
            seen_version=_version(form.version.data),
        )

    def done() -> str:
        if extension.status == ExtensionStatus.APPROVED:
            return _(
                "Đã gia hạn nhiệm vụ %(task)s đến %(day)s.",
                task=task_title(task),
                day=format_date(extension.approved_deadline),
            )
        return _("Đã không đồng ý gia hạn nhiệm vụ %(task)s.", task=task_title(task))

    return _act_on_task(task, form, "extension_decision_form", decide, done)


@bp.route("/tasks/<int:task_id>/series/stop", methods=["POST"])
@login_required
def series_stop(task_id: int) -> Any:
    task = load_task(task_id, Action.EDIT)
    series = task.series
    if series is None:
        abort(404)
    recurrence.stop_series(series, actor=current_user)
    db.session.commit()
    flash(_("Đã dừng lặp lại; các kỳ đã tạo vẫn được giữ."), "success")
    return redirect(url_for("tasks.task_detail", task_id=task.id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment_download(attachment_id: int) -> Any:
    attachment = db.session.get(TaskAttachment, attachment_id)
    if attachment is None:
        abort(404)
    load_task(attachment.task_id)  # only those who may see the task get its files
    path = files.stored_path(attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, max_age=0)
    # Never rendered by the browser as a page, whatever its bytes look like, and saved under a
    # name cleaned again (names kept from before may hold bidirectional characters).
    response.headers["Content-Disposition"] = files.content_disposition(attachment.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint and the task's name for templates."""
    app.register_blueprint(bp)
    app.add_template_global(task_title)
