"""API fixtures: tokens for every role and a client that checks each response against the
OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.api.openapi_check import OpenApiChecker
from tests.factories import World
from tracker.api.openapi import openapi_document
from tracker.auth.models import ApiToken
from tracker.auth.operations import create_api_token, revoke_api_token
from tracker.extensions import db


class ApiClient:
    """A test client sending `Authorization: Bearer <token>` and validating every answer."""

    def __init__(self, app: Flask, checker: OpenApiChecker, token: str | None) -> None:
        self.client = app.test_client()
        self.checker = checker
        self.token = token

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        """Send a request; JSON bodies may be given as `json=` or raw as `data=`."""
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        self.checker.check(
            method, path, response.status_code, response.content_type, json.loads(response.data)
        )
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)


@pytest.fixture
def checker(app: Flask) -> OpenApiChecker:
    """The checker built from the document the app serves."""
    return OpenApiChecker(openapi_document())


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    """A token per role name of the world, plus a deactivated user's and a revoked one."""
    result = {name: create_api_token(user, "test") for name, user in world.people().items()}
    result["revoked"] = create_api_token(world.lead_user, "revoked")
    row = db.session.scalars(db.select(ApiToken).where(ApiToken.label == "revoked")).one()
    revoke_api_token(row)
    db.session.commit()
    return result


@pytest.fixture
def api(app: Flask, checker: OpenApiChecker, tokens: dict[str, str]):  # type: ignore[no-untyped-def]
    """`api("lead")` is a client with that role's token; `api(None)` sends none."""

    def _api(who: str | None) -> ApiClient:
        return ApiClient(app, checker, tokens[who] if who else None)

    return _api
