"""Settings read from TRACKER_* environment variables."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def _generated_secret_key(instance_path: str) -> str:
    # Development only: a key generated once and kept in the instance folder, so sessions
    # survive restarts without anyone having to invent a secret.
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _score_against(value: str | None) -> str:
    value = (value or "current").strip().lower()
    if value not in {"current", "original"}:
        raise RuntimeError("TRACKER_SCORE_AGAINST must be 'current' or 'original'")
    return value


def _positive_int(name: str, env: Any, default: str) -> int:
    raw = (env.get(name) or default).strip()
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return value


def _fixed_now(value: str | None) -> datetime | None:
    # A clock fixed from outside (browser tests restart the server to move time); an ISO-8601
    # datetime, local time (TRACKER_TIMEZONE) when it carries no offset.
    if not value:
        return None
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(
            tzinfo=ZoneInfo(os.environ.get("TRACKER_TIMEZONE", "Asia/Ho_Chi_Minh"))
        )
    return moment.astimezone(UTC)


def _roles(value: str | None) -> list[str]:
    # A typo here would silently leave admins without a second factor: refuse to start.
    from tracker.auth.models import Role

    roles = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
    known = {role.value for role in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise RuntimeError(
            f"TRACKER_MFA_REQUIRED_ROLES: unknown role(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return roles


def _mfa_key(name: str, value: str) -> str:
    # A mistyped key would only show at the first login with a second factor: refuse to start.
    try:
        raw = base64.b64decode(value.encode(), altchars=b"-_", validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise RuntimeError(
            f"{name}: a key is 32 random bytes in URL-safe base64 (44 characters); make one with "
            'python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
        )
    return value


def _mfa_keys(name: str, value: str | None) -> list[str]:
    return [_mfa_key(name, part.strip()) for part in (value or "").split(",") if part.strip()]


def _engine_options(url: str, pgbouncer: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if pgbouncer and url.startswith("postgresql"):
        # PgBouncer in transaction mode hands each transaction any server connection, so a
        # statement psycopg prepared on one is unknown on the next: never prepare.
        options["connect_args"] = {"prepare_threshold": None}
    return options


def _database_settings(env: Any, database_url: str) -> dict[str, Any]:
    """The main engine, the optional reporting database (a streaming replica) and PgBouncer."""
    pgbouncer = _bool(env.get("TRACKER_DATABASE_PGBOUNCER"))
    if pgbouncer and not database_url.startswith("postgresql+psycopg://"):
        raise RuntimeError(
            "TRACKER_DATABASE_PGBOUNCER is for a postgresql+psycopg:// TRACKER_DATABASE_URL"
        )
    reports_url = (env.get("TRACKER_REPORTS_DATABASE_URL") or "").strip()
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url, pgbouncer),
        # Only the report queries read here (tracker/reports/replica.py); empty: the main one.
        # An engine of our own, not a Flask-SQLAlchemy bind: no model lives there.
        "TRACKER_REPORTS_DATABASE_URL": reports_url,
        "TRACKER_REPORTS_ENGINE_OPTIONS": _engine_options(reports_url, pgbouncer),
        "TRACKER_DATABASE_PGBOUNCER": pgbouncer,
        # Past this lag (seconds) on a PostgreSQL replica, or with the replica unreachable,
        # reports read the main database; 0 never checks.
        "TRACKER_REPORTS_MAX_LAG_SECONDS": float(env.get("TRACKER_REPORTS_MAX_LAG_SECONDS", "0")),
        # Session-level advisory locks do not survive PgBouncer's transaction pooling: the
        # scheduler takes its lock over this direct URL (tracker/jobs.py).
        "TRACKER_SCHEDULER_DATABASE_URL": (env.get("TRACKER_SCHEDULER_DATABASE_URL") or "").strip(),
    }


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the Flask configuration from the environment."""
    env = os.environ
    development = env.get("TRACKER_ENV", "development") != "production"
    database_url = env.get("TRACKER_DATABASE_URL") or f"sqlite:///{instance_path}/tracker.db"
    if env.get("TRACKER_FIXED_NOW") and not development:
        raise RuntimeError("TRACKER_FIXED_NOW stops the clock: it is for tests, not production")
    secret_key = env.get("TRACKER_SECRET_KEY")
    if not secret_key:
        if not development:
            raise RuntimeError("TRACKER_SECRET_KEY must be set when TRACKER_ENV=production")
        secret_key = _generated_secret_key(instance_path)
    mfa_key = (env.get("TRACKER_MFA_KEY") or "").strip()
    return {
        "SECRET_KEY": secret_key,
        **_database_settings(env, database_url),
        "TRACKER_TIMEZONE": env.get("TRACKER_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "TRACKER_BASE_URL": env.get("TRACKER_BASE_URL", "http://127.0.0.1:5000"),
        # Number of reverse proxies in front (nginx: 1): trust their X-Forwarded-* headers.
        "TRACKER_PROXY_COUNT": int(env.get("TRACKER_PROXY_COUNT", "0")),
        # The issuing body and place printed at the head of reports.
        "TRACKER_ORGANISATION": env.get("TRACKER_ORGANISATION", "ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ"),
        "TRACKER_PLACE": env.get("TRACKER_PLACE", "Vân Hồ"),
        "TRACKER_UPLOAD_DIR": env.get("TRACKER_UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        "TRACKER_MAX_UPLOAD_MB": int(env.get("TRACKER_MAX_UPLOAD_MB", "20")),
        # Files kept per task, and uploaded per person in all; 0: no quota.
        "TRACKER_TASK_UPLOAD_QUOTA_MB": int(env.get("TRACKER_TASK_UPLOAD_QUOTA_MB", "200")),
        "TRACKER_USER_UPLOAD_QUOTA_MB": int(env.get("TRACKER_USER_UPLOAD_QUOTA_MB", "2000")),
        "TRACKER_DUE_SOON_DAYS": int(env.get("TRACKER_DUE_SOON_DAYS", "3")),
        # Seconds one upload of a scanned notice may spend in OCR (keep below the web worker's
        # timeout: gunicorn --timeout 60).
        "TRACKER_OCR_SECONDS": float(env.get("TRACKER_OCR_SECONDS", "40")),
        # Timeliness in reports counts against the current (approved) deadline or the original.
        "TRACKER_SCORE_AGAINST": _score_against(env.get("TRACKER_SCORE_AGAINST")),
        "TRACKER_MAIL_URL": env.get("TRACKER_MAIL_URL", ""),
        "TRACKER_MAIL_FROM": env.get("TRACKER_MAIL_FROM", "tracker@vanho.example"),
        # SQLite's page cache per connection (tracker/core/database.py).
        "TRACKER_SQLITE_CACHE_MB": int(env.get("TRACKER_SQLITE_CACHE_MB", "64")),
        # Threads sending a reminder pass's messages; 0: the default, 2.
        "TRACKER_REMINDER_THREADS": int(env.get("TRACKER_REMINDER_THREADS", "0")),
        # Webhooks may point at loopback, link-local and private addresses only when this is
        # set (a chat bridge inside the office network); otherwise such targets are refused
        # when saved and when posted to (tracker/reminders/webhooks.py).
        "TRACKER_WEBHOOK_ALLOW_PRIVATE": _bool(env.get("TRACKER_WEBHOOK_ALLOW_PRIVATE")),
        # A pasted notice may be long, but not unbounded: 20 MB pastes are refused by a form
        # error rather than by the server dropping the connection.
        "MAX_CONTENT_LENGTH": int(env.get("TRACKER_MAX_REQUEST_MB", "25")) * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": int(env.get("TRACKER_MAX_REQUEST_MB", "25")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("TRACKER_SECURE_COOKIES")),
        # How long a login lasts at most, remembered ("Ghi nhớ đăng nhập") or not: the remember
        # cookie's lifetime and the server's limit on the login it carries (tracker/auth/
        # sessions.py). Its Secure, HttpOnly and SameSite flags follow the session cookie's
        # (tracker/core/web.py).
        "TRACKER_REMEMBER_DAYS": _positive_int("TRACKER_REMEMBER_DAYS", env, "30"),
        "WTF_CSRF_TIME_LIMIT": None,
        # Login throttling: in memory by default (one process), Redis for several workers.
        "RATELIMIT_STORAGE_URI": env.get("TRACKER_RATELIMIT_STORAGE_URL", "memory://"),
        # Off: the limiter would put its own window's Retry-After on every login answer,
        # over the wait an account was given; the 429 pages set theirs (tracker/auth/views.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        # Wrong second-factor codes per account (the password was right: no third party).
        "TRACKER_LOGIN_LIMIT_ACCOUNT": env.get("TRACKER_LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes"),
        "TRACKER_LOGIN_LIMIT_ADDRESS": env.get("TRACKER_LOGIN_LIMIT_ADDRESS", "30 per 5 minutes"),
        # Wrong passwords slow an account down instead of locking it (tracker/auth/throttle.py):
        # after this many, each try waits, the first delay doubling up to the longest.
        "TRACKER_LOGIN_FREE_FAILURES": _positive_int("TRACKER_LOGIN_FREE_FAILURES", env, "5"),
        "TRACKER_LOGIN_DELAY_SECONDS": _positive_int("TRACKER_LOGIN_DELAY_SECONDS", env, "30"),
        "TRACKER_LOGIN_MAX_DELAY_SECONDS": _positive_int(
            "TRACKER_LOGIN_MAX_DELAY_SECONDS", env, "900"
        ),
        # Roles that must use a second factor (TOTP): "admin" or "admin,chair"; empty for none.
        "TRACKER_MFA_REQUIRED_ROLES": _roles(env.get("TRACKER_MFA_REQUIRED_ROLES")),
        # The key sealing TOTP secrets in the database (tracker/auth/mfa.py); empty: one derived
        # from SECRET_KEY. Old keys still open secrets until `tracker users rekey-mfa` runs.
        "TRACKER_MFA_KEY": _mfa_key("TRACKER_MFA_KEY", mfa_key) if mfa_key else "",
        "TRACKER_MFA_OLD_KEYS": _mfa_keys("TRACKER_MFA_OLD_KEYS", env.get("TRACKER_MFA_OLD_KEYS")),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": env.get("TRACKER_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "TRACKER_FIXED_NOW": _fixed_now(env.get("TRACKER_FIXED_NOW")),
    }
