"""`tracker bench`: the exact JSON, and each request measured as the user it claims to be."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tracker.performance.commands import _get, _login

KEYS = {
    "task_list",
    "api_list",
    "dashboard",
    "dashboard_past",
    "search",
    "reminder_pass",
    "export_quarter",
    "officer_list",
    "officer_api_list",
}
FIELDS = {"p50_ms", "p95_ms", "queries", "floor_ms", "ratio"}


@pytest.mark.parametrize("backend", ["sqlite"])  # it empties the database: once is enough
def test_bench_prints_the_exact_json(app: Flask, backend: str) -> None:
    runner: FlaskCliRunner = app.test_cli_runner()
    result = runner.invoke(
        args=["bench", "--tasks", "400", "--units", "6", "--users", "30", "--json", "--force"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["tasks"] == 400 and data["database"] == "sqlite"
    assert set(data["measurements"]) == KEYS
    for name, measured in data["measurements"].items():
        assert set(measured) == FIELDS, name
        assert measured["p50_ms"] is not None and measured["p50_ms"] <= measured["p95_ms"]
        assert measured["queries"] > 0
    once = data["measurements"]["reminder_pass"]
    assert once["p50_ms"] == once["p95_ms"] and once["floor_ms"] is None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_each_request_is_made_as_its_own_user(app: Flask, backend: str) -> None:
    # The command runs inside an application context; requests must not share its `g`,
    # or the second client is served as the first one's user. (The test app forgets `g`
    # between requests by itself; the command's app does not, so that hook is taken off.)
    hooks = app.before_request_funcs[None]
    hooks[:] = [hook for hook in hooks if hook.__name__ != "_fresh_g"]
    from tracker.performance.synthetic import build_province

    build_province(200, 4, 20)
    unit = _login(app, "unit0")
    chair = _login(app, "chair0")
    assert "Unit0" in _get(unit, "/tasks/mine").get_data(as_text=True)
    page = _get(chair, "/reports/?period=2025").get_data(as_text=True)
    assert "Chair0" in page and "Unit0" not in page
