"""Slowing password guessing down per account without letting anyone lock an account.

A hard lock (5 wrong passwords lock the account for 15 minutes) let anyone who knew a chair's
username keep the chair out, from addresses of their choosing. Instead:

- every address may try `TRACKER_LOGIN_LIMIT_ADDRESS` times (Flask-Limiter, in views.py);
- an account's wrong passwords beyond `TRACKER_LOGIN_FREE_FAILURES` make the next try wait,
  `TRACKER_LOGIN_DELAY_SECONDS` at first and twice as long after each further failure, up to
  `TRACKER_LOGIN_MAX_DELAY_SECONDS`;
- a browser in which the account logged in before carries a signed device cookie: its tries
  do not wait on the account's failures (only on its own, counted alike), so the owner at
  their usual computer or phone gets in whatever a guesser elsewhere does.

Counts live in the limiter's storage (memory, or Redis shared by several workers) and are
measured in real seconds, like the limiter's, whatever clock the application runs on.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from tracker.extensions import limiter

DEVICE_COOKIE = "tracker_device"
DEVICE_COOKIE_DAYS = 365
MAX_DEVICE_ACCOUNTS = 5  # accounts remembered per browser (a shared office computer)
FAILURE_MEMORY_SECONDS = 24 * 3600  # failures older than a day are forgotten


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _account(username: str) -> str:
    return (username or "").strip().lower()[:64]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="login-device")


def _devices() -> dict[str, str]:
    """The accounts this browser logged in as, each with the nonce of its device cookie."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def device_of(username: str) -> str | None:
    """The key this browser's device cookie gives `username`, if any: tries made with it
    count for this browser alone."""
    nonce = _devices().get(_account(username))
    return f"login-device:{nonce}" if nonce else None


def _keys(username: str, device: str | None) -> tuple[str, str]:
    base = device or f"login-account:{_account(username)}"
    return f"{base}:failures", f"{base}:wait"


def _remaining(key: str) -> int:
    storage = limiter.storage
    if not storage.get(key):
        return 0
    return max(0, math.ceil(storage.get_expiry(key) - time.time()))


def wait_seconds(username: str) -> int:
    """How long this browser must wait before trying `username`'s password again (0: now)."""
    return _remaining(_keys(username, device_of(username))[1])


def record_failure(username: str) -> int:
    """Count a wrong password; returns the wait it sets for the next try (0: none yet)."""
    failures_key, wait_key = _keys(username, device_of(username))
    storage = limiter.storage
    failures = storage.incr(failures_key, FAILURE_MEMORY_SECONDS)
    free = _config("TRACKER_LOGIN_FREE_FAILURES", 5)
    if failures <= free:
        return 0
    first = _config("TRACKER_LOGIN_DELAY_SECONDS", 30)
    longest = _config("TRACKER_LOGIN_MAX_DELAY_SECONDS", 900)
    delay = min(longest, first * 2 ** min(failures - free - 1, 30))
    storage.clear(wait_key)
    storage.incr(wait_key, delay)
    return delay


def record_success(username: str) -> None:
    """The password was right: this browser's count (or the account's, for a browser the
    account never used) starts again."""
    failures_key, wait_key = _keys(username, device_of(username))
    limiter.storage.clear(failures_key)
    limiter.storage.clear(wait_key)


def remember_device(response: Any, username: str) -> None:
    """After a complete login, mark this browser as one `username` uses."""
    devices = _devices()
    account = _account(username)
    devices.pop(account, None)
    devices[account] = secrets.token_urlsafe(16)
    # The most recent accounts only: a shared computer does not grow the cookie forever.
    kept = dict(list(devices.items())[-MAX_DEVICE_ACCOUNTS:])
    config = current_app.config
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(kept),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite=config.get("SESSION_COOKIE_SAMESITE") or "Lax",
    )
