"""Web plumbing shared by the blueprints: login, error pages, template filters, guards."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter, Map

from tracker.core.limits import MAX_ID, is_control
from tracker.core.permissions import can_administer, can_manage_meetings
from tracker.core.time import request_today, to_local
from tracker.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])

# The highest page number a list accepts (50 rows a page: fifty million rows).
MAX_PAGE = 1_000_000


@login_manager.user_loader
def load_user(user_id: str) -> Any:
    """The user of a session or remember cookie, if its login is still live on the server
    (tracker/auth/sessions.py)."""
    from tracker.auth import sessions

    return sessions.load(user_id)


def manager_required(view: F) -> F:
    """Only chairs, the office and admins."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_manage_meetings(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Only admins."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def id_url_prefix(endpoint: str, key: str) -> str:
    """The address of `endpoint` for an object, without the object's id (append it): a table
    prints hundreds of links, and a url_for for each cost more than the rest of its row."""
    url = url_for(endpoint, **{key: 0})
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint}'s address does not end with its {key}: {url}")
    return url[:-1]


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, as Vietnamese offices write dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def relative_deadline(deadline: date | None, today: date | None = None) -> str:
    """ "còn 3 ngày", "hôm nay", "quá hạn 5 ngày"."""
    if deadline is None:
        return _("không thời hạn")
    days = (deadline - (today or request_today())).days
    if days == 0:
        return _("hạn hôm nay")
    if days > 0:
        return ngettext("còn %(num)d ngày", "còn %(num)d ngày", days)
    return ngettext("quá hạn %(num)d ngày", "quá hạn %(num)d ngày", -days)


def format_number(value: int | float) -> str:
    """Numbers with Vietnamese separators: 1.234,5."""
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


FILE_SIZE_UNITS = ("B", "KB", "MB", "GB")


def format_file_size(size: int) -> str:
    """A file's size in the reader's language: "1,5 MB" in Vietnamese, "1.5 MB" in English
    (Babel's decimal format for the current locale; 1 KB = 1024 bytes, as file managers count)."""
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    value, unit = float(size), 0
    while value >= 1024 and unit < len(FILE_SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    pattern = "#,##0" if unit == 0 else "#,##0.#"
    number = format_decimal(value, format=pattern, locale=get_locale() or "vi")
    return f"{number} {FILE_SIZE_UNITS[unit]}"


def nl2br(value: str) -> Markup:
    """Keep the line breaks of a note, escaping everything else."""
    return Markup("<br>").join(escape(line) for line in (value or "").split("\n"))


ERROR_TITLES = {
    400: _l("Yêu cầu không hợp lệ"),
    403: _l("Bạn không có quyền thực hiện thao tác này"),
    404: _l("Không tìm thấy trang"),
    405: _l("Thao tác không được hỗ trợ"),
    409: _l("Dữ liệu đã thay đổi"),
    413: _l("Dữ liệu gửi lên quá lớn"),
    429: _l("Quá nhiều yêu cầu, vui lòng thử lại sau"),
    500: _l("Đã có lỗi xảy ra"),
    503: _l("Hệ thống tạm thời không sẵn sàng"),
}


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a number past the database's integers matches no page (404)
    instead of overflowing the query (a 500 for /tasks/99999999999999999999)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def id_arg(args: Any, name: str) -> tuple[int | None, bool]:
    """An id from the query string: (the id or None when absent or empty, whether it was
    usable). A value that is not a whole number from 1 to MAX_ID is unusable: the caller
    says so instead of the database overflowing."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None, True
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        return None, False
    return int(raw), True


def _error_page(code: int, message: str | None = None) -> tuple[str, int]:
    title = str(ERROR_TITLES.get(code, ERROR_TITLES[500]))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    """Attach login, error pages, filters and template globals (before the blueprints: the
    routes' `<int:…>` take the bounded converter)."""
    app.url_map.converters["int"] = IdConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    # The remember cookie opens a login as the session cookie does: the same flags, whatever
    # the deployment chose for the session cookie (Secure behind HTTPS).
    for flag in ("SECURE", "HTTPONLY", "SAMESITE"):
        app.config[f"REMEMBER_COOKIE_{flag}"] = app.config.get(f"SESSION_COOKIE_{flag}")
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(
        days=int(app.config.get("TRACKER_REMEMBER_DAYS", 30))
    )

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return _error_page(
            400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # A 405 names the methods that would have been answered (RFC 9110, 15.5.6).
        headers = (
            {"Allow": ", ".join(sorted(error.valid_methods))}
            if isinstance(error, MethodNotAllowed) and error.valid_methods
            else {}
        )
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error=error.name, message=error.description), error.code, headers
        if error.code == 413:
            return _error_page(413, _("Tệp hoặc nội dung gửi lên vượt quá giới hạn cho phép."))
        if error.code == 400 and getattr(error, "tracker_message", None):
            return _error_page(400, error.tracker_message)  # type: ignore[attr-defined]
        return (*_error_page(error.code or 500), headers)

    @app.before_request
    def page_number_in_range() -> None:
        # ?page=99999999999999999999 overflowed the database's integers (a 500 on every list):
        # past MAX_PAGE the request is refused. A page below 1 or not a number still shows the
        # first page, as the lists always did.
        raw = request.args.get("page")
        if raw is None or request.path.startswith("/api/"):
            return  # the API checks its own parameters, with field errors
        try:
            number = int(raw.strip())
        except ValueError:
            return
        if number > MAX_PAGE:
            error = BadRequest()
            error.tracker_message = _(  # type: ignore[attr-defined]
                "Số trang không hợp lệ: hãy dùng một số từ 1 đến %(max)s.",
                max=format_number(MAX_PAGE),
            )
            raise error

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def database_unavailable(error: Exception) -> Any:
        # The database went away (restart, network, lock timeout): nothing was saved. Give the
        # user back what they typed so one click sends it again.
        app.logger.warning("database unavailable on %s: %s", request.path, error)
        db.session.rollback()
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error="database unavailable, nothing was saved; retry"), 503
        fields = [
            (key, value)
            for key, values in request.form.lists()
            for value in values
            if key != "csrf_token"
        ]
        page = render_template(
            "errors/unavailable.html",
            fields=fields,
            action=request.full_path if request.method == "POST" else None,
        )
        return page, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error="Internal Server Error", message="unexpected error"), 500
        return _error_page(500)

    @app.after_request
    def security_headers(response: Any) -> Any:
        # No inline script and no inline style anywhere (scripts and stylesheets are static
        # files; the charts' rules are in static/charts.css), so the policy forbids both: an
        # injected <style> or style="" cannot restyle a page to mislead (e.g. hide a warning).
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["relative"] = relative_deadline
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.filters["filesize"] = format_file_size

    from tracker.tasks.operations import status_label
    from tracker.tasks.views import TIMELINESS_LABELS, task_rows, timeliness_of

    # Globals rather than context variables, so imported macros see them too.
    app.jinja_env.globals.update(
        status_label=status_label,
        timeliness_labels=TIMELINESS_LABELS,
        timeliness_of=timeliness_of,
        task_rows=task_rows,
        has_endpoint=lambda name: name in app.view_functions,
    )

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "today": request_today(),
            "can_manage": can_manage_meetings(current_user),
            "can_administer": can_administer(current_user),
        }

    @app.route("/")
    def index() -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if can_manage_meetings(current_user):
            return redirect(url_for("tasks.overview"))
        return redirect(url_for("tasks.my_tasks"))


def flash_errors(errors: dict[str, str]) -> None:
    """Show operation errors that belong to no form field."""
    for message in errors.values():
        flash(message, "error")


def apply_errors(form: Any, errors: dict[str, str]) -> None:
    """Attach operation errors to the form's fields; the rest become flashed messages."""
    for field_name, message in errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            flash(message, "error")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Browsers drop tabs and line breaks from addresses and read a backslash as a slash, so a
    slash, a tab and "/evil.example" lead to another site as "//evil.example" does: any
    control character, whitespace or backslash refuses the target, and what remains must
    parse (urllib) without a scheme or host and start with a single slash."""
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ch.isspace() or is_control(ch) for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    # urlsplit reads "///evil.example" as the path "/evil.example"; browsers as the host.
    if target.startswith("//") or parts.path.startswith("//"):
        return None
    return target


def back_or(default_endpoint: str, **values: Any) -> Any:
    """Redirect to a safe same-site `next` parameter, else to `default_endpoint`."""
    target = safe_next(request.args.get("next") or request.form.get("next"))
    if target:
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))
