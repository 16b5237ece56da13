"""A faithful fake Databricks workspace: a real HTTP server on 127.0.0.1.

It serves the routes the hub's Databricks plugin (and the real ``databricks-sdk``) use to
discover model serving endpoints:

* ``GET /.well-known/databricks-config`` (host metadata probe)
* ``GET /oidc/.well-known/oauth-authorization-server`` (OIDC discovery)
* ``POST /oidc/v1/token`` (OAuth M2M client credentials, Basic or form)
* ``GET /api/2.0/serving-endpoints`` and ``GET /api/2.0/serving-endpoints/{name}``
* ``POST /serving-endpoints/{name}/invocations``, ``POST /serving-endpoints/chat/completions``
  and ``POST /serving-endpoints/embeddings`` (querying an endpoint, OpenAI-shaped, as
  LiteLLM's ``databricks/`` provider calls it); the answer is made up but well formed

Wire shapes, error envelopes and auth behaviour follow
``/work/shared/reference/databricks-api.md`` and the fixtures in ``fixtures/``. Faults
(error statuses, slow/hung/truncated/oversized responses) can be queued with
:meth:`FakeWorkspace.inject`. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import secrets
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from . import replies
from .scenarios import envelope

__all__ = [
    "API_FAULTS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PAT",
    "FAULTS",
    "TOKEN_FAULTS",
    "FakeWorkspace",
]

JSONDict = dict[str, Any]

DEFAULT_PAT = "dapi-fake-pat-token"
DEFAULT_CLIENT_ID = "fake-sp-client-id"
DEFAULT_CLIENT_SECRET = "fake-sp-client-secret"

API_PREFIX = "/api/2.0/serving-endpoints"
QUERY_PREFIX = "/serving-endpoints"
TOKEN_PATH = "/oidc/v1/token"
WELL_KNOWN_PATH = "/.well-known/databricks-config"
OIDC_DISCOVERY_PATH = "/oidc/.well-known/oauth-authorization-server"
STATS_PATH = "/_fake/stats"  # not a Databricks route: call counters for benchmarks run out of process
TOUCH_PATH = "/_fake/touch"  # not a Databricks route: POST ?count=N updates N endpoints (benchmarks)

_ERROR_FIXTURES: dict[str, str] = {
    "401": "errors/401_unauthenticated.json",
    "403": "errors/403_invalid_access_token.json",
    "403_permission": "errors/403_permission_denied.json",
    "429": "errors/429_request_limit_exceeded.json",
    "503": "errors/503_temporarily_unavailable.json",
}
_INTERNAL_ERROR: JSONDict = {
    "_http": {"status": 500, "headers": {"Content-Type": "application/json"}},
    "body": {
        "error_code": "INTERNAL_ERROR",
        "message": "Internal error. Please try again later.",
    },
}
API_FAULTS = frozenset({*_ERROR_FIXTURES, "500", "slow", "hang", "malformed", "truncated", "huge"})
TOKEN_FAULTS = frozenset({"token_503"})
FAULTS = API_FAULTS | TOKEN_FAULTS

_MALFORMED_BODY = b"upstream connect error or disconnect/reset before headers. reset reason: connection termination"
_MAX_REQUEST_BODY = 1 << 20

Fault = tuple[str, dict[str, Any]]


class FakeWorkspace:
    """An in-process fake Databricks workspace HTTP server."""

    def __init__(
        self,
        endpoints: list[JSONDict] | None = None,
        *,
        token: str | None = DEFAULT_PAT,
        clients: dict[str, str] | None = None,
        token_ttl: int = 3600,
        workspace_id: str = "1234567890123456",
        well_known: bool = True,
        port: int = 0,
    ) -> None:
        self.endpoints: list[JSONDict] = list(endpoints) if endpoints else []
        self.details: dict[str, JSONDict] = {}
        self.token = token
        self.clients: dict[str, str] = dict(clients or {})
        self.token_ttl = token_ttl
        self.workspace_id = workspace_id
        self.well_known = well_known
        self.url = ""
        self.list_calls = 0
        self.token_calls = 0
        self.requests: list[tuple[str, str]] = []
        self.queries: list[tuple[str, JSONDict]] = []  # (endpoint name, request body) per query answered
        self.issued_tokens: dict[str, float] = {}
        self._port = port
        self._lock = threading.Lock()
        self._api_faults: list[Fault] = []
        self._token_faults: list[Fault] = []
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def touch(self, count: int) -> int:
        """Update ``count`` endpoints spread over the list, as a workspace where a few changed
        between two refreshes: each gets a later ``last_updated_timestamp`` and its readiness flips."""
        with self._lock:
            if not self.endpoints:
                return 0
            step = max(1, len(self.endpoints) // max(count, 1))
            touched = self.endpoints[::step][:count]
            for item in touched:
                item["last_updated_timestamp"] = int(item.get("last_updated_timestamp") or 0) + 1000
                state = item.setdefault("state", {})
                state["ready"] = "NOT_READY" if state.get("ready") == "READY" else "READY"
            return len(touched)

    def start(self) -> FakeWorkspace:
        """Bind 127.0.0.1 (port 0 = free port) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", self._port), _Handler, self)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-databricks-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping faults and drop open connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeWorkspace:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------

    def inject(self, fault: str, *, times: int = 1, **options: Any) -> None:
        """Queue ``fault`` for the next ``times`` matching requests.

        API faults hit ``/api/2.0/serving-endpoints*``; ``token_503`` hits
        ``POST /oidc/v1/token``.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        queue = self._token_faults if fault in TOKEN_FAULTS else self._api_faults
        with self._lock:
            queue.extend((fault, dict(options)) for _ in range(times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._api_faults.clear()
            self._token_faults.clear()

    def pending_faults(self) -> list[str]:
        """Names of the queued faults, API faults first."""
        with self._lock:
            return [name for name, _ in (*self._api_faults, *self._token_faults)]

    # -- helpers used by the handler --------------------------------------

    def _take_fault(self, token_route: bool) -> Fault | None:
        queue = self._token_faults if token_route else self._api_faults
        with self._lock:
            return queue.pop(0) if queue else None

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))
            if path == API_PREFIX:
                self.list_calls += 1
            elif path == TOKEN_PATH:
                self.token_calls += 1

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _snapshot(self) -> list[JSONDict]:
        return list(self.endpoints)

    def _find(self, name: str) -> JSONDict | None:
        detail = self.details.get(name)
        if detail is not None:
            return detail
        return next((e for e in self._snapshot() if e.get("name") == name), None)

    def _authorized(self, header: str | None) -> bool:
        """True for ``Bearer <PAT>`` or an unexpired issued OAuth token."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            return False
        if self.token is not None and hmac.compare_digest(value, self.token):
            return True
        with self._lock:
            expiry = self.issued_tokens.get(value)
        return expiry is not None and expiry > time.time()

    def _client_ok(self, client_id: str | None, secret: str | None) -> bool:
        if client_id is None or secret is None:
            return False
        expected = self.clients.get(client_id)
        return expected is not None and hmac.compare_digest(secret, expected)

    def _issue_token(self) -> str:
        token = "eyJ" + secrets.token_urlsafe(48)
        with self._lock:
            self.issued_tokens[token] = time.time() + self.token_ttl
        return token

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if the server is stopping."""
        return self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its workspace and stays quiet on resets."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        workspace: FakeWorkspace,
    ) -> None:
        self.workspace = workspace
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        if self.workspace._stopping.is_set() and isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Request handling
# --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the fake's behaviour."""

    protocol_version = "HTTP/1.1"
    server_version = "databricks-fake/1.0"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True

    @property
    def ws(self) -> FakeWorkspace:
        return cast(_Server, self.server).workspace

    def setup(self) -> None:
        super().setup()
        self.ws._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.ws._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- routing -----------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        self.ws._record(method, path)
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._api(method, path)
        elif path.startswith(QUERY_PREFIX + "/") and method == "POST":
            self._query(path, body)
        elif path == TOKEN_PATH and method == "POST":
            self._token(body)
        elif path == WELL_KNOWN_PATH and method == "GET" and self.ws.well_known:
            self._send_json(200, self._well_known_body())
        elif path == OIDC_DISCOVERY_PATH and method == "GET":
            self._send_json(200, self._discovery_body())
        elif path == STATS_PATH and method == "GET":
            self._send_json(200, {"list_calls": self.ws.list_calls, "token_calls": self.ws.token_calls})
        elif path == TOUCH_PATH and method == "POST":
            count = parse_qs(urlsplit(self.path).query).get("count", ["1"])[0]
            self._send_json(200, {"touched": self.ws.touch(int(count) if count.isdigit() else 1)})
        else:
            self._not_found(method, path)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(length, _MAX_REQUEST_BODY)) if length > 0 else b""

    # -- serving endpoints -------------------------------------------------

    def _api(self, method: str, path: str) -> None:
        fault = self.ws._take_fault(token_route=False)
        if fault is not None and not self._apply_fault(*fault):
            return
        if not self.ws._authorized(self.headers.get("Authorization")):
            self._send_envelope("errors/401_unauthenticated.json")
            return
        if method != "GET":
            self._not_found(method, path)
        elif path == API_PREFIX:
            self._send_json(200, replies.list_body(self.ws._snapshot()))
        else:
            self._get_endpoint(method, path)

    def _get_endpoint(self, method: str, path: str) -> None:
        name = unquote(path[len(API_PREFIX) + 1 :])
        if not name or "/" in name:
            self._not_found(method, path)
            return
        endpoint = self.ws._find(name)
        if endpoint is not None:
            self._send_json(200, endpoint)
            return
        status, headers, body = envelope("errors/404_resource_does_not_exist.json")
        body["message"] = f"Endpoint with name '{name}' does not exist."
        self._send_json(status, body, headers)

    # -- querying endpoints ------------------------------------------------

    def _query(self, path: str, raw: bytes) -> None:
        """Answer a query the way a READY endpoint of its task would, with made-up content."""
        if not self.ws._authorized(self.headers.get("Authorization")):
            self._send_envelope("errors/401_unauthenticated.json")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send_json(400, {"error_code": "BAD_REQUEST", "message": "The request body is not a JSON object."})
            return
        rest = path[len(QUERY_PREFIX) + 1 :]
        name: str = ""
        kind: str | None = None
        if rest in ("chat/completions", "embeddings", "completions"):
            model = body.get("model")
            name, kind = (model if isinstance(model, str) else ""), rest
        elif rest.endswith("/invocations") and "/" not in rest[: -len("/invocations")]:
            name, kind = unquote(rest[: -len("/invocations")]), None
        else:
            self._not_found("POST", path)
            return
        endpoint = self.ws._find(name) if name else None
        if endpoint is None:
            status, headers, error = envelope("errors/404_resource_does_not_exist.json")
            error["message"] = f"Endpoint with name '{name}' does not exist."
            self._send_json(status, error, headers)
            return
        task = str(endpoint.get("task") or "")
        if _dict(endpoint.get("state")).get("ready") != "READY":
            # Databricks' error envelope; the reference does not say which code a not-ready endpoint gives.
            message = f"Endpoint '{name}' is not ready to serve requests."
            self._send_json(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": message})
            return
        wanted = {"chat/completions": "llm/v1/chat", "embeddings": "llm/v1/embeddings"}.get(kind or "")
        if kind == "completions" or (wanted is not None and task != wanted) or task not in replies.QUERY_TASKS:
            message = f"Endpoint '{name}' serves task '{task or 'custom'}', which this request does not fit."
            self._send_json(400, {"error_code": "BAD_REQUEST", "message": message})
            return
        with self.ws._lock:
            self.ws.queries.append((name, body))
        if task == "llm/v1/chat" and body.get("stream") is True:
            events = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in replies.chat_chunks(name, body))
            self._send_raw(200, events + b"data: [DONE]\n\n", {"Content-Type": "text/event-stream"})
        elif task == "llm/v1/chat":
            self._send_json(200, replies.chat_completion(name, body))
        else:
            self._send_json(200, replies.embeddings(name, body))

    # -- faults ------------------------------------------------------------

    def _apply_fault(self, name: str, options: dict[str, Any]) -> bool:
        """Play a fault; True means 'now answer normally'."""
        if name in _ERROR_FIXTURES:
            status, headers, body = envelope(_ERROR_FIXTURES[name])
            if name == "429":
                headers["Retry-After"] = str(options.get("retry_after", 1))
            self._send_json(status, body, headers)
        elif name == "500":
            self._send_json(500, _INTERNAL_ERROR["body"], _INTERNAL_ERROR["_http"]["headers"])
        elif name == "slow":
            if not self.ws._wait(float(options.get("delay", 2))):
                return True
            self.close_connection = True
        elif name == "hang":
            self.ws._wait(float(options.get("delay", 30)))
            self.close_connection = True
        elif name == "malformed":
            self._send_raw(200, _as_bytes(options.get("body", _MALFORMED_BODY)))
        elif name == "truncated":
            self._send_truncated()
        elif name == "huge":
            self._send_huge(int(options.get("size", 10 * 1024 * 1024)))
        return False

    def _send_truncated(self) -> None:
        full = json.dumps(replies.list_body(self.ws._snapshot())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(full)))
        self.end_headers()
        self.wfile.write(full[: len(full) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _send_huge(self, size: int) -> None:
        chunks = replies.huge_chunks(size)
        total = max(size, len(replies.HUGE_HEAD) + len(replies.HUGE_TAIL))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        try:
            for chunk in chunks:
                if self.ws._stopping.is_set():
                    break
                self.wfile.write(chunk)
        except (ConnectionError, TimeoutError):
            pass
        self.close_connection = True

    # -- OAuth -------------------------------------------------------------

    def _token(self, raw: bytes) -> None:
        fault = self.ws._take_fault(token_route=True)
        if fault is not None:
            self._send_envelope("errors/503_temporarily_unavailable.json")
            return
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        grant = _first(form, "grant_type")
        if grant != "client_credentials":
            error = "unsupported_grant_type" if grant else "invalid_request"
            description = f"grant_type must be client_credentials, got {grant!r}"
            self._send_json(400, {"error": error, "error_description": description})
            return
        client_id, secret = self._basic_credentials() or (
            _first(form, "client_id"),
            _first(form, "client_secret"),
        )
        if not self._client_ok_any(client_id, secret):
            self._send_envelope("auth/oauth_token_error_invalid_client.json")
            return
        body = {
            "access_token": self.ws._issue_token(),
            "token_type": "Bearer",
            "scope": _first(form, "scope") or "all-apis",
            "expires_in": self.ws.token_ttl,
        }
        self._send_json(200, body, {"Content-Type": "application/json", "Cache-Control": "no-store"})

    def _basic_credentials(self) -> tuple[str, str] | None:
        scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else None

    def _client_ok_any(self, client_id: str | None, secret: str | None) -> bool:
        """Accept raw or RFC 6749 form-encoded Basic credentials."""
        if self.ws._client_ok(client_id, secret):
            return True
        if client_id is None or secret is None:
            return False
        return self.ws._client_ok(unquote_plus(client_id), unquote_plus(secret))

    # -- metadata ----------------------------------------------------------

    def _well_known_body(self) -> JSONDict:
        return {
            "oidc_endpoint": f"{self.ws.url}/oidc",
            "workspace_id": self.ws.workspace_id,
            "cloud": "AWS",
            "host_type": "workspace",
        }

    def _discovery_body(self) -> JSONDict:
        base = f"{self.ws.url}/oidc"
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "jwks_uri": f"{base}/jwks.json",
        }

    # -- low-level writers -------------------------------------------------

    def _not_found(self, method: str, path: str) -> None:
        body = {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No API found for '{method} {path}'"}
        self._send_json(404, body)

    def _send_envelope(self, name: str) -> None:
        status, headers, body = envelope(name)
        self._send_json(status, body, headers)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode("utf-8"), headers)

    def _send_raw(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        merged = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for key, value in merged.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _first(form: dict[str, list[str]], key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


def _dict(value: Any) -> JSONDict:
    return value if isinstance(value, dict) else {}


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
