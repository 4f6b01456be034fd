"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, jsonify, request
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.auth.operations import user_for_token
from tracker.core.time import now_utc

F = TypeVar("F", bound=Callable[..., Any])


def api_error(status: int, message: str, errors: dict[str, str] | None = None) -> Any:
    """A JSON error response: {"error": message, "errors": {field: message}}."""
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def check_api_query(known: frozenset[str]) -> Any:
    """The first step of every API request (a blueprint's before_request): forget the previous
    request's user, then a 422 for query parameters not in `known` or a language other than
    vi/en; None when the request may go on."""
    from tracker.api.inputs import unknown_query_parameters
    from tracker.core.i18n import LANGUAGES

    # See token_required: a shared `g` must not answer (even the locale) for this request.
    g.pop("api_user", None)
    unknown = unknown_query_parameters(known)
    if unknown:
        return api_error(422, _("Dữ liệu không hợp lệ."), unknown)
    if request.args.get("lang", "vi") not in LANGUAGES:
        return api_error(
            422, _("Dữ liệu không hợp lệ."), {"lang": _("Ngôn ngữ phải là vi hoặc en.")}
        )
    return None


def token_required(view: F) -> F:
    """Refuse requests without a valid `Authorization: Bearer <token>` (401); the user is in
    `g.api_user`."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        # A caller that keeps one app context around several requests (tests, `tracker perf`)
        # shares `g`: never let the previous request's user answer for this one.
        g.pop("api_user", None)
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            response, status = api_error(
                401, _("Thiếu mã truy cập (token), hoặc mã không hợp lệ hay đã bị thu hồi.")
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
            return response, status
        g.api_user = user
        g.api_request_dt = now_utc()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def api_user() -> User:
    """The user of the current API request."""
    return g.api_user
