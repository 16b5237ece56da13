"""The hot path: ``GET /public/model_hub`` served from cached bytes without FastAPI routing.

Only the plain, valid request takes this path: ``provider`` (a valid name) and
``available=true`` are the only query parameters it accepts, and it never answers an
error itself. Anything else (other parameters, a key to check, an error) falls through
to the FastAPI route, which stays the one source of truth for validation and problems.
It is installed by ``create_app`` only; a gateway that mounts the hub with its own auth
dependencies always goes through FastAPI, so its auth always runs.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from hub_core.api.accept_encoding import choose_coding
from hub_core.api.compression import codings
from hub_core.api.conditional import etag_matches, joined
from hub_core.api.public import PROVIDER_NAME, send_sliced
from hub_core.errors import HubError
from hub_core.hub import Hub
from hub_core.metrics import HubMetrics

PATH = "/public/model_hub"
METHODS = ("GET", "HEAD")  # HEAD: the same headers, no body
_VALID_PROVIDER = re.compile(PROVIDER_NAME)
_GZIP_CACHE = 64  # compressed bodies kept, keyed by their identity ETag (one per provider/filter)


class ModelHubFastPath:
    def __init__(
        self,
        app: ASGIApp,
        hub: Hub,
        *,
        enabled: bool = True,
        metrics: HubMetrics | None = None,
        gzip_min_bytes: int = 1024,
    ) -> None:
        self.app = app
        self.gzip_min_bytes = gzip_min_bytes
        self._encoded: dict[tuple[str, str], bytes] = {}  # (identity ETag, coding) -> body: once per refresh
        # In order of preference, for a tie in the client's q-values: br first when installed.
        self._codings: dict[str, Callable[[bytes], bytes]] = codings()
        self.hub = hub
        self.enabled = enabled
        self.metrics = metrics  # told about the answers given here; the rest pass its middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.enabled and scope["type"] == "http" and scope["path"] == PATH and scope["method"] in METHODS):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        query = self._plain_query(scope["query_string"])
        if query is None:
            await self.app(scope, receive, send)
            return
        provider, available_only = query
        try:
            body, freshness = await self.hub.model_hub_body(provider, available=True if available_only else None)
        except HubError:
            await self.app(scope, receive, send)  # the route renders the problem
            return
        headers = freshness.headers()
        etag = headers.get("ETag")  # none on an answer that left a failing provider out
        headers["Vary"] = "Accept-Encoding"
        coding = choose_coding(list(self._codings), _header(scope, b"accept-encoding"))
        if coding is not None and len(body) >= self.gzip_min_bytes:
            body = await self._encode(etag, coding, self._codings[coding], body)
            headers["Content-Encoding"] = coding
            if etag is not None:  # a distinct ETag per encoding: caches never mix the bodies
                etag = headers["ETag"] = f'{etag[:-1]}-{coding}"'  # as compression.variant_etag
        if_none_match = joined(value.decode("latin-1") for key, value in scope["headers"] if key == b"if-none-match")
        fresh = etag is not None and etag_matches(if_none_match, etag)
        status = 304 if fresh else 200
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if status == 200:
            raw_headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send_sliced(send, body if status == 200 and scope["method"] == "GET" else b"")
        if self.metrics is not None:
            self.metrics.observe_request(scope["method"], PATH, status, time.perf_counter() - started)

    async def _encode(self, etag: str | None, coding: str, compress: Callable[[bytes], bytes], body: bytes) -> bytes:
        """The compressed body, made off the event loop (megabytes at large sizes) and kept per ETag."""
        cached = self._encoded.get((etag, coding)) if etag is not None else None
        if cached is None:
            cached = await asyncio.to_thread(compress, body)
            if etag is not None:
                if len(self._encoded) >= _GZIP_CACHE:
                    self._encoded.clear()
                self._encoded[(etag, coding)] = cached
        return cached

    @staticmethod
    def _plain_query(query_string: bytes) -> tuple[str | None, bool] | None:
        """(provider, available_only) for a query this path may answer, else None."""
        if not query_string:
            return None, False
        provider, available_only = None, False
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if name == "provider" and provider is None and _VALID_PROVIDER.match(value):
                provider = value
            elif name == "available" and not available_only and value == "true":
                available_only = True
            else:
                return None
        return provider, available_only


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
