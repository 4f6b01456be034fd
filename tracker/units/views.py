"""The unit directory pages (admin)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from tracker.core.errors import ValidationError
from tracker.core.text import fold
from tracker.core.web import admin_required, apply_errors
from tracker.extensions import db
from tracker.units import operations
from tracker.units.forms import KIND_LABELS, UnitForm
from tracker.units.models import Unit, UnitAlias

bp = Blueprint("units", __name__, url_prefix="/admin/units")


@bp.route("/")
@admin_required
def unit_list() -> Any:
    q = request.args.get("q", "").strip()
    query = sa.select(Unit).options(selectinload(Unit.aliases), selectinload(Unit.parent))
    if q:
        like = f"%{fold(q)}%"
        aliased = sa.select(UnitAlias.unit_id).where(UnitAlias.alias_folded.like(like))
        query = query.where(sa.or_(Unit.name_folded.like(like), Unit.id.in_(aliased)))
    units = db.session.scalars(query.order_by(Unit.kind, Unit.name_folded)).all()
    return render_template("units/list.html", units=units, q=q, kind_labels=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:unit_id>", methods=["GET", "POST"])
@admin_required
def unit_edit(unit_id: int | None = None) -> Any:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=unit)
    others = db.session.scalars(sa.select(Unit).order_by(Unit.name_folded)).all()
    form.parent_id.choices = [(0, _("— Không có —"))] + [
        (u.id, u.name) for u in others if u is not unit
    ]
    if request.method == "GET" and unit is not None:
        form.parent_id.data = unit.parent_id or 0
        form.aliases.data = "\n".join(a.alias for a in unit.aliases)
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            saved = operations.save_unit(
                unit,
                name=form.name.data,
                short_name=form.short_name.data or "",
                kind=form.kind.data,
                parent=parent,
                aliases=(form.aliases.data or "").splitlines(),
                is_active=bool(form.is_active.data),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu đơn vị %(name)s.", name=saved.name), "success")
            return redirect(url_for("units.unit_list"))
    return render_template("units/form.html", form=form, unit=unit)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
