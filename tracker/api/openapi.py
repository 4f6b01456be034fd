"""The OpenAPI 3.1 document of /api/v1, with the paths other domains add.

A domain adds endpoints to the document by defining, in `tracker/<domain>/api.py`,
`OPENAPI_PATHS` (path -> path item) and `OPENAPI_SCHEMAS` (name -> JSON Schema); they may
refer to the shared components: schemas `Error`, `ValidationError`, `UnitRef`, `UserRef`,
`Task`, and responses `Unauthorized`, `Forbidden`, `NotFound`, `ValidationFailed`.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
from typing import Any

from tracker.api.schemas import SCHEMAS, ref
from tracker.core.limits import MAX_ID
from tracker.tasks.models import STATUS_VALUES

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _response(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


RESPONSES: dict[str, Any] = {
    "Unauthorized": {
        **_json(ref("Error"), "No token, or an invalid, revoked or deactivated user's token."),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "Forbidden": _json(ref("Error"), "The user sees the task but may not do this with it."),
    "NotFound": _json(ref("Error"), "No such object, or the user may not see it."),
    "ValidationFailed": _json(
        ref("ValidationError"),
        "Bad input: one message per field; nothing was changed.",
    ),
    "Conflict": _json(
        ref("Conflict"),
        "The task changed since the client read it (stale `version`), or the extension "
        "request is already decided; nothing was changed. The body says who changed it, "
        "when, and the current version.",
    ),
    "TooLarge": _json(ref("Error"), "The request body is larger than the server accepts."),
    "ServerError": _json(ref("Error"), "An unexpected error; nothing was changed."),
}

_COMMON = {"401": _response("Unauthorized"), "500": _response("ServerError")}
_WRITE = {
    **_COMMON,
    "403": _response("Forbidden"),
    "404": _response("NotFound"),
    "409": _response("Conflict"),
    "413": _response("TooLarge"),
    "422": _response("ValidationFailed"),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
        "description": description,
    }


def _body(schema_name: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {JSON: {"schema": ref(schema_name), "example": example}},
    }


_LANG = _query(
    "lang",
    {"type": "string", "enum": ["vi", "en"]},
    "Language of the messages (Vietnamese by default, else the user's saved language). Other "
    "query parameters than the documented ones are refused (422).",
)

# One status or several, comma-separated: what the list endpoint accepts.
# Sorted: a frozenset joins in a different order in each process, and the document should not change.
_STATUS_ONE = "(?:" + "|".join(sorted(STATUS_VALUES)) + ")"
_STATUS_LIST = f"^(?:{_STATUS_ONE}(?:,{_STATUS_ONE})*)?$"

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "parameters": [_LANG],
            "responses": {
                "200": _json({"type": "object"}, "The OpenAPI 3.1 document."),
                "422": _response("ValidationFailed"),
                "500": _response("ServerError"),
            },
        }
    },
    "/api/v1/tasks": {
        "get": {
            "operationId": "listTasks",
            "summary": "Tasks the user may see",
            "description": "Sorted by deadline (tasks without one last), then id. A unit "
            "member sees the tasks their unit leads or coordinates; chair, office and admin "
            "see all.",
            "parameters": [
                _LANG,
                _query(
                    "unit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only tasks of this unit.",
                ),
                _query(
                    "role",
                    {"type": "string", "enum": ["lead", "coordinating"]},
                    "Tasks the unit leads (chủ trì) or coordinates (phối hợp): the unit given "
                    "in `unit`, or without `unit` the caller's own unit (a caller without a "
                    "unit gets an empty list). With `unit` and no `role`: the tasks it leads. "
                    "Without both: every task the caller may see.",
                ),
                _query(
                    "status",
                    {"type": "string", "pattern": _STATUS_LIST},
                    "One status or several separated by commas, e.g. `new,in_progress`.",
                ),
                _query("timeliness", ref("Timeliness"), "Timeliness class today."),
                _query(
                    "meeting",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Tasks of this meeting.",
                ),
                _query(
                    "due_before",
                    {"type": "string", "format": "date"},
                    "Deadline on or before this date (YYYY-MM-DD).",
                ),
                _query(
                    "assignee",
                    {"type": "string", "enum": ["me"]},
                    "`me`: only tasks with a part (sub-task) given to the user or to their "
                    "unit as a child unit: an officer's own work.",
                ),
                _query(
                    "q",
                    {"type": "string", "maxLength": 200},
                    "Words in the content, diacritics ignored (`noi vu` finds `Nội vụ`).",
                ),
                _query(
                    "page",
                    {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
                    "Page number.",
                ),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    "Tasks per page.",
                ),
            ],
            "responses": {
                "200": _json(
                    ref("TaskPage"), "One page of tasks; a page past the last one is empty."
                ),
                "422": _response("ValidationFailed"),
                **_COMMON,
            },
        }
    },
    "/api/v1/decisions": {
        "get": {
            "operationId": "listDecisions",
            "summary": "Decisions waiting for the chair or the office",
            "description": "Results submitted for confirmation (also those submitted again "
            "after a return) and pending extension requests, oldest first: the "
            "“Chờ quyết định” page. Never the caller's own unit's tasks nor their own "
            "requests (nobody decides their own). Chair and office only; others get 403. At "
            "most 200 items.",
            "parameters": [_LANG],
            "responses": {
                "200": _json(ref("DecisionQueue"), "What waits, oldest first."),
                "403": _response("Forbidden"),
                "422": _response("ValidationFailed"),
                **_COMMON,
            },
        }
    },
    "/api/v1/tasks/{task_id}": {
        "get": {
            "operationId": "getTask",
            "summary": "One task with its history and extension requests",
            "parameters": [_path_id("task_id", "The task."), _LANG],
            "responses": {
                "200": _json(ref("TaskDetail"), "The task."),
                "404": _response("NotFound"),
                "422": _response("ValidationFailed"),
                **_COMMON,
            },
        }
    },
    "/api/v1/tasks/{task_id}/updates": {
        "post": {
            "operationId": "postTaskUpdate",
            "summary": "Report progress (lead unit)",
            "description": "A note, optionally the percentage done and a new status "
            "(`in_progress`, or `submitted` to report the task done). `version` is the "
            "version the client read: a task changed since answers 409.",
            "parameters": [_path_id("task_id", "The task."), _LANG],
            "requestBody": _body(
                "ProgressUpdate",
                {"progress": 60, "note": "Đã hoàn thành dự thảo kế hoạch", "version": 1},
            ),
            "responses": {"200": _json(ref("TaskDetail"), "The task as it is now."), **_WRITE},
        }
    },
    "/api/v1/tasks/{task_id}/extension-requests": {
        "post": {
            "operationId": "postExtensionRequest",
            "summary": "Request a later deadline (lead unit)",
            "parameters": [_path_id("task_id", "The task."), _LANG],
            "requestBody": _body(
                "ExtensionRequestInput",
                {"new_deadline": "2017-05-15", "reason": "Chờ số liệu của các xã"},
            ),
            "responses": {
                "201": _json(ref("ExtensionRequestWithTask"), "The request, pending."),
                **_WRITE,
            },
        }
    },
    "/api/v1/extension-requests/{request_id}/decision": {
        "post": {
            "operationId": "postExtensionDecision",
            "summary": "Approve or refuse an extension request (chair, office)",
            "description": "409 when the request was already decided.",
            "parameters": [_path_id("request_id", "The extension request."), _LANG],
            "requestBody": _body(
                "ExtensionDecisionInput", {"approve": True, "comment": "Đồng ý gia hạn"}
            ),
            "responses": {
                "200": _json(ref("ExtensionRequestWithTask"), "The decided request."),
                **_WRITE,
            },
        }
    },
}


def _domain_contributions() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(paths, schemas) from each domain's `api` module, in the order of tracker.DOMAINS."""
    from tracker import DOMAINS

    found = []
    for domain in DOMAINS:
        if domain == "api":
            continue
        name = f"tracker.{domain}.api"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        found.append(
            (
                dict(getattr(module, "OPENAPI_PATHS", {})),
                dict(getattr(module, "OPENAPI_SCHEMAS", {})),
            )
        )
    return found


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document: this API's paths plus every domain's."""
    paths = copy.deepcopy(PATHS)
    schemas = copy.deepcopy(SCHEMAS)
    for extra_paths, extra_schemas in _domain_contributions():
        for path, item in extra_paths.items():
            paths.setdefault(path, {}).update(copy.deepcopy(item))
        schemas.update(copy.deepcopy(extra_schemas))
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Tracker API",
            "version": "1",
            "description": "Tasks assigned by meetings' conclusions: list and read them, report "
            "progress, request and decide extensions. Every error body is JSON with an "
            "`error` message; bad input answers 422 with one message per field.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token printed by `tracker users token USERNAME`.",
                }
            },
            "schemas": schemas,
            "responses": copy.deepcopy(RESPONSES),
        },
    }
