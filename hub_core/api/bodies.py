"""Request bodies are bounded before they are read, and parsed only after the route's guards ran.

``RequestBodyLimit`` (ASGI) answers 413 for a declared ``Content-Length`` over the limit
without reading a byte, and stops a chunked body as soon as it passes the limit.
``json_body`` is for routes that take a body: declare no ``Body()`` parameter (FastAPI reads
and parses those before any dependency runs, so before auth and opt-in checks), take the
``Request`` and call ``json_body`` in the handler, after the dependencies said yes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_core.errors import PROBLEM_BASE

T = TypeVar("T")
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
TOO_LARGE_SLUG = "request-too-large"


class RequestTooLargeError(StarletteHTTPException):
    """413: the body is over the limit. An HTTPException, so FastAPI's body reading passes it on."""

    def __init__(self, limit: int, setting: str | None = "HUB_MAX_REQUEST_BYTES") -> None:
        where = f" (set by {setting})" if setting else ""
        super().__init__(
            status_code=413,
            detail=f"The request body is larger than this route accepts: at most {limit:,} bytes{where}.",
        )
        self.limit = limit


def too_large_problem(path: str, error: RequestTooLargeError) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + TOO_LARGE_SLUG,
        "title": "Request body too large",
        "status": 413,
        "detail": error.detail,
        "instance": path,
        "limit": error.limit,
    }


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _path_in_app(scope: Scope) -> str:
    """The request path without a mount's ``root_path`` (as Starlette's routing reads it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


class RequestBodyLimit:
    """ASGI guard: no request body larger than ``max_bytes`` reaches the app.

    ``only`` limits it to some paths (the hub's, when mounted in a host app).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, only: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.only = only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The path within this app (without a mount's root_path), so a sub-app's paths match too.
        if scope["type"] != "http" or (self.only is not None and not self.only(_path_in_app(scope))):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, RequestTooLargeError(self.max_bytes))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLargeError as error:
            if started:
                raise
            await self._refuse(scope, send, error)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, error: RequestTooLargeError) -> None:
        from hub_core.api.problems import problem_response

        response = problem_response(too_large_problem(scope["path"], error), {"Connection": "close"})
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, read only up to ``max_bytes`` (413 past that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise RequestTooLargeError(max_bytes, setting=None)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestTooLargeError(max_bytes, setting=None)
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, schema: type[T] | TypeAdapter[T], *, max_bytes: int) -> T:
    """The body, at most ``max_bytes``, parsed as JSON and validated against ``schema``.

    Errors are the hub's 413 and 400 problems (``invalid-parameter``, listing a few fields,
    never the values sent).
    """
    media_type = request.headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestValidationError(
            [{"type": "content_type", "loc": ("body",), "msg": "Send the body as application/json"}]
        )
    raw = await read_body(request, max_bytes)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error"}]
        ) from None
    adapter: TypeAdapter[T] = schema if isinstance(schema, TypeAdapter) else TypeAdapter(schema)
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def body_schema(*models: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON request body of one of ``models`` (for a Request-taking route)."""
    schemas = [model.model_json_schema() for model in models]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
