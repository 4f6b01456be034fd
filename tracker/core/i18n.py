"""Language selection: Vietnamese by default, English on request, the choice remembered."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from tracker.extensions import babel

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def select_locale() -> str:
    """The user's saved language, else the session's choice, else Vietnamese."""
    if not has_request_context():
        return "vi"  # jobs and the command line choose per recipient with force_locale
    if request.args.get("lang") in LANGUAGES:
        return request.args["lang"]
    api_user = g.get("api_user")
    if api_user is not None and api_user.locale in LANGUAGES:
        return api_user.locale
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return "vi"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the project's catalogues."""
    from tracker import ROOT

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "tracker" / "translations"),
    )
    from flask_babel import get_locale

    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
