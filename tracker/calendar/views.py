"""The working-day calendar page: public holidays and the admin's swapped days."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.calendar import operations
from tracker.calendar.forms import DAY_KINDS, CalendarDayForm
from tracker.calendar.models import CalendarDay
from tracker.core.errors import ValidationError
from tracker.core.permissions import can_view_calendar
from tracker.core.time import request_today
from tracker.core.web import admin_required, apply_errors
from tracker.extensions import db

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not 1990 <= year <= 2100:
        return request_today().year
    return year


def _render(form: CalendarDayForm, year: int) -> Any:
    return render_template(
        "calendar/days.html",
        form=form,
        year=year,
        holidays=operations.public_holidays(year, str(get_locale() or "vi")),
        days=operations.days_of_year(year),
        kinds=DAY_KINDS,
        may_change=current_user.is_admin,
    )


@bp.route("/")
@login_required
def days() -> Any:
    if not can_view_calendar(current_user):
        abort(403)
    return _render(CalendarDayForm(), _year())


@bp.route("/", methods=["POST"])
@admin_required
def day_add() -> Any:
    form = CalendarDayForm()
    year = _year()
    if form.validate_on_submit():
        try:
            row = operations.set_day(
                form.day.data, is_working=form.kind.data == "working", note=form.note.data or ""
            )
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            flash(
                _(
                    "Đã ghi ngày %(day)s là %(kind)s.",
                    day=f"{row.day:%d/%m/%Y}",
                    kind=str(DAY_KINDS[form.kind.data]).lower(),
                ),
                "success",
            )
            return redirect(url_for("calendar.days", year=row.day.year))
    elif form.day.data:
        year = form.day.data.year
    return _render(form, year), 422


@bp.route("/<int:day_id>/delete", methods=["POST"])
@admin_required
def day_remove(day_id: int) -> Any:
    row = db.session.get(CalendarDay, day_id)
    if row is None:
        abort(404)
    year = row.day.year
    label = f"{row.day:%d/%m/%Y}"
    operations.remove_day(row)
    db.session.commit()
    flash(_("Đã bỏ ngày %(day)s; ngày này theo lịch thông thường.", day=label), "success")
    return redirect(url_for("calendar.days", year=year))


def init_app(app: Flask) -> None:
    """Register the calendar pages."""
    app.register_blueprint(bp)
