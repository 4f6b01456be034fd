"""The per-unit summary as JSON: GET /api/v1/reports/units, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from tracker.api.auth import api_error, api_user, check_api_query, token_required
from tracker.core.time import request_today
from tracker.extensions import csrf
from tracker.reports.operations import UnknownFilter, make_scope, unit_summary
from tracker.reports.periods import PeriodError, date_range, parse_period

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
csrf.exempt(bp)


MAX_ID = 2**31 - 1  # the database's integer range


class FilterError(Exception):
    """A query argument that is not a usable id; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# The query parameters the summary reads (`lang` as every API endpoint); anything else is
# refused, as the task API does (`?perod=2017-Q2` would otherwise ask for from and to).
PARAMS = frozenset({"from", "to", "period", "unit", "meeting", "lang"})


@bp.before_request
def _refuse_unknown_query_parameters() -> Any:
    return check_api_query(PARAMS)


def _int_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise FilterError(name, _("Phải là mã số (số nguyên dương)."))
    return int(raw)


@bp.get("/units")
@token_required
def units_summary() -> Any:
    """Per lead unit: tasks of the period and, of those already due, each class and rate."""
    args = request.args
    try:
        if args.get("period") and not (args.get("from") or args.get("to")):
            period = parse_period(args["period"])
        else:
            errors = {
                name: _("Bắt buộc, dạng YYYY-MM-DD (hoặc dùng period=2017-Q2).")
                for name in ("from", "to")
                if not args.get(name)
            }
            if errors:
                return api_error(422, _("Cần có from và to, hoặc period."), errors)
            period = date_range(args["from"], args["to"])
    except PeriodError as error:
        field = "period" if args.get("period") and not args.get("from") else "to"
        return api_error(422, str(error), {field: str(error)})
    try:
        unit_id = _int_arg("unit")
        meeting_id = _int_arg("meeting")
    except FilterError as error:
        return api_error(422, error.message, {error.field: error.message})
    try:
        scope = make_scope(
            period,
            today=request_today(),
            viewer=api_user(),
            unit_id=unit_id,
            meeting_id=meeting_id,
        )
    except UnknownFilter as error:
        return api_error(404, error.message)
    summary = unit_summary(scope)
    return jsonify(
        {
            "period": {
                "code": period.code or None,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "as_of": scope.as_of.isoformat(),
            },
            "score_against": scope.against,
            "unit": scope.unit.id if scope.unit else None,
            "meeting": scope.meeting.id if scope.meeting else None,
            "units": [row.as_dict() for row in summary.rows],
            "total": summary.total.as_dict(),
        }
    )


_COUNT = {"type": "integer", "minimum": 0}
_RATE = {
    "type": ["number", "null"],
    "minimum": 0,
    "maximum": 100,
    "description": "Percent over tasks already due, one decimal; null when none is due.",
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "UnitSummaryRow": {
        "type": "object",
        "required": [
            "unit_id",
            "unit_name",
            "assigned",
            "due",
            "not_yet_due",
            "done_on_time",
            "done_late",
            "open_on_time",
            "open_overdue",
            "extended",
            "completion_rate",
            "on_time_rate",
        ],
        "properties": {
            "unit_id": {"type": ["integer", "null"], "description": "null on the total row."},
            "unit_name": {"type": "string"},
            "assigned": {
                **_COUNT,
                "description": "Tasks led by the unit whose deadline is in the period "
                "(paused and cancelled tasks left out).",
            },
            "due": {
                **_COUNT,
                "description": "Of those, tasks already due: deadline on or before as_of.",
            },
            "not_yet_due": _COUNT,
            "done_on_time": {**_COUNT, "description": "Already due, done by the deadline."},
            "done_late": {**_COUNT, "description": "Already due, done after the deadline."},
            "open_on_time": {**_COUNT, "description": "Already due, open, deadline today."},
            "open_overdue": {**_COUNT, "description": "Already due, open, deadline passed."},
            "extended": {**_COUNT, "description": "Already due, deadline extended at least once."},
            "completion_rate": _RATE,
            "on_time_rate": _RATE,
        },
    },
    "UnitSummary": {
        "type": "object",
        "required": ["period", "score_against", "units", "total"],
        "properties": {
            "period": {
                "type": "object",
                "required": ["from", "to", "as_of"],
                "properties": {
                    "code": {"type": ["string", "null"], "examples": ["2017-Q2"]},
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "as_of": {
                        "type": "string",
                        "format": "date",
                        "description": "The report date: the period's end, or today if "
                        "sooner. Every task counts as it stood on it (a task completed later "
                        "counts as open, with the deadline it had then).",
                    },
                },
            },
            "score_against": {"enum": ["current", "original"]},
            "unit": {"type": ["integer", "null"]},
            "meeting": {"type": ["integer", "null"]},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/UnitSummaryRow"}},
            "total": {"$ref": "#/components/schemas/UnitSummaryRow"},
        },
    },
}

_DATE_PARAM = {"type": "string", "format": "date"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/reports/units": {
        "get": {
            "operationId": "reportUnits",
            "summary": "Per-unit summary of a period",
            "description": "Per lead unit (chủ trì): tasks whose deadline is in the period and, "
            "of those already due, done on time, done late, open on time, open overdue, "
            "extended, with completion and on-time rates, as official reports count them. A "
            "unit member's token sees its own unit only.",
            "tags": ["reports"],
            "parameters": [
                {"name": "from", "in": "query", "schema": _DATE_PARAM, "example": "2017-04-01"},
                {"name": "to", "in": "query", "schema": _DATE_PARAM, "example": "2017-06-30"},
                {
                    "name": "period",
                    "in": "query",
                    "description": "Instead of from/to: 2017-Q2, 2017-06, 2017-H1 or 2017.",
                    "schema": {"type": "string", "pattern": r"^\d{4}(-(Q\d|H\d|\d{1,2}))?$"},
                },
                {"name": "unit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "meeting", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            ],
            "responses": {
                "200": {
                    "description": "The summary.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/UnitSummary"}}
                    },
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/ValidationFailed"},
            },
        }
    }
}
