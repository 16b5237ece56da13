"""``HEAD`` on every ``GET`` route: answered as the ``GET`` would be, headers only.

FastAPI's routes answer ``HEAD`` with 405 unless it is listed for each of them (which would
also double every operation in the OpenAPI schema). This middleware runs the ``GET`` and drops
the body, so status, ``Content-Length``, ``ETag`` and the freshness headers stay those of ``GET``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp, *, only: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.only = only  # when mounted in a gateway: the hub's own paths only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or (self.only and not self.only(scope["path"])):
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"  # in place: outer middleware (metrics) sees the matched route

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_headers_only)
