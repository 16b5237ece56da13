"""problem+json responses (RFC 9457) for every error the hub returns."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_core.api.bodies import RequestTooLargeError, too_large_problem
from hub_core.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, HubError

logger = logging.getLogger("hub_core.api")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def problem_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem+json bodies for these statuses, in this order.

    The one place the hub's routes, its guards and plugins' ``provider_routes`` document their
    errors: ``APIRouter(responses=problem_responses({404: "No such thing"}))``.
    """
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


class HubRoutes:
    """Which routes of an app are the hub's: by endpoint, with each one's template as if the API
    were mounted at ``/public`` (what the key check and the page go by)."""

    def __init__(self) -> None:
        self.templates: dict[Callable[..., Any], str] = {}

    def add(self, endpoint: Callable[..., Any], template: str) -> None:
        self.templates.setdefault(endpoint, template)

    def template(self, request: Request) -> str | None:
        """The matched hub route's template, or None when no hub route matched."""
        endpoint = getattr(request.scope.get("route"), "endpoint", None)
        return None if endpoint is None else self.templates.get(endpoint)

    def matched(self, request: Request) -> bool:
        return self.template(request) is not None


IN_HUB_CODE = "hub_core.in_hub_code"
"""Scope key set once the host's dependencies have passed: what fails after it is the hub's fault."""
HOST_HANDLERS = "hub_core.host_handlers"
"""Scope key: the host app's exception handlers, when the hub runs as a sub-app mounted in it."""


async def entered_hub_code(request: Request) -> None:
    """The last router-level dependency of every hub API route (see ``IN_HUB_CODE``)."""
    request.scope[IN_HUB_CODE] = True


def install_problem_handlers(app: FastAPI, *, own_app: bool = True, routes: HubRoutes | None = None) -> None:
    """problem+json for the hub's errors.

    In the hub's own app every error becomes problem+json. Mounted in a host app, only requests
    that a hub route matched do; everything else (the host's routes, its 404s, its own exception
    classes) keeps the host's handlers, and only a failure inside hub code becomes a hub 500.
    """
    app.add_exception_handler(HubError, hub_error_handler)
    ours: dict[type[Exception], Handler] = {
        RequestValidationError: validation_error_handler,
        StarletteHTTPException: http_error_handler,
    }
    if own_app:
        for kind, handler in ours.items():
            app.add_exception_handler(kind, handler)
        app.add_exception_handler(Exception, unexpected_error_handler)
        return
    known = routes or HubRoutes()
    for kind, handler in ours.items():
        app.add_exception_handler(kind, _for_hub_routes(known, handler, app.exception_handlers.get(kind)))
    app.add_exception_handler(Exception, _for_hub_code(app.exception_handlers.get(Exception)))
    app.add_middleware(HostHandlersMiddleware)


def _for_hub_routes(routes: HubRoutes, handler: Handler, previous: Any) -> Handler:
    async def dispatch(request: Request, exc: Exception) -> Response:
        if routes.matched(request):
            return await handler(request, exc)
        host = _host_handler(request, exc)
        if host is not None:
            return await _call(host, request, exc)
        if previous is None:
            return await _host_default(request, exc)
        return await _call(previous, request, exc)

    return dispatch


def _for_hub_code(previous: Any) -> Handler:
    """The catch-all: a hub 500 only for a failure inside hub code, else what the host would do."""

    async def dispatch(request: Request, exc: Exception) -> Response:
        if request.scope.get(IN_HUB_CODE):
            return await unexpected_error_handler(request, exc)
        if previous is not None:
            return await _call(previous, request, exc)
        return PlainTextResponse("Internal Server Error", status_code=500)  # Starlette's own answer

    return dispatch


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]


def _host_handler(request: Request, exc: Exception) -> Any:
    """The host app's handler for ``exc``, when the hub runs as a sub-app inside it."""
    found = request.scope.get(HOST_HANDLERS)
    if found is None:
        return None
    exception_handlers, status_handlers = found
    if isinstance(exc, StarletteHTTPException) and exc.status_code in status_handlers:
        return status_handlers[exc.status_code]
    for kind in type(exc).__mro__:
        if kind in exception_handlers:
            return exception_handlers[kind]
    return None


class HostHandlersMiddleware:
    """Inside a host app's mount, hand the host's exceptions back to the host's own handlers.

    A sub-app answers every exception it has no handler for with a 500 of its own, before the
    host's handlers could see it. This notes the host's handlers (which the host's exception
    middleware put in the scope) and, for an exception raised outside hub code, such as the
    host's auth dependency raising its own exception class, answers with the host's handler.
    At the top of an app (no host) it passes every request straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = scope.get("starlette.exception_handlers") if scope["type"] == "http" else None
        if host is None or HOST_HANDLERS in scope:
            await self.app(scope, receive, send)
            return
        scope[HOST_HANDLERS] = host
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except Exception as exc:
            request = Request(scope, receive)
            handler = None if started or scope.get(IN_HUB_CODE) else _host_handler(request, exc)
            if handler is None:
                raise
            response = await _call(handler, request, exc)
            await response(scope, receive, sender)


async def _host_default(request: Request, exc: Exception) -> Response:
    """What FastAPI would have answered on a host route without our handlers."""
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler

    if isinstance(exc, RequestValidationError):
        return await request_validation_exception_handler(request, exc)
    if isinstance(exc, StarletteHTTPException):
        return await http_exception_handler(request, exc)
    raise exc
