"""Report pages: the dashboard, downloads, importing Excel lists, calendar feeds."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2.filters import do_truncate, do_urlencode
from markupsafe import Markup

from tracker.core.errors import ValidationError
from tracker.core.permissions import can_view_meeting, can_view_officer_summary
from tracker.core.time import now_utc, request_today
from tracker.core.web import (
    ERROR_TITLES,
    format_date,
    format_number,
    id_arg,
    id_url_prefix,
    manager_required,
)
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.reports import calendar_feed, charts, exports, imports, operations
from tracker.reports.periods import (
    RANGE,
    Period,
    PeriodError,
    asks_for_period,
    neighbour,
    part_of,
    period_from_request,
)
from tracker.subtasks.operations import OfficerPeriodRow, officer_period_summary
from tracker.tasks.models import Timeliness
from tracker.units.operations import active_units

bp = Blueprint("reports", __name__)

OVERDUE_ON_SCREEN = 100
_UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")


def _error(code: int, message: str) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html", code=code, title=str(ERROR_TITLES[code]), message=message
        ),
        code,
    )


def _id_arg(name: str) -> int | None:
    value, usable = id_arg(request.args, name)
    if not usable:  # not a number, or past the database's integers
        raise operations.UnknownFilter(
            _("Mã đơn vị không hợp lệ.") if name == "unit" else _("Mã cuộc họp không hợp lệ.")
        )
    return value


def _period_from_request() -> Period:
    """The period asked for, or the one with tasks the page opens on; raises PeriodError."""
    if asks_for_period(request.args):
        return period_from_request(request.args, request_today())
    return operations.period_with_tasks(request_today(), current_user)


def _scope_from_request() -> operations.ReportScope:
    """The period and filters asked for; raises PeriodError or UnknownFilter."""
    period = _period_from_request()
    return operations.make_scope(
        period,
        today=request_today(),
        viewer=current_user,
        unit_id=_id_arg("unit"),
        meeting_id=_id_arg("meeting"),
    )


def _filter_choices() -> tuple[list[Any], list[Any]]:
    if not current_user.sees_all_tasks:
        return [], []
    # The columns the filter's options show, not whole meetings with their notice texts.
    meetings = db.session.execute(
        sa.select(Meeting.id, Meeting.held_on, Meeting.notice_number, Meeting.title)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(200)
    ).all()
    return active_units(), list(meetings)


def _form_values(period: Period | None) -> dict[str, Any]:
    """What the filter form shows: the period picked (a part of a year and the year, or a
    range), its dates, the unit and meeting."""
    args = request.args
    today = request_today()
    if period is not None:
        part, year = part_of(period), period.start.year
    else:
        part = (args.get("part") or "").strip() or RANGE
        # (Four digits only: "year=99999999999999999999" made the picker list every year up
        # to it.)
        raw = (args.get("year") or "").strip()
        year = int(raw) if raw.isdigit() and len(raw) == 4 else today.year
    return {
        "part": part,
        "year": year,
        "years": list(range(min(year, today.year - 6), max(year, today.year + 1) + 1)),
        "from": args.get("from", period.start.isoformat() if period else ""),
        "to": args.get("to", period.end.isoformat() if period else ""),
        "unit": args.get("unit", ""),
        "meeting": args.get("meeting", ""),
    }


def _is_head() -> bool:
    """Whether the viewer is a unit's head, to whom the per-officer view is offered."""
    return bool(current_user.unit_id) and can_view_officer_summary(
        current_user, current_user.unit_id
    )


def _officer_rows(scope: operations.ReportScope) -> list[OfficerPeriodRow] | None:
    """The head's per-officer view of the scope's period (None for anyone else: the view is
    the unit head's only, and a scope is always the head's own unit)."""
    if not _is_head():
        return None
    return officer_period_summary(
        current_user.unit_id,
        scope.period.start,
        scope.period.end,
        scope.as_of,
        meeting_id=scope.meeting.id if scope.meeting is not None else None,
    )


def _period_links(
    scope: operations.ReportScope, extra: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """The previous and next periods of the same kind: (rel, label, address)."""
    links = []
    for rel, step in (("prev", -1), ("next", 1)):
        other = neighbour(scope.period, step)
        if other is not None:
            args = {**scope.filter_args(), **(extra or {}), "period": other.code}
            links.append((rel, other.label, url_for("reports.dashboard", **args)))
    return links


@bp.route("/reports/")
@login_required
def dashboard() -> Any:
    """Per-unit summary, per-meeting progress, charts and the overdue list of a period."""
    units, meetings = _filter_choices()
    try:
        scope = _scope_from_request()
    except PeriodError as error:
        return _render_dashboard_error(400, str(error), units, meetings)
    except operations.UnknownFilter as error:
        return _render_dashboard_error(404, error.message, units, meetings)
    summary = operations.unit_summary(scope)
    sort = request.args.get("sort", "unit")
    sort = sort if sort in operations.SORT_KEYS else "unit"
    descending = request.args.get("dir") == "desc"
    rows = operations.sort_rows(summary.rows, sort, descending)
    series = operations.class_series(scope)
    # Translated once: the meetings' bars print them hundreds of times.
    class_labels = {k: str(v) for k, v in operations.CLASS_LABELS.items()}
    form = _form_values(scope.period)
    # The per-officer view is asked for (`?view=officers`), so the dashboard everyone opens
    # costs nothing more; for anyone but a unit's head the argument is ignored.
    is_head = _is_head()
    officers = _officer_rows(scope) if is_head and request.args.get("view") == "officers" else None
    view_args = {"view": "officers"} if officers is not None else {}
    return render_template(
        "reports/dashboard.html",
        is_head=is_head,
        officers=officers,
        view_args=view_args,
        scope=scope,
        unit_lines=_unit_lines(rows, _task_list_args(scope), by_class=not scope.looks_back),
        total=summary.total,
        sort=sort,
        descending=descending,
        meeting_lines=_meeting_lines(operations.meeting_progress(scope), class_labels),
        overdue_lines=_overdue_lines(operations.overdue_rows(scope, limit=OVERDUE_ON_SCREEN)),
        on_time_svg=(charts.on_time_chart(rows), charts.on_time_chart(rows, narrow=True)),
        class_svg=(charts.class_chart(series), charts.class_chart(series, narrow=True)),
        on_time_table=[
            (row.unit_name, _rate(row.on_time_rate), format_number(row.done_on_time), row.due)
            for row in rows
            if row.on_time_rate is not None
        ],
        class_table=[
            (
                charts.month_label(*ym),
                [format_number(counts[k]) for k in operations.REPORT_CLASSES],
                format_number(sum(counts.values())),
            )
            for ym, counts in series
        ],
        # The sort links and downloads keep the per-officer view (a download ignores it).
        filters={**scope.filter_args(), **view_args},
        form=form,
        period_links=_period_links(scope, view_args),
        **_filter_options(units, meetings, form),
        classes=operations.REPORT_CLASSES,
        class_labels=class_labels,
        error=None,
    )


def _task_list_args(scope: operations.ReportScope) -> dict[str, dict[str, Any]]:
    """Arguments of the task list (tasks.overview) showing a cell's tasks: all tasks of the
    period, or those already due."""
    base: dict[str, Any] = {"role": "lead", "from": scope.period.start.isoformat()}
    if scope.meeting is not None:
        base["meeting"] = scope.meeting.id
    return {
        "all": {**base, "to": scope.period.end.isoformat()},
        "due": {**base, "to": scope.as_of.isoformat()},
    }


def _render_dashboard_error(
    code: int, message: str, units: list[Any], meetings: list[Any]
) -> tuple[str, int]:
    form = _form_values(None)
    return (
        render_template(
            "reports/dashboard.html",
            scope=None,
            error=message,
            form=form,
            period_links=[],
            **_filter_options(units, meetings, form),
        ),
        code,
    )


# --- the dashboard's rows ------------------------------------------------------------------
# Each row's links, labels and figures are worked out here in one pass and the template only
# prints them: with a filter, a macro or a translation per cell, Jinja spent as long rendering
# the page's few hundred rows as the database spent counting a million tasks. The page is the
# same as when the template worked them out: the same filters (format_date, format_number,
# Jinja's truncate and urlencode), each message translated once per page instead of per row.


class Option(NamedTuple):
    """An option of a filter's drop-down list."""

    value: str
    label: str
    selected: bool


class UnitLine(NamedTuple):
    """A row of the unit table, as printed."""

    name: str
    href: str  # the unit's tasks of the period
    assigned: str
    due: str
    classes: list[tuple[str, str, str]]  # (class, link to its tasks or "" when none, count)
    extended: str
    completion_rate: str
    on_time_rate: str


class MeetingLine(NamedTuple):
    """A row of the meeting table, as printed."""

    href: str
    title: str
    held_on: str
    notice_number: str
    notice_issued_on: str
    total: str
    done: str  # "50% hoàn thành"
    segments: list[tuple[str, float, float, str]]  # the bar: (class, x, width, tooltip)
    details: list[tuple[str, str]]  # (class, "label: count") of the classes with tasks
    no_deadline: str  # "label: count", or "" without such tasks


class OverdueLine(NamedTuple):
    """A row of the overdue list, as printed."""

    href: str
    content: str
    meeting: str
    lead_unit: str
    deadline: str
    extended: str  # "gia hạn 2 lần", or ""
    days_overdue: int
    last_activity: str


def _filter_options(units: list[Any], meetings: list[Any], form: dict[str, Any]) -> dict[str, Any]:
    """The unit and meeting drop-down lists' options, printed (none for a viewer who sees only
    one unit)."""
    return {
        "unit_options": _unit_options(tuple((u.id, u.name) for u in units), form["unit"]),
        "meeting_options": _meeting_options(
            tuple((m.id, m.held_on, m.notice_number, m.title) for m in meetings),
            form["meeting"],
        ),
    }


# The filters' options change only when a unit or one of the latest meetings does, and building
# and printing the 280 of them took about as long as any of the page's tables: the printed options
# are kept per process, keyed by exactly what they show (no translated text) and the selected
# value, so a renamed unit or a new meeting is a new key and kept options are never stale.
CACHED_OPTIONS = 16


@functools.lru_cache(maxsize=CACHED_OPTIONS)
def _unit_options(units: tuple[tuple[int, str], ...], selected: str) -> Markup:
    return _print_options([Option(str(i), name, str(i) == selected) for i, name in units])


@functools.lru_cache(maxsize=CACHED_OPTIONS)
def _meeting_options(meetings: tuple[tuple[int, date, str, str], ...], selected: str) -> Markup:
    env = current_app.jinja_env
    return _print_options(
        [
            Option(
                str(i),
                f"{format_date(held_on)} · {do_truncate(env, number or title, 60)}",
                str(i) == selected,
            )
            for i, held_on, number, title in meetings
        ]
    )


def _print_options(options: list[Option]) -> Markup:
    if not options:
        return Markup()
    print_options = get_template_attribute("reports/_options.html", "options")
    return print_options(options)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{format_number(value)}%"


def _unit_lines(
    rows: Sequence[operations.UnitRow], task_args: dict[str, dict[str, Any]], by_class: bool
) -> list[UnitLine]:
    """The unit table: each unit's figures, its name and counts linking to the task list
    (the class counts only with `by_class`: the list shows today's classes, which are the
    report's only while its period runs)."""
    # The list's address is built once: url_for for each of hundreds of cells was a fifth of
    # the page's time.
    list_path = url_for("tasks.overview")
    all_args = do_urlencode(task_args["all"])
    due_args = do_urlencode(task_args["due"])
    lines = []
    for row in rows:
        unit_link = f"{list_path}?unit={row.unit_id}&"
        classes = []
        for kind in operations.REPORT_CLASSES:
            count = getattr(row, kind)
            href = f"{unit_link}timeliness={kind}&{due_args}" if count and by_class else ""
            classes.append((kind, href, format_number(count)))
        lines.append(
            UnitLine(
                row.unit_name,
                unit_link + all_args,
                format_number(row.assigned),
                format_number(row.due),
                classes,
                format_number(row.extended),
                _rate(row.completion_rate),
                _rate(row.on_time_rate),
            )
        )
    return lines


def _meeting_lines(
    progress: Sequence[operations.MeetingRow], class_labels: dict[str, str]
) -> list[MeetingLine]:
    """The meeting table: each meeting's link, notice, count and progress bar."""
    env = current_app.jinja_env
    meeting_path = id_url_prefix("meetings.meeting_detail", "meeting_id")
    # Translated once and filled in for each meeting (gettext without arguments leaves the
    # placeholder alone).
    done_text = _("%(p)d%% hoàn thành")
    lines = []
    for m in progress:
        counts = m.counts
        no_deadline = counts[Timeliness.NO_DEADLINE.value]
        lines.append(
            MeetingLine(
                f"{meeting_path}{m.meeting_id}",
                do_truncate(env, m.title, 90),
                format_date(m.held_on),
                m.notice_number,
                format_date(m.notice_issued_on),
                format_number(m.total),
                done_text % {"p": m.percent_done},
                [
                    (kind, x, width, f"{class_labels[kind]}: {counts[kind]}")
                    for kind, x, width in m.segments()
                ],
                [
                    (kind, f"{class_labels[kind]}: {counts[kind]}")
                    for kind in operations.REPORT_CLASSES
                    if counts[kind]
                ],
                f"{class_labels[Timeliness.NO_DEADLINE.value]}: {no_deadline}"
                if no_deadline
                else "",
            )
        )
    return lines


def _overdue_lines(rows: Sequence[operations.OverdueRow]) -> list[OverdueLine]:
    """The overdue list: each task's link, meeting, unit, deadline and days overdue."""
    env = current_app.jinja_env
    task_path = id_url_prefix("tasks.task_detail", "task_id")
    extended_text = _("gia hạn %(n)d lần")
    return [
        OverdueLine(
            f"{task_path}{row.task_id}",
            do_truncate(env, row.content, 180),
            row.notice_number or do_truncate(env, row.meeting_title, 80),
            row.lead_unit_name,
            format_date(row.deadline),
            extended_text % {"n": row.extension_count} if row.extension_count else "",
            row.days_overdue,
            format_date(row.last_activity_dt),
        )
        for row in rows
    ]


@bp.route("/reports/export.<fmt>")
@login_required
def download(fmt: str) -> Any:
    """The dashboard's report as .xlsx, .docx or .csv, with the same filters."""
    if fmt not in exports.FORMATS:
        abort(404)
    try:
        scope = _scope_from_request()
    except PeriodError as error:
        return _error(400, str(error))
    except operations.UnknownFilter as error:
        return _error(404, error.message)
    report = operations.build_report(scope, generated_dt=now_utc())
    # A unit's head gets the per-officer sheet too (xlsx and docx; None for anyone else).
    report.officers = _officer_rows(scope)
    # The files are in the official forms' Vietnamese whatever the page's language: an
    # English page gave "Kỳ báo cáo: Quarter II, 2017" and "Open, not yet due" in them.
    with force_locale("vi"):
        body = exports.render(report, fmt)
    exports.log_export(current_user, fmt, report, "web")
    db.session.commit()
    return Response(
        body,
        mimetype=exports.MIME_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{exports.filename(report, fmt)}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/reports/officers.csv")
@login_required
def officers_download() -> Any:
    """The unit head's per-officer view of the period as CSV (one table: a file tools read as
    such, beside the task list's CSV); 403 for anyone else."""
    if not _is_head():
        abort(403)
    try:
        scope = _scope_from_request()
    except PeriodError as error:
        return _error(400, str(error))
    except operations.UnknownFilter as error:
        return _error(404, error.message)
    rows = _officer_rows(scope) or []
    body = exports.officers_csv(rows)
    exports.log_officer_export(current_user, scope, len(rows))
    db.session.commit()
    period = scope.period
    code = period.code or f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return Response(
        body,
        mimetype=exports.MIME_TYPES["csv"],
        headers={
            "Content-Disposition": f'attachment; filename="theo-can-bo-{code}.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- import ----------------------------------------------------------------------------------


def _upload_dir() -> Path:
    path = Path(current_app.config["TRACKER_UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(token: str) -> Path | None:
    # The user's id is part of the name: nobody confirms another user's upload.
    if not _UPLOAD_NAME.match(token or ""):
        return None
    return _upload_dir() / f"{current_user.id}-{token}.xlsx"


def _import_meeting(raw: str | None) -> Meeting | None:
    if not raw or not str(raw).isdigit():
        return None
    meeting = db.session.get(Meeting, int(raw))
    if meeting is None or not can_view_meeting(current_user, meeting):
        return None
    return meeting


def _import_form(error: str | None = None, code: int = 200, meeting_id: Any = "") -> Any:
    meetings = db.session.scalars(
        sa.select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(200)
    ).all()
    return (
        render_template(
            "reports/import.html", meetings=meetings, error=error, meeting_id=str(meeting_id)
        ),
        code,
    )


@bp.route("/reports/import", methods=["GET", "POST"])
@manager_required
def import_upload() -> Any:
    """Upload an Excel list of tasks for a meeting, and see each row's problems."""
    if request.method == "GET":
        return _import_form(meeting_id=request.args.get("meeting", ""))
    meeting_raw = request.form.get("meeting", "")
    meeting = _import_meeting(meeting_raw)
    if meeting is None:
        return _import_form(_("Vui lòng chọn cuộc họp."), 400, meeting_raw)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_form(_("Vui lòng chọn tệp Excel (.xlsx)."), 400, meeting_raw)
    limit = int(current_app.config.get("TRACKER_MAX_UPLOAD_MB", 20)) * 1024 * 1024
    data = upload.read(limit + 1)
    if len(data) > limit:
        return _import_form(_("Tệp vượt quá giới hạn cho phép."), 413, meeting_raw)
    try:
        rows = imports.read_workbook(data, meeting)
    except imports.ImportFileError as error:
        return _import_form(str(error), 400, meeting_raw)
    token = secrets.token_hex(16)
    path = _upload_path(token)
    assert path is not None
    path.write_bytes(data)
    return render_template(
        "reports/import_preview.html", meeting=meeting, rows=rows, token=token, errors=[]
    )


@bp.route("/reports/import/confirm", methods=["POST"])
@manager_required
def import_confirm() -> Any:
    """Create the valid rows of an uploaded list, all in one transaction."""
    meeting = _import_meeting(request.form.get("meeting"))
    token = request.form.get("token", "")
    path = _upload_path(token)
    if meeting is None or path is None or not path.exists():
        return _import_form(
            _("Tệp đã tải lên không còn nữa; vui lòng tải lên lại."),
            400,
            request.form.get("meeting", ""),
        )
    try:
        rows = imports.read_workbook(path.read_bytes(), meeting)
    except imports.ImportFileError as error:
        return _import_form(str(error), 400, meeting.id)
    valid = [r for r in rows if r.ok]
    if not valid:
        return render_template(
            "reports/import_preview.html",
            meeting=meeting,
            rows=rows,
            token=token,
            errors=[_("Không có dòng hợp lệ nào để tạo nhiệm vụ.")],
        ), 400
    try:
        created = imports.create_rows(rows, meeting, current_user)
    except ValidationError as error:
        db.session.rollback()
        return render_template(
            "reports/import_preview.html",
            meeting=meeting,
            rows=rows,
            token=token,
            errors=list(error.errors.values()),
        ), 400
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(_("Đã tạo %(n)d nhiệm vụ từ tệp Excel.", n=len(created)), "success")
    return redirect(url_for("meetings.meeting_detail", meeting_id=meeting.id))


# --- calendar feeds --------------------------------------------------------------------------


@bp.route("/reports/calendar", methods=["GET", "POST"])
@login_required
def calendar_settings() -> Any:
    """See, make, regenerate or revoke one's private calendar URL."""
    if request.method == "POST":
        action = request.form.get("action")
        if action == "regenerate":
            calendar_feed.regenerate_feed(current_user)
            db.session.commit()
            flash(_("Đã tạo địa chỉ lịch mới; địa chỉ cũ (nếu có) không còn dùng được."), "success")
        elif action == "revoke":
            calendar_feed.revoke_feed(current_user)
            db.session.commit()
            flash(_("Đã thu hồi địa chỉ lịch."), "success")
        else:
            flash(_("Thao tác không hợp lệ."), "error")
        return redirect(url_for("reports.calendar_settings"))
    feed = calendar_feed.feed_of(current_user)
    url = None
    if feed is not None and feed.is_active:
        url = url_for("reports.calendar_ics", token=calendar_feed.feed_token(feed), _external=True)
    events = calendar_feed.recent_feed_events(feed, now_utc()) if feed is not None else []
    return render_template("reports/calendar.html", feed=feed, url=url, events=events)


@bp.route("/feeds/<token>.ics")
def calendar_ics(token: str) -> Any:
    """The feed itself: no login, the secret in the URL; unknown or revoked → 404."""
    now = now_utc()
    user = calendar_feed.user_for_feed(token, now)
    if user is None:
        db.session.commit()  # the refusal's audit row
        abort(404)
    today = request_today()
    body = calendar_feed.build_calendar(
        user,
        calendar_feed.feed_tasks(user, today),
        current_app.config.get("TRACKER_BASE_URL", request.host_url),
        now,
    )
    db.session.commit()  # last_used_dt and the read's audit row
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="nhiem-vu.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )


def init_app(app: Flask) -> None:
    """Register this domain's pages, its API endpoint and the reporting database's session."""
    from tracker.reports import api, replica

    replica.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
