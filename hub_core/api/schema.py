"""Keep the standalone app's OpenAPI schema honest about errors.

FastAPI documents a ``422`` with its ``HTTPValidationError`` body on every route that takes
parameters, but the hub answers invalid input with ``400`` problem+json (see
``problems.validation_error_handler``), which each hub route declares. This drops the 422s
that can never happen, so schema-driven clients and fuzzers (schemathesis) see the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_REF = "#/components/schemas/HTTPValidationError"


def _is_default_422(response: Any) -> bool:
    content = response.get("content", {}) if isinstance(response, dict) else {}
    schema = content.get("application/json", {}).get("schema", {})
    return isinstance(schema, dict) and schema.get("$ref") == _REF


def drop_unused_validation_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Remove FastAPI's default 422 from every operation, and its schemas once unused (in place)."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if isinstance(responses, dict) and _is_default_422(responses.get("422")):
                del responses["422"]
    components = schema.get("components", {}).get("schemas", {})
    text = repr(schema.get("paths", {}))
    if "HTTPValidationError" not in text:
        for name in VALIDATION_SCHEMAS:
            components.pop(name, None)
    return schema


def install_honest_openapi(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the generated schema goes through ``drop_unused_validation_responses``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = drop_unused_validation_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
