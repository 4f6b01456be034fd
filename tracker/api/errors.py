"""The JSON answers every API blueprint gives to the shared errors (403, 404, 409, 422)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_babel import gettext as _

from tracker.api.auth import api_error
from tracker.api.serializers import iso_datetime
from tracker.core.errors import StaleVersion, ValidationError
from tracker.core.permissions import NotVisible, PermissionDenied
from tracker.core.time import local_zone
from tracker.extensions import db


def conflict_body(message: str, **fields: Any) -> Any:
    """A 409 answer: the message and what the client needs to look again."""
    body = {"error": message, **fields}
    return jsonify(body), 409


def _not_visible(error: NotVisible) -> Any:
    db.session.rollback()
    return api_error(404, _("Không tìm thấy."))


def _permission_denied(error: PermissionDenied) -> Any:
    db.session.rollback()
    return api_error(403, _("Bạn không có quyền thực hiện thao tác này."))


def _invalid(error: ValidationError) -> Any:
    db.session.rollback()
    return api_error(422, _("Dữ liệu không hợp lệ."), {k: str(v) for k, v in error.errors.items()})


def stale_answer(error: StaleVersion) -> Any:
    """The 409 for a stale version: who changed the task, when, and its version now."""
    db.session.rollback()
    when = (
        error.changed_dt.astimezone(local_zone()).strftime("%H:%M %d/%m/%Y")
        if error.changed_dt
        else "?"
    )
    return conflict_body(
        _(
            "Nhiệm vụ đã được %(who)s thay đổi lúc %(when)s. Vui lòng xem lại trước khi cập nhật.",
            who=error.changed_by,
            when=when,
        ),
        changed_by=error.changed_by,
        changed_at=iso_datetime(error.changed_dt),
        current_version=error.current_version,
    )


def register_api_errors(bp: Blueprint) -> None:
    """Answer the shared errors on `bp` in JSON, the same way on every API blueprint."""
    bp.register_error_handler(NotVisible, _not_visible)
    bp.register_error_handler(PermissionDenied, _permission_denied)
    bp.register_error_handler(ValidationError, _invalid)
    bp.register_error_handler(StaleVersion, stale_answer)
