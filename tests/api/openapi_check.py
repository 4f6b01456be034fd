"""Checks responses against the API's OpenAPI document with JSON Schema 2020-12."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOC_URI = "urn:tracker:openapi"


class OpenApiChecker:
    """Finds the documented response of a request and validates the body against it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(document))
        self.routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", path) + "$"), path)
            for path in document["paths"]
        ]
        self.seen: set[tuple[str, str, str]] = set()

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A validator for `schema`, whose $refs point into the document."""
        return Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    def schema_ref(self, pointer: str) -> dict[str, str]:
        """A schema that is the document's node at `pointer` (e.g. #/components/schemas/Task)."""
        return {"$ref": DOC_URI + pointer}

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The documented template and operation serving `method path`, if any."""
        for pattern, template in self.routes:
            if pattern.match(path):
                item = self.document["paths"][template]
                if method.lower() in item:
                    return template, item[method.lower()]
        return None

    def check(self, method: str, path: str, status: int, content_type: str, body: Any) -> None:
        """Assert the response is JSON and matches what the document promises."""
        assert content_type.startswith("application/json"), (method, path, status, content_type)
        found = self.operation(method, path.split("?")[0])
        if found is None:
            # Not an API operation (unknown route or method): still an Error body.
            self.validator(self.schema_ref("#/components/schemas/Error")).validate(body)
            return
        template, operation = found
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "default"
        assert key in responses, f"{method} {template} answered {status}, not documented"
        self.seen.add((method.upper(), template, str(status)))
        response = self._resolve(responses[key])
        schema = response["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = {"$ref": DOC_URI + schema["$ref"]}
        self.validator(schema).validate(body)
