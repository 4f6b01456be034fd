"""schemathesis against /api/v1/openapi.json with a token per role: no 500s, every response
matches the document, schema-valid reads are accepted and invalid input is refused."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import World, make_task
from tracker.extensions import db
from tracker.tasks.extensions import request_extension

ROLES = ["lead", "coord", "other", "chair", "office", "admin"]
EXAMPLES = 25
MAX_ID = 2**31 - 1
REPORTS = "/api/v1/reports/"


def _served_document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _narrowed(document: dict[str, Any], high: int) -> dict[str, Any]:
    """The document with path ids kept near the rows that exist, so that examples reach the
    code behind the 404 (hypothesis alone mostly draws ids nobody has)."""
    narrowed = copy.deepcopy(document)
    for item in narrowed["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": high}
    return narrowed


def _seed_rows(world: World) -> None:
    """More tasks and a pending extension request, so that ids 1..3 mean something."""
    make_task(world.meeting, world.office, world.taichinh, coordinating_units=[world.noivu])
    make_task(world.meeting, world.office, world.tuphap)
    request_extension(
        world.task,
        actor=world.lead_user,
        new_deadline=world.task.deadline.replace(day=28),
        reason="Chờ số liệu",
        seen_version=None,
    )
    db.session.commit()


# Schema-valid input for every role; invalid input where it reaches the validation (the lead
# unit writes progress and extension requests, the chair decides): for the other roles it
# stops at the same 404/403 as valid input does.
CASES = [(role, GenerationMode.POSITIVE) for role in ROLES] + [
    ("lead", GenerationMode.NEGATIVE),
    ("chair", GenerationMode.NEGATIVE),
]


@pytest.mark.parametrize(("role", "mode"), CASES, ids=[f"{r}-{m.value}" for r, m in CASES])
def test_api_conforms_for_every_role(
    app: Flask, world: World, role_tokens: dict[str, str], role: str, mode: GenerationMode
) -> None:
    _seed_rows(world)
    schema = schemathesis.openapi.from_dict(_narrowed(_served_document(app), 4))
    schema.app = app
    headers = {"Authorization": f"Bearer {role_tokens[role]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    _run(app, operations, headers, mode, skip_reports=True)


def _really_invalid(case: schemathesis.Case, operation: Any, components: dict[str, Any]) -> bool:
    """Whether the request `case` sends breaks the document: an undeclared query parameter, a
    query or path value its schema refuses, or a body (left to schemathesis)."""
    if not isinstance(case.body, NotSet):
        return True
    declared = {
        (p["in"], p["name"]): p.get("schema", {})
        for p in operation.definition.raw.get("parameters", [])
    }
    # A parameter whose value is an empty list is not in the request at all.
    sent = [("query", k, v) for k, v in (case.query or {}).items() if v != []]
    sent += [("path", k, v) for k, v in (case.path_parameters or {}).items()]
    for where, name, value in sent:
        if (where, name) not in declared:
            return True
        schema = {**declared[(where, name)], **components}
        try:
            if not jsonschema.Draft4Validator(schema).is_valid(value):
                return True
        except jsonschema.exceptions.RefResolutionError:  # pragma: no cover - keep the verdict
            return True
    return False


def _run(
    app: Flask,
    operations: list[Any],
    headers: dict[str, str],
    mode: GenerationMode,
    *,
    skip_reports: bool,
) -> None:
    document = _served_document(app)
    for operation in operations:
        if skip_reports and operation.path.startswith(REPORTS):
            continue  # see test_reports_api_conforms
        if not skip_reports and not operation.path.startswith(REPORTS):
            continue
        if mode is GenerationMode.NEGATIVE and operation.path == "/api/v1/openapi.json":
            continue  # no input to get wrong
        # Writes check business rules the schema cannot state (a new deadline after the
        # current one, ...) and answer 422; the reports need `from` and `to` or `period`,
        # which OpenAPI parameters cannot say. Everywhere else schema-valid input must pass.
        excluded = (
            [positive_data_acceptance]
            if operation.method.upper() in ("POST", "PATCH") or operation.path.startswith(REPORTS)
            else []
        )

        components = {"components": document.get("components", {})}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            if (
                mode is GenerationMode.NEGATIVE
                and response.status_code < 300
                and not _really_invalid(case, operation, components)  # noqa: B023
            ):
                # Schemathesis sometimes reports a mutation its request no longer carries (an
                # extra query parameter that was shrunk away, an Authorization header we add
                # back): the request sent was valid, and accepting it is right.
                return
            case.validate_response(response, headers=headers, excluded_checks=excluded)  # noqa: B023
            # Each example starts from a clean session, as a real request would.
            db.session.remove()

        check()


# What schemathesis found in tracker/reports/api.py, now fixed: `unit` / `meeting` beyond the
# database's integer range gave a 500 (OverflowError on SQLite); `meeting=false` gave a 422
# without the documented `errors` object.


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_reports_api_conforms(
    app: Flask, world: World, role_tokens: dict[str, str], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_dict(_narrowed(_served_document(app), 4))
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Bearer {role_tokens['chair']}"}
    _run(app, operations, headers, mode, skip_reports=False)


@pytest.mark.parametrize("query", ["unit=99999999999999999999", "meeting=99999999999999999999"])
def test_reports_filters_beyond_integer_range_are_refused(
    app: Flask, role_tokens: dict[str, str], query: str
) -> None:
    response = app.test_client().get(
        f"/api/v1/reports/units?period=2017-Q2&{query}",
        headers={"Authorization": f"Bearer {role_tokens['chair']}"},
    )
    assert response.status_code in (404, 422)


def test_reports_bad_filter_names_the_field(app: Flask, role_tokens: dict[str, str]) -> None:
    response = app.test_client().get(
        "/api/v1/reports/units?period=2017-Q2&meeting=false",
        headers={"Authorization": f"Bearer {role_tokens['chair']}"},
    )
    assert response.status_code == 422
    assert "meeting" in response.get_json()["errors"]


# Found by schemathesis on PostgreSQL: a NUL in a JSON string was a 500 (PostgreSQL refuses
# NUL in text), and a lone surrogate cannot be stored as UTF-8 anywhere.
def test_nul_in_json_text_is_dropped(app: Flask, world: World, role_tokens: dict[str, str]) -> None:
    response = app.test_client().post(
        f"/api/v1/tasks/{world.task.id}/extension-requests",
        json={"new_deadline": "2017-04-28", "reason": "Chờ\x00 số liệu"},
        headers={"Authorization": f"Bearer {role_tokens['lead']}"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reason"] == "Chờ số liệu"


def test_lone_surrogate_in_json_text_names_the_field(
    app: Flask, world: World, role_tokens: dict[str, str]
) -> None:
    response = app.test_client().post(
        f"/api/v1/tasks/{world.task.id}/updates",
        data='{"note": "B\\u00e1o c\\u00e1o \\ud800", "version": 1}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {role_tokens['lead']}"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"note": "Nội dung chứa ký tự không hợp lệ."}
