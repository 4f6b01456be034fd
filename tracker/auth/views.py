"""Login, logout, language, profile, and user administration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import operations
from tracker.auth.forms import ROLE_LABELS, LoginForm, PasswordForm, ProfileForm, UserForm
from tracker.auth.models import User
from tracker.core.errors import ValidationError
from tracker.core.i18n import LANGUAGES
from tracker.core.web import admin_required, apply_errors, back_or
from tracker.extensions import db
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            db.session.commit()
            # The same words whether the user exists or not.
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
        else:
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return back_or("index")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    if code not in LANGUAGES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return back_or("index")


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = PasswordForm(prefix="pw")
    if "profile-full_name" in request.form and form.validate_on_submit():
        current_user.full_name = form.full_name.data.strip()
        current_user.email = (form.email.data or "").strip() or None
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Đã lưu thông tin cá nhân."), "success")
        return redirect(url_for("auth.profile"))
    if "pw-new_password" in request.form and password_form.validate_on_submit():
        if (
            operations.authenticate(current_user.username, password_form.current_password.data)
            is None
        ):
            password_form.current_password.errors = [_("Mật khẩu hiện tại không đúng.")]
        else:
            try:
                operations.set_password(current_user, password_form.new_password.data)
            except ValidationError as error:
                password_form.new_password.errors = [error.errors["password"]]
                db.session.rollback()
            else:
                db.session.commit()
                login_user(current_user)  # keep this session, end the others
                flash(_("Đã đổi mật khẩu."), "success")
                return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, password_form=password_form)


def _unit_choices() -> list[tuple[int, str]]:
    return [(0, _("— Không thuộc đơn vị —"))] + [(u.id, u.name) for u in active_units()]


@bp.route("/admin/users")
@admin_required
def user_list() -> Any:
    q = request.args.get("q", "").strip()
    query = sa.select(User).order_by(User.is_active_user.desc(), User.full_name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(User.username.ilike(like), User.full_name.ilike(like)))
    users = db.session.scalars(query).all()
    return render_template("auth/users.html", users=users, q=q, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int | None = None) -> Any:
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.unit_id.data = user.unit_id or 0
        form.is_active.data = user.is_active_user
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            if user is None:
                if not form.password.data:
                    raise ValidationError({"password": _("Vui lòng đặt mật khẩu.")})
                user = operations.create_user(
                    username=form.username.data,
                    full_name=form.full_name.data,
                    password=form.password.data,
                    role=form.role.data,
                    unit=unit,
                    email=form.email.data,
                    locale=form.locale.data,
                )
            else:
                _update_user(user, form, unit)
            operations.set_active(user, bool(form.is_active.data))
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("Đã lưu người dùng %(name)s.", name=user.full_name), "success")
            return redirect(url_for("auth.user_list"))
    return render_template("auth/user_form.html", form=form, user=user)


def _update_user(user: User, form: UserForm, unit: Unit | None) -> None:
    username = form.username.data.strip().lower()
    clash = db.session.scalar(sa.select(User).where(User.username == username, User.id != user.id))
    if clash is not None:
        raise ValidationError({"username": _("Tên đăng nhập này đã được dùng.")})
    if form.role.data == "unit" and unit is None:
        raise ValidationError({"unit_id": _("Người dùng của đơn vị phải thuộc một đơn vị.")})
    if user.role != form.role.data or user.unit_id != (unit.id if unit else None):
        user.session_version += 1  # rights changed: sessions must log in again
    user.username = username
    user.full_name = form.full_name.data.strip()
    user.email = (form.email.data or "").strip() or None
    user.unit = unit
    user.role = form.role.data
    user.locale = form.locale.data
    if form.password.data:
        operations.set_password(user, form.password.data)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
