"""The "Chờ quyết định" page and the navigation's count of decisions waiting."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template
from flask_login import current_user, login_required

from tracker.core.permissions import can_see_decisions
from tracker.decisions.queue import QUEUE_LIMIT, waiting_count, waiting_items
from tracker.extensions import db

bp = Blueprint("decisions", __name__)


@bp.route("/decisions/")
@login_required
def queue() -> Any:
    if not can_see_decisions(current_user):
        abort(403)
    items = waiting_items(current_user)
    return render_template("decisions/queue.html", items=items, limit=QUEUE_LIMIT)


def init_app(app: Flask) -> None:
    """Register the blueprint and the navigation's count."""
    app.register_blueprint(bp)

    @app.context_processor
    def decisions_waiting() -> dict[str, Any]:
        if not can_see_decisions(current_user):
            return {}
        try:
            return {"may_see_decisions": True, "decisions_waiting": waiting_count(current_user)}
        except Exception:  # a header badge must never break a page
            db.session.rollback()
            return {"may_see_decisions": True, "decisions_waiting": 0}
