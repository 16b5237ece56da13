"""The hot path: ``GET /public/model_hub`` served from cached bytes without FastAPI routing.

Only the plain, valid request takes this path: ``provider`` (a valid name) and
``available=true`` are the only query parameters it accepts, and it never answers an
error itself. Anything else (other parameters, a key to check, an error) falls through
to the FastAPI route, which stays the one source of truth for validation and problems.
It is installed by ``create_app`` only; a gateway that mounts the hub with its own auth
dependencies always goes through FastAPI, so its auth always runs.
"""

from __future__ import annotations

import gzip
import re
import time
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from hub_core.api.public import PROVIDER_NAME, send_sliced
from hub_core.errors import HubError
from hub_core.hub import Hub
from hub_core.metrics import HubMetrics

PATH = "/public/model_hub"
METHODS = ("GET", "HEAD")  # HEAD: the same headers, no body
_VALID_PROVIDER = re.compile(PROVIDER_NAME)
_GZIP_CACHE = 64  # compressed bodies kept, keyed by their identity ETag (one per provider/filter)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """``gzip`` (or ``*``) listed in Accept-Encoding with a non-zero q."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower().removeprefix("q=").strip() if params.strip().lower().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


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
        self._gzipped: dict[str, bytes] = {}  # identity ETag -> gzip body: compressed once per refresh
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
        if len(body) >= self.gzip_min_bytes and accepts_gzip(_header(scope, b"accept-encoding")):
            body = self._gzip(etag, body)
            headers["Content-Encoding"] = "gzip"
            if etag is not None:  # a distinct ETag per encoding: caches never mix the two bodies
                etag = headers["ETag"] = etag[:-1] + '-gzip"'
        if_none_match = _header(scope, b"if-none-match")
        fresh = etag is not None and if_none_match and (etag in if_none_match or if_none_match.strip() == "*")
        status = 304 if fresh else 200
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if status == 200:
            raw_headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send_sliced(send, body if status == 200 and scope["method"] == "GET" else b"")
        if self.metrics is not None:
            self.metrics.observe_request(scope["method"], PATH, status, time.perf_counter() - started)

    def _gzip(self, etag: str | None, body: bytes) -> bytes:
        if etag is None:
            return gzip.compress(body, compresslevel=6)
        cached = self._gzipped.get(etag)
        if cached is None:
            if len(self._gzipped) >= _GZIP_CACHE:
                self._gzipped.clear()
            cached = self._gzipped[etag] = gzip.compress(body, compresslevel=6, mtime=0)
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
