"""The per-unit summary as JSON (GET /api/v1/reports/units), the unit head's per-officer view
(GET /api/v1/reports/officers), and their OpenAPI description."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from tracker.api.auth import api_error, api_user, check_api_query, token_required
from tracker.api.inputs import unknown_query_parameters
from tracker.api.serializers import unit_ref, user_ref
from tracker.auth.models import User
from tracker.core.limits import MAX_ID
from tracker.core.permissions import can_view_officer_summary
from tracker.core.time import request_today
from tracker.extensions import csrf, db
from tracker.reports.operations import ReportScope, UnknownFilter, make_scope, unit_summary
from tracker.reports.periods import Period, PeriodError, date_range, parse_period
from tracker.subtasks.operations import officer_period_summary
from tracker.units.models import Unit

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
csrf.exempt(bp)


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


class _Answer(Exception):
    """An error answer ready to return (a bad period or filter)."""

    def __init__(self, response: Any) -> None:
        super().__init__()
        self.response = response


def _period() -> Period:
    """The period asked for by `from` and `to` or by `period`; raises _Answer (422)."""
    args = request.args
    try:
        if args.get("period") and not (args.get("from") or args.get("to")):
            return parse_period(args["period"])
        errors = {
            name: _("Bắt buộc, dạng YYYY-MM-DD (hoặc dùng period=2017-Q2).")
            for name in ("from", "to")
            if not args.get(name)
        }
        if errors:
            raise _Answer(api_error(422, _("Cần có from và to, hoặc period."), errors))
        return date_range(args["from"], args["to"])
    except PeriodError as error:
        field = "period" if args.get("period") and not args.get("from") else "to"
        raise _Answer(api_error(422, str(error), {field: str(error)})) from None


def _scope(period: Period) -> ReportScope:
    """The scope of the period for the caller, with the `unit` and `meeting` filters; raises
    _Answer (422 for a bad id, 404 for a unit or meeting not theirs to know)."""
    try:
        unit_id = _int_arg("unit")
        meeting_id = _int_arg("meeting")
    except FilterError as error:
        raise _Answer(api_error(422, error.message, {error.field: error.message})) from None
    try:
        return make_scope(
            period,
            today=request_today(),
            viewer=api_user(),
            unit_id=unit_id,
            meeting_id=meeting_id,
        )
    except UnknownFilter as error:
        raise _Answer(api_error(404, error.message)) from None


def _period_json(scope: ReportScope) -> dict[str, Any]:
    period = scope.period
    return {
        "code": period.code or None,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "as_of": scope.as_of.isoformat(),
    }


@bp.get("/units")
@token_required
def units_summary() -> Any:
    """Per lead unit: tasks of the period and, of those already due, each class and rate."""
    try:
        scope = _scope(_period())
    except _Answer as answer:
        return answer.response
    summary = unit_summary(scope)
    return jsonify(
        {
            "period": _period_json(scope),
            "score_against": scope.against,
            "unit": scope.unit.id if scope.unit else None,
            "meeting": scope.meeting.id if scope.meeting else None,
            "units": [row.as_dict() for row in summary.rows],
            "total": summary.total.as_dict(),
        }
    )


OFFICER_FIGURES = ("given", "done_on_time", "done_late", "open_on_time", "open_overdue")


@bp.get("/officers")
@token_required
def officers_summary() -> Any:
    """The unit head's per-officer view: per officer (and child unit) of the head's unit, the
    parts with a deadline in the period, as they stood on the report date. Heads only."""
    user = api_user()
    if user.unit_id is None or not can_view_officer_summary(user, user.unit_id):
        return api_error(403, _("Chỉ trưởng đơn vị xem được số liệu theo cán bộ."))
    unknown = unknown_query_parameters(PARAMS - {"unit"})  # always the head's own unit
    if unknown:
        return api_error(422, _("Dữ liệu không hợp lệ."), unknown)
    try:
        scope = _scope(_period())
    except _Answer as answer:
        return answer.response
    rows = officer_period_summary(
        user.unit_id,
        scope.period.start,
        scope.period.end,
        scope.as_of,
        meeting_id=scope.meeting.id if scope.meeting else None,
    )
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_([r.assignee_id for r in rows if r.assignee_id]))
        )
    }
    units = {
        u.id: u
        for u in db.session.scalars(
            sa.select(Unit).where(Unit.id.in_([r.child_unit_id for r in rows if r.child_unit_id]))
        )
    }
    return jsonify(
        {
            "period": _period_json(scope),
            "unit": unit_ref(scope.unit),
            "meeting": scope.meeting.id if scope.meeting else None,
            "officers": [
                {
                    "assignee": user_ref(people.get(row.assignee_id)) if row.assignee_id else None,
                    "child_unit": unit_ref(units.get(row.child_unit_id))
                    if row.child_unit_id
                    else None,
                    "name": row.name,
                    **dict(zip(OFFICER_FIGURES, row.cells, strict=True)),
                }
                for row in rows
            ],
            "total": {
                name: sum(row.cells[i] for row in rows) for i, name in enumerate(OFFICER_FIGURES)
            },
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

_OFFICER_FIGURES: dict[str, Any] = {
    "given": {**_COUNT, "description": "Parts whose own deadline is in the period."},
    "done_on_time": {
        **_COUNT,
        "description": "Confirmed by the head, completed on or before as_of and by the "
        "part's deadline.",
    },
    "done_late": {
        **_COUNT,
        "description": "Confirmed, completed on or before as_of, after the part's deadline.",
    },
    "open_on_time": {
        **_COUNT,
        "description": "Not done on as_of (open, waiting for the head's confirmation, or "
        "completed after as_of), deadline on or after as_of.",
    },
    "open_overdue": {**_COUNT, "description": "Not done on as_of, deadline before it."},
}
OPENAPI_SCHEMAS["OfficerSummaryRow"] = {
    "type": "object",
    "description": "One officer, or one child unit, of the head's unit.",
    "required": ["assignee", "child_unit", "name", *_OFFICER_FIGURES],
    "properties": {
        "assignee": {
            "anyOf": [{"$ref": "#/components/schemas/UserRef"}, {"type": "null"}],
        },
        "child_unit": {
            "anyOf": [{"$ref": "#/components/schemas/UnitRef"}, {"type": "null"}],
        },
        "name": {"type": "string"},
        **_OFFICER_FIGURES,
    },
    "additionalProperties": False,
}
OPENAPI_SCHEMAS["OfficerSummary"] = {
    "type": "object",
    "required": ["period", "unit", "meeting", "officers", "total"],
    "properties": {
        "period": OPENAPI_SCHEMAS["UnitSummary"]["properties"]["period"],
        "unit": {"$ref": "#/components/schemas/UnitRef"},
        "meeting": {"type": ["integer", "null"]},
        "officers": {
            "type": "array",
            "description": "Lines with an overdue part first, then by name. Cancelled parts "
            "are not counted; parts of the period only.",
            "items": {"$ref": "#/components/schemas/OfficerSummaryRow"},
        },
        "total": {
            "type": "object",
            "required": list(_OFFICER_FIGURES),
            "properties": _OFFICER_FIGURES,
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

_DATE_PARAM = {"type": "string", "format": "date"}

# A period as both report endpoints take it: from/to, or a code.
_PERIOD_PARAMS: list[dict[str, Any]] = [
    {"name": "from", "in": "query", "schema": _DATE_PARAM, "example": "2017-04-01"},
    {"name": "to", "in": "query", "schema": _DATE_PARAM, "example": "2017-06-30"},
    {
        "name": "period",
        "in": "query",
        "description": "Instead of from/to: 2017-Q2, 2017-06, 2017-H1 or 2017.",
        "schema": {"type": "string", "pattern": r"^\d{4}(-(Q\d|H\d|\d{1,2}))?$"},
    },
]

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
                *_PERIOD_PARAMS,
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
    },
    "/api/v1/reports/officers": {
        "get": {
            "operationId": "reportOfficers",
            "summary": "The unit head's per-officer view of a period",
            "description": "For a unit head's token only (403 for anyone else): per officer "
            "and child unit of the head's unit, the parts handed down whose own deadline is in "
            "the period, as they stood on the report date as_of, the way the unit report "
            "counts tasks: a part counts as done once the head confirmed it and only if it "
            "was completed on or before as_of. Not part of the official figures.",
            "tags": ["reports"],
            "parameters": [
                *_PERIOD_PARAMS,
                {"name": "meeting", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            ],
            "responses": {
                "200": {
                    "description": "The per-officer figures.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/OfficerSummary"}
                        }
                    },
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/ValidationFailed"},
            },
        }
    },
}
