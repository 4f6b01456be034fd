"""The OpenAPI document: well-formed, complete, merged with other domains; errors are JSON."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from tests.api.openapi_check import OpenApiChecker
from tracker.api import views
from tracker.api.openapi import openapi_document
from tracker.extensions import db
from tracker.tasks.models import Task

OPERATIONS = {
    ("get", "/api/v1/tasks"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("post", "/api/v1/tasks/{task_id}/updates"),
    ("post", "/api/v1/tasks/{task_id}/extension-requests"),
    ("post", "/api/v1/extension-requests/{request_id}/decision"),
    ("get", "/api/v1/openapi.json"),
}


def _walk_refs(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item)


def test_document_is_served_without_token(api) -> None:
    response = api(None).get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]


def test_document_is_complete_and_well_formed(app) -> None:
    document = openapi_document()
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert operations >= OPERATIONS
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for pointer in _walk_refs(document):
        target = document
        for part in pointer.removeprefix("#/").split("/"):
            target = target[part]  # KeyError: a dangling $ref
    checker = OpenApiChecker(document)
    for method, path in OPERATIONS:
        operation = document["paths"][path][method]
        codes = set(operation["responses"])
        assert {"401", "500"} <= codes or path.endswith("openapi.json")
        if method == "post":
            assert {"200", "201"} & codes and {"403", "404", "409", "422"} <= codes
            body = operation["requestBody"]["content"]["application/json"]
            # The examples in the document are themselves valid requests.
            schema = {"$ref": "urn:tracker:openapi" + body["schema"]["$ref"]}
            checker.validator(schema).validate(body["example"])


def test_checker_rejects_what_the_document_does_not_promise(app) -> None:
    checker = OpenApiChecker(openapi_document())
    with pytest.raises(jsonschema.ValidationError):
        checker.check("GET", "/api/v1/tasks/1", 200, "application/json", {"id": 1})
    with pytest.raises(jsonschema.ValidationError):
        checker.check("GET", "/api/v1/tasks", 422, "application/json", {"error": "x"})
    with pytest.raises(AssertionError):
        checker.check("GET", "/api/v1/tasks/1", 418, "application/json", {"error": "x"})
    with pytest.raises(AssertionError):
        checker.check("GET", "/api/v1/tasks/1", 404, "text/html", {"error": "x"})


def test_other_domains_add_their_paths(app, monkeypatch) -> None:
    module = types.ModuleType("tracker.reports.api")
    module.__spec__ = importlib.machinery.ModuleSpec("tracker.reports.api", loader=None)
    module.OPENAPI_PATHS = {
        "/api/v1/reports/units": {
            "get": {
                "operationId": "unitReport",
                "responses": {
                    "200": {
                        "description": "Per-unit counts",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/UnitRow"}}
                        },
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                },
            }
        }
    }
    module.OPENAPI_SCHEMAS = {
        "UnitRow": {
            "type": "object",
            "properties": {"unit": {"$ref": "#/components/schemas/UnitRef"}},
        }
    }
    monkeypatch.setitem(sys.modules, "tracker.reports.api", module)
    document = openapi_document()
    assert "/api/v1/reports/units" in document["paths"]
    assert "UnitRow" in document["components"]["schemas"]
    assert "/api/v1/tasks" in document["paths"]
    OpenApiChecker(document).check(
        "GET",
        "/api/v1/reports/units",
        200,
        "application/json",
        {"unit": {"id": 1, "name": "Phòng Nội vụ"}},
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing", 404),
        ("GET", "/api/v2/tasks", 404),
        ("GET", "/api/v1/tasks/abc", 404),
        ("POST", "/api/v1/tasks", 405),
        ("DELETE", "/api/v1/tasks/1", 405),
        ("GET", "/api/v1/tasks/1/updates", 405),
    ],
)
def test_unknown_routes_answer_json(api, method, path, status) -> None:
    response = api("chair").request(method, path)
    assert response.status_code == status
    assert response.json["error"]


def test_unexpected_error_is_json_500_and_changes_nothing(api, world, monkeypatch) -> None:
    def broken(task, **kwargs):  # type: ignore[no-untyped-def]
        task.progress = 77
        db.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "post_progress", broken)
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates", json={"note": "x", "version": 1}
    )
    assert response.status_code == 500
    assert "boom" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, world.task.id).progress == 0


def test_oversized_body_is_json_413(app, api, world) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = api("lead").post(
        f"/api/v1/tasks/{world.task.id}/updates", json={"note": "x" * 20_000, "version": 1}
    )
    assert response.status_code == 413
    db.session.expire_all()
    assert len(db.session.get(Task, world.task.id).events) == 1
