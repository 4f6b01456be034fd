"""Meeting-conclusion task tracker: turns a meeting's conclusions into tasks and chases them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

# One folder per domain; each has views.init_app(app), and may have models.py and commands.py.
DOMAINS = (
    "auth",
    "units",
    "meetings",
    "tasks",
    "decisions",
    "calendar",
    "notices",
    "api",
    "reminders",
    "reports",
    "maintenance",
    "performance",
    "subtasks",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides the settings read from the environment."""
    from tracker.config import load_config

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(
            Path(config["INSTANCE_PATH"])
            if config and "INSTANCE_PATH" in config
            else ROOT / "instance"
        ),
    )
    from tracker.core.requests import TrackerRequest

    app.request_class = TrackerRequest
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)

    if app.config["TRACKER_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a reverse proxy the client's address and scheme come from its headers: the
        # login limits count per real address, and HTTPS turns on HSTS and secure cookies.
        count = app.config["TRACKER_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    from tracker import extensions

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(ROOT / "migrations"), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)

    from tracker import demo
    from tracker.core import database, i18n, web

    database.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    demo.init_app(app)

    import importlib

    for domain in DOMAINS:
        importlib.import_module(f"tracker.{domain}.views").init_app(app)

    # The same commands under `flask --app wsgi ...` as under `tracker ...`.
    from tracker.cli import main as tracker_cli

    for name, command in tracker_cli.commands.items():
        if name not in app.cli.commands and name not in ("run", "shell", "routes"):
            app.cli.add_command(command, name)

    logging.getLogger("tracker").setLevel(logging.INFO)
    return app
