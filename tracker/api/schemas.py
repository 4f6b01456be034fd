"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the API's requests and responses."""

from __future__ import annotations

from typing import Any

from tracker.tasks.models import ExtensionStatus, Status, Timeliness
from tracker.tasks.operations import MAX_NOTE_CHARS


def ref(name: str) -> dict[str, str]:
    """A reference to a schema in components/schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


DATE = {"type": "string", "format": "date", "examples": ["2017-04-20"]}
DATETIME = {"type": "string", "format": "date-time", "examples": ["2017-04-10T02:00:00Z"]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_TASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "meeting_id": {"type": "integer"},
    "content": {"type": "string"},
    "lead_unit": ref("UnitRef"),
    "coordinating_units": {"type": "array", "items": ref("UnitRef")},
    "deadline": _nullable(DATE),
    "original_deadline": _nullable(DATE),
    "status": ref("Status"),
    "timeliness": {
        "description": "Timeliness class today; null for paused and cancelled tasks.",
        "anyOf": [ref("Timeliness"), {"type": "null"}],
    },
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "version": {
        "type": "integer",
        "description": "Send it back with a change; a changed task answers 409.",
    },
    "updated_at": DATETIME,
}

_EXTENSION_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "task_id": {"type": "integer"},
    "status": {"type": "string", "enum": [s.value for s in ExtensionStatus]},
    "requested_by": _nullable(ref("UserRef")),
    "requested_at": DATETIME,
    "old_deadline": _nullable(DATE),
    "requested_deadline": DATE,
    "reason": {"type": "string"},
    "decided_by": _nullable(ref("UserRef")),
    "decided_at": _nullable(DATETIME),
    "approved_deadline": _nullable(DATE),
    "decision_comment": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "Status": {
        "type": "string",
        "enum": [s.value for s in Status],
        "description": "new, in_progress, submitted (waiting for confirmation), done, "
        "returned (to be redone), paused, cancelled.",
    },
    "Timeliness": {"type": "string", "enum": [t.value for t in Timeliness]},
    "UnitRef": _object({"id": {"type": "integer"}, "name": {"type": "string"}}),
    "UserRef": _object({"id": {"type": "integer"}, "full_name": {"type": "string"}}),
    "Task": _object(_TASK_PROPERTIES),
    "TaskEvent": _object(
        {
            "id": {"type": "integer"},
            "kind": {
                "type": "string",
                "enum": [
                    "created",
                    "changed",
                    "progress",
                    "status",
                    "comment",
                    "extension_requested",
                    "extension_decided",
                ],
            },
            "actor": _nullable(ref("UserRef")),
            "created_at": DATETIME,
            "field": {"type": ["string", "null"]},
            "old_value": {"type": ["string", "null"]},
            "new_value": {"type": ["string", "null"]},
            "note": {"type": "string"},
            "progress": {"type": ["integer", "null"]},
        }
    ),
    "ExtensionRequest": _object(_EXTENSION_PROPERTIES),
    "TaskDetail": _object(
        {
            **_TASK_PROPERTIES,
            "completed_on": _nullable(DATE),
            "result": {"type": "string"},
            "extension_count": {"type": "integer", "minimum": 0},
            "history": {"type": "array", "items": ref("TaskEvent")},
            "extension_requests": {"type": "array", "items": ref("ExtensionRequest")},
            # The parts the lead unit's head gave its officers (tracker/subtasks/api.py).
            "subtasks": {"type": "array", "items": ref("Subtask")},
        }
    ),
    "ExtensionRequestWithTask": _object({**_EXTENSION_PROPERTIES, "task": ref("Task")}),
    "TaskPage": _object(
        {
            "items": {"type": "array", "items": ref("Task")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 0},
        }
    ),
    "DecisionItem": _object(
        {
            "kind": {
                "type": "string",
                "enum": ["result", "extension"],
                "description": "result: a result submitted for confirmation (confirm or "
                "return it); extension: an extension request to approve or refuse.",
            },
            "since": {**DATETIME, "description": "When it was submitted or asked for."},
            "resubmitted": {
                "type": "boolean",
                "description": "A result submitted again after it was returned.",
            },
            "task": ref("Task"),
            "extension": _nullable(ref("ExtensionRequest")),
        }
    ),
    "DecisionQueue": _object(
        {
            "items": {"type": "array", "items": ref("DecisionItem")},
            "total": {"type": "integer", "minimum": 0},
        }
    ),
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "What went wrong, for people."},
            "message": {"type": "string"},
            "errors": ref("FieldErrors"),
        },
        "required": ["error"],
        "additionalProperties": False,
    },
    "FieldErrors": {
        "type": "object",
        "description": "One message per bad field (or `body` when the body is not a JSON object).",
        "additionalProperties": {"type": "string"},
        "minProperties": 1,
    },
    "ValidationError": _object(
        {"error": {"type": "string"}, "errors": ref("FieldErrors")}, ["error", "errors"]
    ),
    "Conflict": _object(
        {
            "error": {"type": "string"},
            "changed_by": {"type": ["string", "null"]},
            "changed_at": _nullable(DATETIME),
            "current_version": {"type": "integer"},
            "status": {
                "type": "string",
                "description": "For a request already decided: its status.",
            },
        },
        ["error", "changed_by", "changed_at", "current_version"],
    ),
    "ProgressUpdate": _object(
        {
            "status": {
                "type": "string",
                "enum": [Status.IN_PROGRESS.value, Status.SUBMITTED.value],
                "description": "in_progress to start, submitted to report the task done "
                "(the chair or the office confirms it).",
            },
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "note": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE_CHARS},
            "version": {"type": "integer"},
        },
        ["note", "version"],
    ),
    "ExtensionRequestInput": _object(
        {
            "new_deadline": DATE,
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE_CHARS},
            "version": {"type": "integer"},
        },
        ["new_deadline", "reason"],
    ),
    "ExtensionDecisionInput": _object(
        {
            "approve": {"type": "boolean"},
            "deadline": {
                **DATE,
                "description": "When approving: another deadline than the one requested.",
            },
            "comment": {
                "type": "string",
                "maxLength": MAX_NOTE_CHARS,
                "description": "Required when refusing.",
            },
        },
        ["approve"],
    ),
}
