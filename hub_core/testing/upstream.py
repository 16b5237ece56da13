"""A fake upstream HTTP server on 127.0.0.1, for provider plugin tests.

with FakeUpstream() as upstream:
    upstream.route("GET", "/v1/models", {"data": []})
    upstream.fail("GET", "/v1/models", status=503, retry_after=7)
    upstream.override(delay=30)  # every route hangs; upstream.override() ends it
    ...  # point the plugin at upstream.url
    assert upstream.calls("GET", "/v1/models") == 1
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    """One request the fake received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What a route answers: a JSON-able body (or raw bytes), status, headers, optional delay in seconds."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request], Reply]


class FakeUpstream:
    """Routes (method, path) -> Reply or callable; records requests; start/stop as a context manager."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Reply | Handler] = {}
        self._override: tuple[int | None, float] = (None, 0.0)
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routes -------------------------------------------------------------
    def route(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        handler: Handler | None = None,
    ) -> None:
        """Answer ``method path`` with ``body`` (JSON unless bytes) or with ``handler(request)``."""
        reply: Reply | Handler = handler or Reply(body, status, dict(headers or {}), delay)
        with self._lock:
            self._routes[(method.upper(), path)] = reply

    def fail(
        self, method: str, path: str, *, status: int = 500, retry_after: int | None = None, delay: float = 0.0
    ) -> None:
        """Make ``method path`` answer an error status, optionally with Retry-After."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.route(method, path, {"error": f"injected {status}"}, status=status, headers=headers, delay=delay)

    def override(self, status: int | None = None, *, delay: float = 0.0) -> None:
        """From now on every request waits ``delay`` seconds, then gets ``status`` (an injected error
        body) or, with ``status=None``, its route's own answer. ``override()`` alone ends it."""
        with self._lock:
            self._override = (status, delay)

    def calls(self, method: str, path: str) -> int:
        """How many requests ``method path`` has received."""
        with self._lock:
            return sum(1 for r in self.requests if r.method == method.upper() and r.path == path)

    def headers_of(self, method: str, path: str) -> list[dict[str, str]]:
        """The headers of every request to ``method path``, oldest first."""
        with self._lock:
            return [r.headers for r in self.requests if r.method == method.upper() and r.path == path]

    # -- lifecycle ----------------------------------------------------------
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("FakeUpstream is not started: use it as a context manager or call start()")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeUpstream:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------
    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get((request.method, request.path))
            status, delay = self._override
        if status is not None:
            return Reply({"error": f"injected {status}"}, status, delay=delay)
        if route is None:
            reply = Reply({"detail": f"FakeUpstream has no route for {request.method} {request.path}"}, 404)
        else:
            reply = route if isinstance(route, Reply) else route(request)
        return replace(reply, delay=max(reply.delay, delay)) if delay else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parts.path,
                    parts.query,
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                reply = fake._answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler
