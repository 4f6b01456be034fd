"""The JSON API (/api/v1) with bearer tokens and its OpenAPI description."""
