"""A faithful fake Databricks workspace for tests and local development.

It serves, over real HTTP on 127.0.0.1, the routes the hub's Databricks plugin
(and the real ``databricks-sdk``) use to discover model serving endpoints:

* ``GET /.well-known/databricks-config`` (host metadata probe)
* ``GET /oidc/.well-known/oauth-authorization-server`` (OIDC discovery)
* ``POST /oidc/v1/token`` (OAuth M2M client credentials, Basic or form)
* ``GET /api/2.0/serving-endpoints`` and ``GET /api/2.0/serving-endpoints/{name}``
* ``POST /serving-endpoints/{name}/invocations``, ``POST /serving-endpoints/chat/completions``
  and ``POST /serving-endpoints/embeddings`` (querying an endpoint, OpenAI-shaped, as
  LiteLLM's ``databricks/`` provider calls it); the answer is made up but well formed

Wire shapes, error envelopes and auth behaviour follow
``/work/shared/reference/databricks-api.md`` and the fixtures shipped next to
this module. Faults (error statuses, slow/hung/truncated/oversized responses)
can be queued with :meth:`FakeWorkspace.inject`. Standard library only.

Run it by hand with ``python -m hub_databricks.fake --port 8765 --scenario rich``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import functools
import hashlib
import hmac
import json
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PAT",
    "FAULTS",
    "FIXTURES_DIR",
    "FakeWorkspace",
    "empty_workspace",
    "fixture",
    "main",
    "many_endpoints",
    "rich_details",
    "rich_workspace",
    "write_rich_fixture",
]

JSONDict = dict[str, Any]

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
RICH_FIXTURE = "list_rich_workspace.json"

DEFAULT_PAT = "dapi-fake-pat-token"
DEFAULT_CLIENT_ID = "fake-sp-client-id"
DEFAULT_CLIENT_SECRET = "fake-sp-client-secret"

API_PREFIX = "/api/2.0/serving-endpoints"
QUERY_PREFIX = "/serving-endpoints"
TOKEN_PATH = "/oidc/v1/token"
WELL_KNOWN_PATH = "/.well-known/databricks-config"
OIDC_DISCOVERY_PATH = "/oidc/.well-known/oauth-authorization-server"
STATS_PATH = "/_fake/stats"  # not a Databricks route: call counters for benchmarks run out of process

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


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@functools.cache
def _fixture_text(name: str) -> str:
    """Read a fixture file once; callers parse a fresh copy each time."""
    return (FIXTURES_DIR / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    """Load a JSON fixture (path relative to the fixtures dir) as a fresh object."""
    return json.loads(_fixture_text(name))


def _envelope(name: str) -> tuple[int, dict[str, str], JSONDict]:
    """Split an ``{"_http": {status, headers}, "body": ...}`` fixture."""
    raw = fixture(name)
    http = raw["_http"]
    return int(http["status"]), dict(http["headers"]), raw["body"]


# --------------------------------------------------------------------------
# The workspace
# --------------------------------------------------------------------------


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
            self._send_json(200, _list_body(self.ws._snapshot()))
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
        status, headers, body = _envelope("errors/404_resource_does_not_exist.json")
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
            status, headers, error = _envelope("errors/404_resource_does_not_exist.json")
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
        if kind == "completions" or (wanted is not None and task != wanted) or task not in _QUERY_TASKS:
            message = f"Endpoint '{name}' serves task '{task or 'custom'}', which this request does not fit."
            self._send_json(400, {"error_code": "BAD_REQUEST", "message": message})
            return
        with self.ws._lock:
            self.ws.queries.append((name, body))
        if task == "llm/v1/chat" and body.get("stream") is True:
            events = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in _chat_chunks(name, body))
            self._send_raw(200, events + b"data: [DONE]\n\n", {"Content-Type": "text/event-stream"})
        elif task == "llm/v1/chat":
            self._send_json(200, _chat_completion(name, body))
        else:
            self._send_json(200, _embeddings(name, body))

    # -- faults ------------------------------------------------------------

    def _apply_fault(self, name: str, options: dict[str, Any]) -> bool:
        """Play a fault; True means 'now answer normally'."""
        if name in _ERROR_FIXTURES:
            status, headers, body = _envelope(_ERROR_FIXTURES[name])
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
        full = json.dumps(_list_body(self.ws._snapshot())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(full)))
        self.end_headers()
        self.wfile.write(full[: len(full) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _send_huge(self, size: int) -> None:
        chunks = _huge_chunks(size)
        total = max(size, len(_HUGE_HEAD) + len(_HUGE_TAIL))
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
        status, headers, body = _envelope(name)
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


_QUERY_TASKS = frozenset({"llm/v1/chat", "llm/v1/embeddings"})


def _words(value: Any) -> int:
    return len(str(value).split()) if value else 0


def _chat_completion(name: str, body: JSONDict) -> JSONDict:
    """An OpenAI-shaped chat completion, as Databricks chat endpoints answer; the reply quotes the last message."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    last = str(messages[-1].get("content", "")) if messages else ""
    reply = f"Hello from {name}. You said: {last}"
    prompt_tokens = sum(_words(m.get("content")) for m in messages)
    completion_tokens = _words(reply)
    return {
        "id": f"chatcmpl_{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _chat_chunks(name: str, body: JSONDict) -> list[JSONDict]:
    """The same reply as server-sent ``chat.completion.chunk`` events, a word at a time, usage last."""
    whole = _chat_completion(name, body)
    words = whole["choices"][0]["message"]["content"].split(" ")
    base = {"id": whole["id"], "object": "chat.completion.chunk", "created": whole["created"], "model": name}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    for index, word in enumerate(words):
        text = word if index == 0 else " " + word
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": whole["usage"]})
    return chunks


def _embeddings(name: str, body: JSONDict) -> JSONDict:
    """An OpenAI-shaped embeddings list with a small deterministic vector per input."""
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    data = []
    for index, text in enumerate(items):
        digest = hashlib.sha256(str(text).encode("utf-8")).digest()
        data.append({"object": "embedding", "index": index, "embedding": [b / 255 for b in digest[:8]]})
    tokens = sum(_words(t) for t in items)
    return {
        "object": "list",
        "model": name,
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _list_body(endpoints: list[JSONDict]) -> JSONDict:
    """Real empty workspaces answer ``{}``, not ``{"endpoints": []}``."""
    return {"endpoints": endpoints} if endpoints else {}


_HUGE_HEAD = b'{"endpoints": ['
_HUGE_TAIL = b"]}"


def _huge_chunks(size: int, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield exactly ``max(size, 17)`` bytes of valid, list-shaped JSON."""
    remaining = max(size - len(_HUGE_HEAD) - len(_HUGE_TAIL), 0)
    buf = bytearray(_HUGE_HEAD)
    index = 0
    while True:
        item = b'%s{"name": "padding-%08d", "task": "llm/v1/chat"}' % (b"," if index else b"", index)
        if len(item) > remaining:
            break
        buf += item
        remaining -= len(item)
        index += 1
        if len(buf) >= chunk_size:
            yield bytes(buf)
            buf.clear()
    buf += b" " * remaining + _HUGE_TAIL
    yield bytes(buf)


# --------------------------------------------------------------------------
# Scenario data
# --------------------------------------------------------------------------


def _state(ready: str = "READY", config_update: str = "NOT_UPDATING", custom: bool = False) -> JSONDict:
    state: JSONDict = {"ready": ready, "config_update": config_update}
    if custom:
        state.update({"suspend": "NOT_SUSPENDED", "system_update_failure": False})
    return state


def _owner(email: str, display_name: str, kind: str = "User") -> JSONDict:
    return {"creator": email, "creator_display_name": display_name, "creator_kind": kind}


def _external(
    name: str,
    endpoint_id: str,
    entity: str,
    external_model: JSONDict,
    *,
    owner: JSONDict,
    created: int,
    updated: int,
    permission: str,
    description: str,
    tags: list[JSONDict],
) -> JSONDict:
    """A list-shaped EXTERNAL_MODEL endpoint."""
    return {
        "name": name,
        "id": endpoint_id,
        **owner,
        "creation_timestamp": created,
        "last_updated_timestamp": updated,
        "state": _state(),
        "config": {"served_entities": [{"name": entity, "type": "EXTERNAL_MODEL", "external_model": external_model}]},
        "tags": tags,
        "task": external_model["task"],
        "endpoint_type": "EXTERNAL_MODEL",
        "permission_level": permission,
        "route_optimized": False,
        "description": description,
    }


def _uc_config(served_name: str, entity_name: str, version: str) -> JSONDict:
    """List-shaped config of a Unity Catalog model (entities + legacy models)."""
    return {
        "served_entities": [
            {
                "name": served_name,
                "entity_name": entity_name,
                "entity_version": version,
                "type": "UC_MODEL",
            }
        ],
        "served_models": [
            {
                "name": served_name,
                "model_name": entity_name,
                "model_version": version,
                "type": "UC_MODEL",
            }
        ],
    }


def _external_endpoints() -> list[JSONDict]:
    """OpenAI chat, Azure OpenAI embeddings, OpenAI completions, Anthropic chat."""
    return [
        _external(
            "openai-gpt-4o",
            "88fd3f75a0d24b0380ddc40484d7a31b",
            "gpt-4o",
            {
                "provider": "openai",
                "name": "gpt-4o",
                "task": "llm/v1/chat",
                "openai_config": {
                    "openai_api_key": "{{secrets/genai/openai-key}}",
                    "openai_api_type": "openai",
                    "openai_api_base": "https://api.openai.com/v1",
                },
            },
            owner=_owner("alice@example.com", "Alice"),
            created=1731000000000,
            updated=1731000000000,
            permission="CAN_MANAGE",
            description="OpenAI GPT-4o via AI Gateway",
            tags=[{"key": "team", "value": "platform"}],
        ),
        _external(
            "azure-text-embedding-3-large",
            "3a7c9e21b45d4f6089ab12cd34ef5678",
            "text-embedding-3-large",
            {
                "provider": "openai",
                "name": "text-embedding-3-large",
                "task": "llm/v1/embeddings",
                "openai_config": {
                    "openai_api_key": "{{secrets/genai/azure-openai-key}}",
                    "openai_api_type": "azure",
                    "openai_api_base": "https://example-genai.openai.azure.com/",
                    "openai_api_version": "2024-06-01",
                    "openai_deployment_name": "text-embedding-3-large",
                },
            },
            owner=_owner("bob@example.com", "Bob"),
            created=1733100000000,
            updated=1736200000000,
            permission="CAN_QUERY",
            description="Azure OpenAI embeddings for RAG",
            tags=[{"key": "team", "value": "search"}, {"key": "cost-center", "value": "4711"}],
        ),
        _external(
            "openai-gpt-35-turbo-instruct",
            "c04b7d2e9f1a4e58b6d3a0f27c9e4b11",
            "gpt-35-turbo-instruct",
            {
                "provider": "openai",
                "name": "gpt-3.5-turbo-instruct",
                "task": "llm/v1/completions",
                "openai_config": {"openai_api_key": "{{secrets/genai/openai-key}}"},
            },
            owner=_owner("alice@example.com", "Alice"),
            created=1719800000000,
            updated=1719800000000,
            permission="CAN_QUERY",
            description="",
            tags=[],
        ),
        _external(
            "anthropic-claude-sonnet",
            "5e2f8a0c7b3d4a9e8f1c6b2d0a4e7f93",
            "claude-sonnet",
            {
                "provider": "anthropic",
                "name": "claude-sonnet-4-5",
                "task": "llm/v1/chat",
                "anthropic_config": {"anthropic_api_key": "{{secrets/genai/anthropic-key}}"},
            },
            owner=_owner("erin@example.com", "Erin"),
            created=1759800000000,
            updated=1760400000000,
            permission="CAN_QUERY",
            description="Anthropic Claude Sonnet 4.5 (direct)",
            tags=[{"key": "team", "value": "support"}],
        ),
    ]


def _custom_endpoints() -> list[JSONDict]:
    """UC custom model, failed first deploy, fine-tune mid-update, agent tile."""
    churn: JSONDict = {
        "name": "churn-classifier-uc",
        "id": "9b1d4f6a2c8e4d7b9a0f3e5c7d1b2a46",
        **_owner("dave@example.com", "Dave"),
        "creation_timestamp": 1741000000000,
        "last_updated_timestamp": 1744000000000,
        "state": _state(custom=True),
        "config": _uc_config("churn_classifier-3", "main.ml.churn_classifier", "3"),
        "tags": [{"key": "domain", "value": "customer"}],
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "",
    }
    fraud: JSONDict = {
        "name": "fraud-scorer",
        "id": "2f6e0a9d4c1b4e8a8d7c5b3a1e9f0c24",
        **_owner("frank@example.com", "Frank"),
        "creation_timestamp": 1747000000000,
        "last_updated_timestamp": 1747000600000,
        "state": _state("NOT_READY", "UPDATE_FAILED", custom=True),
        "tags": [],
        "endpoint_type": "CUSTOM_MODEL",
        "permission_level": "CAN_VIEW",
        "route_optimized": False,
        "description": "first deploy failed: container build error",
    }
    fine_tune: JSONDict = {
        "name": "ft-llama-support-bot",
        "id": "d83a5c1e7f2b4096a4e8c0b6d2f1a735",
        **_owner("grace@example.com", "Grace"),
        "creation_timestamp": 1750000000000,
        "last_updated_timestamp": 1762000000000,
        "state": _state("READY", "IN_PROGRESS", custom=True),
        "config": _uc_config("llama_support_bot-2", "main.ft.llama_support_bot", "2"),
        "tags": [{"key": "team", "value": "support"}],
        "task": "llm/v1/chat",
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "Llama 3.1 8B fine-tuned on support transcripts",
    }
    agent: JSONDict = {
        "name": "agents-support-assistant",
        "id": "6c0e2b8f4a9d4c3e8b7a1f5d9e0c2b68",
        **_owner("heidi@example.com", "Heidi"),
        "creation_timestamp": 1758000000000,
        "last_updated_timestamp": 1761000000000,
        "state": _state(),
        "config": {},
        "tags": [],
        "task": "agent/v1/responses",
        "permission_level": "CAN_QUERY",
        "tile_endpoint_metadata": {
            "tile_id": "0b7e4c2a-91d3-4f6e-a8b5-3c2d1e0f9a87",
            "tile_model_name": "support-assistant",
            "problem_type": "MULTI_AGENT_SUPERVISOR",
        },
        "description": "Agent Bricks supervisor for support",
    }
    return [churn, fraud, fine_tune, agent]


def _update_canceled_external() -> JSONDict:
    """The NOT_READY/UPDATE_CANCELED external endpoint from the SDK-only fixture."""
    items = fixture("list_documented_fields_only.json")["endpoints"]
    return next(e for e in items if e["state"]["config_update"] == "UPDATE_CANCELED")


def rich_workspace() -> list[JSONDict]:
    """A realistic mixed workspace (FMAPI, external, custom, agent, broken)."""
    fmapi: list[JSONDict] = fixture("list_fmapi_payg_workspace.json")["endpoints"]
    return [
        *fmapi,
        *_external_endpoints(),
        *_custom_endpoints(),
        _update_canceled_external(),
    ]


def rich_details() -> dict[str, JSONDict]:
    """Detailed GET bodies for the rich endpoints that have a ``get_*`` fixture."""
    names = ["openai-gpt-4o", "databricks-meta-llama-3-3-70b-instruct"]
    return {name: fixture(f"get_{name}.json") for name in names}


def empty_workspace() -> list[JSONDict]:
    """A workspace with no serving endpoints."""
    return []


def write_rich_fixture(path: Path | None = None) -> Path:
    """(Re)generate ``fixtures/list_rich_workspace.json`` from rich_workspace()."""
    target = path or FIXTURES_DIR / RICH_FIXTURE
    text = json.dumps({"endpoints": rich_workspace()}, indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _hex_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def _synthetic_fmapi(i: int, task: str) -> JSONDict:
    kind = "chat" if task == "llm/v1/chat" else "embed"
    name = f"databricks-synthetic-{kind}-{i:05d}"
    model = f"system.ai.synthetic_{kind}_{i:05d}"
    chat = kind == "chat"
    return {
        "name": name,
        "creation_timestamp": 1_700_000_000_000 + i * 60_000,
        "last_updated_timestamp": 1_700_000_000_000 + i * 60_000,
        "state": _state(),
        "config": {
            "served_entities": [
                {
                    "name": name,
                    "entity_name": model,
                    "type": "FOUNDATION_MODEL",
                    "foundation_model": {
                        "name": model,
                        "display_name": f"Synthetic {'Chat' if chat else 'Embedding'} {i:05d}",
                        "docs": "https://docs.databricks.com/machine-learning/foundation-models/supported-models.html",
                        "description": "Synthetic pay-per-token model. This endpoint is hosted by Databricks.",
                        "price": f"{(i % 97) + 1.5:.3f}",
                        "input_price": f"{(i % 31) + 0.5:.3f}",
                        "price_unit": "DBUs per 1M tokens",
                        "pricing_model": "Pay-per-token",
                        "model_class": "llama" if chat else "gte",
                        "api_types": ["mlflow/v1/chat/completions" if chat else "mlflow/v1/embeddings"],
                        "ai_gateway_v2_supported": True,
                    },
                }
            ]
        },
        "task": task,
        "endpoint_type": "FOUNDATION_MODEL_API",
        "permission_level": "CAN_QUERY",
        "capabilities": {"function_calling": i % 2 == 0} if chat else {},
    }


def _synthetic_external(i: int) -> JSONDict:
    name = f"openai-gpt-4o-{i:05d}"
    user = f"user{i % 50:02d}"
    return _external(
        name,
        _hex_id(name),
        f"gpt-4o-{i:05d}",
        {
            "provider": "openai",
            "name": "gpt-4o-mini" if i % 3 else "gpt-4o",
            "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": f"{{{{secrets/team{i % 7}/openai-key}}}}"},
        },
        owner=_owner(f"{user}@example.com", user.capitalize()),
        created=1_710_000_000_000 + i * 60_000,
        updated=1_710_000_000_000 + i * 120_000,
        permission=("CAN_MANAGE", "CAN_QUERY", "CAN_VIEW")[i % 3],
        description="",
        tags=[],
    )


def _synthetic_custom(i: int) -> JSONDict:
    name = f"custom-model-{i:05d}"
    user = f"user{i % 50:02d}"
    ready = "NOT_READY" if i % 7 == 0 else "READY"
    return {
        "name": name,
        "id": _hex_id(name),
        **_owner(f"{user}@example.com", user.capitalize()),
        "creation_timestamp": 1_720_000_000_000 + i * 60_000,
        "last_updated_timestamp": 1_720_000_000_000 + i * 60_000,
        "state": _state(ready, "UPDATE_FAILED" if ready == "NOT_READY" else "NOT_UPDATING", custom=True),
        "config": _uc_config(f"model_{i:05d}-1", f"main.ml.model_{i:05d}", "1"),
        "tags": [],
        "permission_level": "CAN_MANAGE",
        "route_optimized": False,
        "description": "",
    }


def many_endpoints(n: int = 5000) -> list[JSONDict]:
    """``n`` deterministic endpoints with unique names (FMAPI, external, custom)."""
    out: list[JSONDict] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(_synthetic_fmapi(i, "llm/v1/chat"))
        elif kind == 1:
            out.append(_synthetic_fmapi(i, "llm/v1/embeddings"))
        elif kind == 2:
            out.append(_synthetic_external(i))
        else:
            out.append(_synthetic_custom(i))
    return out


def tiny_endpoints(n: int = 5000) -> list[JSONDict]:
    """``n`` minimal endpoints (a name and a state, about 50 bytes of JSON each), for memory tests."""
    return [{"name": f"e-{i:07d}", "state": {"ready": "READY"}} for i in range(n)]


SCENARIOS = {
    "rich": rich_workspace,
    "empty": empty_workspace,
    "many": many_endpoints,
    "tiny": tiny_endpoints,
}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hub_databricks.fake", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="rich")
    parser.add_argument("--count", type=int, default=5000, help="endpoints in the 'many' and 'tiny' scenarios")
    parser.add_argument("--token-ttl", type=int, default=3600, help="OAuth access token lifetime (s)")
    parser.add_argument("--write-fixture", action="store_true", help=f"regenerate fixtures/{RICH_FIXTURE} and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fake workspace until Ctrl-C."""
    args = _parse_args(argv)
    if args.write_fixture:
        print(f"wrote {write_rich_fixture()}")
        return 0
    sized = {"many": many_endpoints, "tiny": tiny_endpoints}
    endpoints = sized[args.scenario](args.count) if args.scenario in sized else SCENARIOS[args.scenario]()
    fake = FakeWorkspace(
        copy.deepcopy(endpoints),
        clients={DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET},
        token_ttl=args.token_ttl,
        port=args.port,
    )
    if args.scenario == "rich":
        fake.details = rich_details()
    with fake:
        print(f"fake Databricks workspace ({args.scenario}, {len(fake.endpoints)} endpoints) at {fake.url}")
        print(f"  DATABRICKS_HOST={fake.url}")
        print(f"  DATABRICKS_TOKEN={DEFAULT_PAT}   (fake PAT)")
        print(
            f"  DATABRICKS_CLIENT_ID={DEFAULT_CLIENT_ID}  DATABRICKS_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}  (fake SP)"
        )
        print("Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
