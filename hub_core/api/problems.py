"""problem+json responses (RFC 9457) for every error the hub returns."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hub_core.api.bodies import RequestTooLargeError, too_large_problem
from hub_core.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, HubError

logger = logging.getLogger("hub_core.api")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def problem_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem+json bodies for these statuses."""
    return {
        status: {"description": text, "content": {PROBLEM_MEDIA_TYPE: {"schema": {"type": "object"}}}}
        for status, text in descriptions.items()
    }


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=int(body["status"]), media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def hub_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    return problem_response(exc.problem(instance=request.url.path), exc.headers)


# A problem lists at most this many errors: a body of 100,000 bad fields must not become a
# 50 MB answer. ``error_count`` says how many there were.
MAX_LISTED_ERRORS = 5
MAX_LOC_PARTS = 8
MAX_LOC_PART = 64
MAX_MESSAGE = 200


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listed(error: Any) -> dict[str, Any]:
    loc = error.get("loc", ()) if isinstance(error, dict) else ()
    parts = [_short(str(part), MAX_LOC_PART) for part in list(loc)[:MAX_LOC_PARTS]]
    return {
        "loc": parts,
        "msg": _short(str(error.get("msg", "")), MAX_MESSAGE) if isinstance(error, dict) else "",
        "type": _short(str(error.get("type", "")), MAX_LOC_PART) if isinstance(error, dict) else "",
    }


def _names(errors: list[dict[str, Any]], total: int) -> str:
    if any(e["type"] == "json_invalid" for e in errors):
        return "the request body (it is not valid JSON)"
    names = list(dict.fromkeys(".".join(e["loc"][1:] or e["loc"]) for e in errors))
    text = ", ".join(names) or "the request"
    return f"{text} and {total - len(errors):,} more" if total > len(errors) else text


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Name the parameters and what is wrong; never echo the submitted values. At most a few.
    raw = exc.errors()
    errors = [_listed(error) for error in list(raw[:MAX_LISTED_ERRORS])]
    body = {
        "type": PROBLEM_BASE + "invalid-parameter",
        "title": "Invalid request parameter",
        "status": 400,
        "detail": f"Invalid value for {_names(errors, len(raw))}.",
        "instance": request.url.path,
        "errors": errors,
        "error_count": len(raw),
    }
    return problem_response(body)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, RequestTooLargeError):
        return problem_response(too_large_problem(request.url.path, exc), {"Connection": "close"})
    slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
        exc.status_code, "http-error"
    )
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
    body = {
        "type": PROBLEM_BASE + slug,
        "title": detail if exc.status_code != 404 else "Not found",
        "status": exc.status_code,
        "detail": detail,
        "instance": request.url.path,
    }
    return problem_response(body, dict(exc.headers or {}))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("Unexpected error on %s", request.url.path)
    body = {
        "type": PROBLEM_BASE + "internal",
        "title": "Internal error",
        "status": 500,
        "detail": "The hub hit an unexpected error; it has been logged.",
        "instance": request.url.path,
    }
    return problem_response(body)


def is_hub_path(path: str) -> bool:
    return path.startswith("/public/") or path == "/hub" or path.startswith("/hub/")


def install_problem_handlers(app: FastAPI, *, own_app: bool = True) -> None:
    """problem+json for the hub's errors.

    In the hub's own app every error becomes problem+json. Mounted in a host app, only
    requests to the hub's paths do; the host's other routes keep the host's handlers.
    """
    app.add_exception_handler(HubError, hub_error_handler)
    ours: dict[type[Exception], Handler] = {
        RequestValidationError: validation_error_handler,
        StarletteHTTPException: http_error_handler,
        Exception: unexpected_error_handler,
    }
    for kind, handler in ours.items():
        if own_app:
            app.add_exception_handler(kind, handler)
        else:
            app.add_exception_handler(kind, _for_hub_paths(handler, app.exception_handlers.get(kind)))


def _for_hub_paths(handler: Handler, previous: Any) -> Handler:
    async def dispatch(request: Request, exc: Exception) -> Response:
        if is_hub_path(request.url.path):
            return await handler(request, exc)
        if previous is None:
            return await _host_default(request, exc)
        result = previous(request, exc)
        return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]

    return dispatch


async def _host_default(request: Request, exc: Exception) -> Response:
    """What FastAPI would have answered on a host route without our handlers."""
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    if isinstance(exc, RequestValidationError):
        return await request_validation_exception_handler(request, exc)
    if isinstance(exc, StarletteHTTPException):
        return await http_exception_handler(request, exc)
    raise exc
