"""Every API blueprint starts a request the same way (tracker.api.auth.check_api_query)."""

from __future__ import annotations

import pytest

from tracker.extensions import db


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/tasks?zzz=1"),
        ("POST", "/api/v1/tasks/1/subtasks?zzz=1"),
        ("GET", "/api/v1/reports/units?zzz=1"),
    ],
)
def test_an_unknown_parameter_after_another_request_is_a_422(api, method, path) -> None:  # type: ignore[no-untyped-def]
    # Tests (and `tracker perf`) keep one app context, so `g` outlives a request. The user the
    # previous request loaded, detached from its ended session, once answered for the locale
    # of this request's error message and made it a 500 (found by schemathesis).
    client = api("lead")
    assert client.get("/api/v1/tasks").status_code == 200
    db.session.expire_all()  # as a commit does
    db.session.remove()
    response = client.request(method, path, json={})
    assert response.status_code == 422
    assert "zzz" in response.get_json()["errors"]


def test_the_language_is_checked_on_every_api_blueprint(api) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1/tasks?lang=fr", "/api/v1/reports/units?lang=fr"):
        response = api("lead").get(path)
        assert response.status_code == 422
        assert "lang" in response.get_json()["errors"]
