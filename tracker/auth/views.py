"""Login, logout, language, profile, and user administration."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, logout_user

from tracker.auth import audit, mfa, operations, sessions, throttle
from tracker.auth.forms import (
    ROLE_LABELS,
    LoginCodeForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    SecondFactorForm,
    UserForm,
)
from tracker.auth.models import ApiToken, AuditEvent, User
from tracker.core.errors import ValidationError
from tracker.core.i18n import LANGUAGES
from tracker.core.time import now_utc, to_local
from tracker.core.web import admin_required, apply_errors, back_or, safe_next
from tracker.extensions import db, limiter
from tracker.units.models import Unit
from tracker.units.operations import active_units

bp = Blueprint("auth", __name__)


def _login_account() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:64]


def _failed(response: Any) -> bool:
    # Only failed attempts count towards locking an account; a success redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"], methods=["POST"], per_method=True
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        wait = throttle.wait_seconds(username)
        if wait:
            # Not even checked: a guess made while waiting costs the guesser a try.
            return _throttled(username, wait)
        user = operations.authenticate(username, form.password.data or "")
        if user is None:
            delay = throttle.record_failure(username)
            audit.record(
                audit.AuditKind.LOGIN_FAILED,
                username=username.strip().lower(),
                detail=f"next try in {delay}s" if delay else "",
            )
            db.session.commit()
            # The same words whether the user exists or not.
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
        elif user.has_second_factor:
            throttle.record_success(username)
            db.session.commit()  # a re-hashed password
            _start_second_step(user, remember=bool(form.remember.data))
            return redirect(url_for("auth.login_verify", next=_safe_next()))
        else:
            throttle.record_success(username)
            audit.record(audit.AuditKind.LOGIN, actor=user)
            sessions.start(user, remember=bool(form.remember.data))
            db.session.commit()
            response = back_or("index")
            throttle.remember_device(response, user.username)
            return response
    return render_template("auth/login.html", form=form)


def _throttled(username: str, wait: int) -> Any:
    """A try while the account (from this browser) must wait: when it may try again."""
    audit.record(
        audit.AuditKind.LOGIN_LOCKED,
        username=username.strip().lower()[:64],
        detail=f"wait {wait}s",
    )
    db.session.commit()
    retry_at = datetime.fromtimestamp(time.time() + wait, UTC)
    flash(
        _(
            "Đăng nhập sai nhiều lần. Vui lòng chờ %(seconds)d giây rồi thử lại (sau %(when)s).",
            seconds=wait,
            when=to_local(retry_at).strftime("%H:%M:%S"),
        ),
        "error",
    )
    form = LoginForm()
    form.username.data = username
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(wait)
    return response


# The password was right; the second step must follow within this many seconds.
SECOND_STEP_SECONDS = 300
_PENDING = "mfa_pending"


def _safe_next() -> str | None:
    return safe_next(request.args.get("next") or request.form.get("next"))


def _start_second_step(user: User, *, remember: bool) -> None:
    # In the signed session cookie: who (with the session version, so a password change or a
    # deactivation in between voids it), since when, and the "remember me" choice.
    session[_PENDING] = {
        "user": sessions.pending_id(user),
        "since": now_utc().timestamp(),
        "remember": remember,
    }


def _pending_user() -> tuple[User | None, bool]:
    """The user half-way through logging in, and whether a pending step just expired."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None, False
    age = now_utc().timestamp() - float(pending.get("since") or 0)
    user = sessions.pending_user(str(pending.get("user") or ""))
    if not 0 <= age <= SECOND_STEP_SECONDS or user is None:
        session.pop(_PENDING, None)
        return None, True
    return user, False


def _unreadable_secret_message() -> str:
    return _(
        "Không kiểm tra được mã từ ứng dụng xác thực của tài khoản này. Vui lòng nhập một mã "
        "dự phòng, hoặc đề nghị quản trị viên đặt lại xác thực hai lớp cho bạn."
    )


def _second_step_account() -> str:
    pending = session.get(_PENDING)
    who = str(pending.get("user") or "") if isinstance(pending, dict) else ""
    return "mfa-account:" + who.split(":", 1)[0][:20]


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"], methods=["POST"], per_method=True
)
@limiter.limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ACCOUNT"],
    key_func=_second_step_account,
    methods=["POST"],
    deduct_when=_failed,
)
def login_verify() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    user, expired = _pending_user()
    if user is None:
        if expired:
            flash(_("Phiên xác thực đã hết hạn. Vui lòng đăng nhập lại."), "info")
        return redirect(url_for("auth.login", next=_safe_next()))
    form = LoginCodeForm()
    if form.validate_on_submit():
        try:
            method = mfa.verify_second_factor(user, form.code.data or "")
        except mfa.SecretUnreadable:
            # A changed or lost key: typing the code again cannot help, the admin can.
            audit.record(audit.AuditKind.MFA_UNREADABLE, actor=user)
            db.session.commit()
            form.code.errors = [_unreadable_secret_message()]
            return render_template("auth/login_verify.html", form=form)
        if method is None:
            audit.record(audit.AuditKind.MFA_FAILED, actor=user)
            db.session.commit()
            form.code.errors = [_("Mã xác thực không đúng hoặc đã được dùng.")]
        else:
            remember = bool(session.pop(_PENDING, {}).get("remember"))
            audit.record(audit.AuditKind.LOGIN, actor=user, detail=f"mfa={method}")
            if method == "recovery":
                audit.record(audit.AuditKind.MFA_RECOVERY_USED, actor=user)
            sessions.start(user, remember=remember)
            db.session.commit()
            response = back_or("index")
            throttle.remember_device(response, user.username)
            if method == "recovery":
                flash(
                    _(
                        "Bạn đã dùng một mã dự phòng; còn lại %(n)d mã.",
                        n=mfa.recovery_codes_left(user),
                    ),
                    "info",
                )
            return response
    return render_template("auth/login_verify.html", form=form)


def _locked(error: RateLimitExceeded) -> Any:
    """A throttled login says when the user may try again."""
    # The limiter counts in real seconds, whatever clock the application runs on.
    current = limiter.current_limit
    wait = max(1, int(current.reset_at - time.time())) if current is not None else 900
    if request.endpoint == "auth.login":
        audit.record(
            audit.AuditKind.LOGIN_LOCKED,
            username=_login_account().split(":", 1)[1],
            detail="address limit",
        )
        db.session.commit()
        retry_at = datetime.fromtimestamp(time.time() + wait, UTC)
        flash(
            _(
                "Có quá nhiều lần đăng nhập từ địa chỉ mạng này. Vui lòng thử lại sau "
                "%(minutes)d phút (lúc %(when)s).",
                minutes=(wait + 59) // 60,
                when=to_local(retry_at).strftime("%H:%M"),
            ),
            "error",
        )
        response = make_response(render_template("auth/login.html", form=LoginForm()), 429)
    elif request.endpoint == "auth.login_verify":
        user, _expired = _pending_user()
        audit.record(audit.AuditKind.MFA_LOCKED, actor=user)
        db.session.commit()
        retry_at = datetime.fromtimestamp(time.time() + wait, UTC)
        flash(
            _(
                "Nhập sai mã quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút (lúc %(when)s).",
                minutes=(wait + 59) // 60,
                when=to_local(retry_at).strftime("%H:%M"),
            ),
            "error",
        )
        page = render_template("auth/login_verify.html", form=LoginCodeForm())
        response = make_response(page, 429)
    else:
        title = _("Quá nhiều yêu cầu, vui lòng thử lại sau")
        response = make_response(
            render_template("errors/error.html", code=429, title=title, message=None), 429
        )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        audit.record(audit.AuditKind.LOGOUT, actor=current_user)
        # Ended on the server: a copy of this browser's cookies opens nothing anymore.
        sessions.end(current_user._get_current_object())
        db.session.commit()
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
                audit.record(audit.AuditKind.PASSWORD_CHANGED, actor=current_user)
                # Every login ended with the old password; this browser carries on anew.
                sessions.renew(current_user._get_current_object())
                db.session.commit()
                flash(_("Đã đổi mật khẩu."), "success")
                return redirect(url_for("auth.profile"))
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked_dt.is_(None))
        .order_by(ApiToken.id)
    ).all()
    return render_template(
        "auth/profile.html", form=form, password_form=password_form, tokens=tokens
    )


@bp.route("/profile/tokens", methods=["POST"])
@login_required
def token_create() -> Any:
    label = (request.form.get("label") or "").strip()[:100] or _("Khoá API")
    token = operations.create_api_token(current_user, label)
    audit.record(audit.AuditKind.TOKEN_CREATED, actor=current_user, detail=label)
    db.session.commit()
    # Shown once, on this page only; only its hash is stored.
    return render_template("auth/token_created.html", token=token, label=label)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def token_revoke(token_id: int) -> Any:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    operations.revoke_api_token(row)
    audit.record(audit.AuditKind.TOKEN_REVOKED, actor=current_user, detail=row.label)
    db.session.commit()
    flash(_("Đã thu hồi khoá API “%(label)s”.", label=row.label), "success")
    return redirect(url_for("auth.profile"))


def _issuer() -> str:
    # The account's label in the authenticator app: the same whatever the page's language.
    return f"Theo dõi nhiệm vụ {current_app.config['TRACKER_PLACE']}"


def _reauth_account() -> str:
    return f"mfa-reauth:{current_user.id}"


def _reauth_failed(response: Any) -> bool:
    # Success either redirects or shows the recovery codes; only failures count.
    return response.status_code != 302 and not g.pop("second_factor_changed", False)


# Changing the second factor asks for the password and a code again; someone holding only
# a session may not guess either without limit.
_reauth_limit = limiter.shared_limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ACCOUNT"],
    scope="mfa-reauth",
    key_func=_reauth_account,
    methods=["POST"],
    deduct_when=_reauth_failed,
)


def _reauthenticated(form: SecondFactorForm) -> bool:
    """The current user's password and a code from the authenticator or a recovery code."""
    if operations.authenticate(current_user.username, form.password.data or "") is None:
        form.password.errors = [_("Mật khẩu hiện tại không đúng.")]
        return False
    try:
        method = mfa.verify_second_factor(current_user, form.code.data or "")
    except mfa.SecretUnreadable:
        audit.record(audit.AuditKind.MFA_UNREADABLE, actor=current_user)
        db.session.commit()
        form.code.errors = [_unreadable_secret_message()]
        return False
    if method is None:
        form.code.errors = [_("Mã xác thực không đúng hoặc đã được dùng.")]
        return False
    return True


def _setup_page(
    form: SecondFactorForm | None = None,
    off_form: SecondFactorForm | None = None,
    renew_form: SecondFactorForm | None = None,
) -> Any:
    user = current_user._get_current_object()
    required = user.role in current_app.config["TRACKER_MFA_REQUIRED_ROLES"]
    if user.has_second_factor:
        return render_template(
            "auth/mfa_setup.html",
            required=required,
            codes_left=mfa.recovery_codes_left(user),
            off_form=off_form or SecondFactorForm(prefix="off"),
            renew_form=renew_form or SecondFactorForm(prefix="renew"),
        )
    secret = mfa.start_enrollment(user)
    db.session.commit()
    uri = mfa.provisioning_uri(user, _issuer())
    return render_template(
        "auth/mfa_setup.html",
        required=required,
        form=form or SecondFactorForm(prefix="on"),
        qr=mfa.qr_svg(uri, _("Mã QR để thêm tài khoản vào ứng dụng xác thực")),
        secret=mfa.grouped_secret(secret),
    )


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
@_reauth_limit
def mfa_setup() -> Any:
    if current_user.has_second_factor:
        return _setup_page()
    form = SecondFactorForm(prefix="on")
    if form.validate_on_submit():
        if operations.authenticate(current_user.username, form.password.data or "") is None:
            form.password.errors = [_("Mật khẩu hiện tại không đúng.")]
        else:
            try:
                codes = mfa.confirm_enrollment(current_user, form.code.data or "")
            except ValidationError as error:
                apply_errors(form, error.errors)
            else:
                audit.record(audit.AuditKind.MFA_ENABLED, actor=current_user)
                sessions.renew(current_user._get_current_object())  # keep this session only
                db.session.commit()
                g.second_factor_changed = True
                # Shown once, on this page only; only their hashes are stored.
                return render_template("auth/mfa_codes.html", codes=codes, enabled=True)
    return _setup_page(form=form)


@bp.route("/profile/two-factor/disable", methods=["POST"])
@login_required
@_reauth_limit
def mfa_disable() -> Any:
    if not current_user.has_second_factor:
        return redirect(url_for("auth.mfa_setup"))
    form = SecondFactorForm(prefix="off")
    if form.validate_on_submit() and _reauthenticated(form):
        mfa.remove_second_factor(current_user)
        audit.record(audit.AuditKind.MFA_DISABLED, actor=current_user)
        sessions.renew(current_user._get_current_object())  # keep this session only
        db.session.commit()
        flash(_("Đã tắt xác thực hai lớp."), "success")
        return redirect(url_for("auth.profile"))
    return _setup_page(off_form=form)


@bp.route("/profile/two-factor/recovery-codes", methods=["POST"])
@login_required
@_reauth_limit
def mfa_recovery_codes() -> Any:
    if not current_user.has_second_factor:
        return redirect(url_for("auth.mfa_setup"))
    form = SecondFactorForm(prefix="renew")
    if form.validate_on_submit() and _reauthenticated(form):
        codes = mfa.renew_recovery_codes(current_user)
        audit.record(audit.AuditKind.MFA_CODES_RENEWED, actor=current_user)
        db.session.commit()
        g.second_factor_changed = True
        return render_template("auth/mfa_codes.html", codes=codes, enabled=False)
    return _setup_page(renew_form=form)


@bp.route("/admin/users/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_required
def user_mfa_reset(user_id: int) -> Any:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not user.has_second_factor and not user.totp_secret:
        flash(_("Người dùng này chưa bật xác thực hai lớp."), "info")
        return redirect(url_for("auth.user_edit", user_id=user.id))
    mfa.remove_second_factor(user)
    audit.record(
        audit.AuditKind.MFA_RESET, actor=current_user, username=user.username, detail="by admin"
    )
    if user.id == current_user.id:
        sessions.renew(user)  # an admin resetting their own factor keeps this session
    db.session.commit()
    flash(
        _(
            "Đã huỷ xác thực hai lớp của %(name)s; người dùng phải đăng nhập lại.",
            name=user.full_name,
        ),
        "success",
    )
    return redirect(url_for("auth.user_edit", user_id=user.id))


# While a user of a role that must use a second factor has none, only these answer.
_OPEN_WHILE_ENROLLING = {
    "auth.mfa_setup",
    "auth.logout",
    "auth.set_language",
    "auth.login",
    "auth.login_verify",
    "static",
}


def _require_second_factor() -> Any:
    """Send users of TRACKER_MFA_REQUIRED_ROLES without a second factor to enrollment."""
    roles = current_app.config.get("TRACKER_MFA_REQUIRED_ROLES") or ()
    if not roles or request.endpoint in _OPEN_WHILE_ENROLLING or request.endpoint is None:
        return None
    if request.path.startswith("/api/"):
        return None  # bearer tokens, not the session: the machine credential is unaffected
    if current_user.is_authenticated and mfa.must_enroll(current_user, roles):
        return redirect(url_for("auth.mfa_setup"))
    return None


@bp.route("/admin/audit")
@admin_required
def audit_log() -> Any:
    kind = request.args.get("kind", "")
    who = request.args.get("user", "").strip().lower()
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if kind:
        query = query.where(AuditEvent.kind == kind)
    if who:
        query = query.where(AuditEvent.username.like(f"%{who}%"))
    page = db.paginate(query, per_page=100, error_out=False)
    return render_template(
        "auth/audit.html",
        page=page,
        kind=kind,
        who=who,
        kinds=[k.value for k in audit.AuditKind],
        kind_label=audit.kind_label,
    )


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
        created = user is None
        before = (user.role, user.unit_id, user.is_active_user) if user else None
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
            after = (user.role, user.unit_id, user.is_active_user)
            if created or before != after:
                audit.record(
                    audit.AuditKind.USER_CREATED if created else audit.AuditKind.USER_CHANGED,
                    actor=current_user,
                    username=user.username,
                    detail=f"role={after[0]} unit={after[1]} active={after[2]}"
                    + (
                        f" (was role={before[0]} unit={before[1]} active={before[2]})"
                        if before
                        else ""
                    ),
                )
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
    operations.check_keeps_an_admin(user, role=form.role.data, active=bool(form.is_active.data))
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
    app.register_error_handler(RateLimitExceeded, _locked)
    app.before_request(_require_second_factor)
