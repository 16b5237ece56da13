"""A hostile fake Databricks workspace: it echoes every credential it receives, in every form.

Real HTTP on 127.0.0.1, enough of the API for the hub's own auth and for the real
databricks-sdk (host metadata, OIDC discovery, the token endpoint, the serving-endpoints
list). What it does is set per instance:

* ``token_mode``: ``ok`` (issue an opaque, non-JWT access token), ``echo`` (401 with the
  credentials in ``error`` and ``error_description``), ``echo-text`` (401, text/plain echo),
  ``hang`` (hold the request until ``release()``), ``huge`` (200 with ``huge_bytes`` of
  JSON, streamed with no Content-Length), ``huge-declared`` (the same, declared),
  ``big-ok`` (a valid token padded with ``huge_bytes`` spaces) or ``drip`` (200, one byte
  every 0.2 s).
* ``api_mode``: ``ok`` (a two-endpoint list), ``echo`` (403 "invalid token" echoing them) or
  ``echo-ok`` (the list, with the echo as a creator and in a tag).
* ``form``: how the echo spells the credentials; see ``FORMS``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

FORMS = (
    "header",  # the Authorization header as sent: "Bearer <token>" or "Basic <base64>"
    "raw",  # the credential itself: the bearer token, or the client secret from Basic
    "upper",  # the credential in upper case
    "base64",  # the credential base64-encoded on its own
    "urlencoded",  # the credential percent-encoded
    "prefix",  # the upstream cut it: its first two thirds end the text
    "suffix",  # its last two thirds start the text
    "json",  # the whole request, headers and body, as JSON
)


def _endpoint(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "creator": "someone@example.com",
        "creation_timestamp": 1700000000000,
        "last_updated_timestamp": 1700000000000,
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config": {
            "served_entities": [
                {
                    "name": name,
                    "external_model": {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"},
                }
            ]
        },
        "task": "llm/v1/chat",
    }


class HostileWorkspace:
    def __init__(
        self,
        *,
        token_mode: str = "ok",
        api_mode: str = "ok",
        form: str = "raw",
        huge_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.token_mode = token_mode
        self.api_mode = api_mode
        self.form = form
        self.huge_bytes = huge_bytes
        self.issued: list[str] = []  # access tokens handed out
        self.token_calls = 0
        self.list_calls = 0
        self.waiting = threading.Semaphore(0)  # released once per request that starts to hang
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.hostile = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> HostileWorkspace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def release(self) -> None:
        """End every hanging request (they answer 503)."""
        self._release.set()

    def echo(self, handler: BaseHTTPRequestHandler, body: bytes) -> str:
        header = handler.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        credential = value
        if scheme.lower() == "basic":
            credential = base64.b64decode(value).decode().partition(":")[2]
        third = max(1, len(credential) // 3)
        return {
            "header": header,
            "raw": credential,
            "upper": credential.upper(),
            "base64": base64.b64encode(credential.encode()).decode(),
            "urlencoded": quote(credential, safe=""),
            "prefix": "cut here: " + credential[: 2 * third],
            "suffix": credential[third:] + " was cut",
            "json": json.dumps({"headers": dict(handler.headers.items()), "body": body.decode("latin-1")}),
        }[self.form]


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def hostile(self) -> HostileWorkspace:
        return self.server.hostile  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._route(self.rfile.read(length) if length else b"")

    def _route(self, body: bytes) -> None:
        path = self.path.split("?", 1)[0]
        base = self.hostile.url
        if path == "/.well-known/databricks-config":
            self._json(200, {"oidc_endpoint": f"{base}/oidc", "workspace_id": "1", "cloud": "AWS"})
        elif path == "/oidc/.well-known/oauth-authorization-server":
            self._json(
                200,
                {
                    "issuer": f"{base}/oidc",
                    "authorization_endpoint": f"{base}/oidc/v1/authorize",
                    "token_endpoint": f"{base}/oidc/v1/token",
                },
            )
        elif path == "/oidc/v1/token":
            self.hostile.token_calls += 1
            self._token(body)
        elif path.startswith("/api/2.0/serving-endpoints"):
            self.hostile.list_calls += 1
            if self.hostile.api_mode == "echo-ok":  # a 200 list that carries the echo
                echoed = self.hostile.echo(self, body)
                endpoint = _endpoint("chat-a")
                endpoint["creator"] = echoed
                endpoint["tags"] = [{"key": echoed, "value": f"seen {echoed}"}]
                self._json(200, {"endpoints": [endpoint, _endpoint("chat-b")]})
            elif self.hostile.api_mode == "echo":
                echoed = self.hostile.echo(self, body)
                self._json(403, {"error_code": "INVALID_TOKEN", "message": f"Invalid access token {echoed}"})
            else:
                self._json(200, {"endpoints": [_endpoint("chat-a"), _endpoint("chat-b")]})
        else:
            self._json(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "no such route"})

    def _token(self, body: bytes) -> None:
        hostile = self.hostile
        mode = hostile.token_mode
        if mode == "ok":
            token = "opaque-" + secrets.token_hex(20)  # not JWT-shaped: no pattern can spot it
            hostile.issued.append(token)
            self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        elif mode == "echo":
            echoed = hostile.echo(self, body)
            self._json(401, {"error": f"invalid_client {echoed}", "error_description": f"Client {echoed} failed"})
        elif mode == "echo-text":
            self._send(401, hostile.echo(self, body).encode(), "text/plain")
        elif mode == "hang":
            hostile.waiting.release()
            hostile._release.wait()
            self._json(503, {"error": "temporarily_unavailable"})
        elif mode == "huge":
            self._stream(hostile.huge_bytes, delay=0.0)
        elif mode == "huge-declared":
            self._stream(hostile.huge_bytes, delay=0.0, declare=True)
        elif mode == "big-ok":  # a valid token padded past the off-loop threshold
            token = "opaque-" + secrets.token_hex(20)
            hostile.issued.append(token)
            body = {"access_token": token, "expires_in": 3600, "padding": " " * hostile.huge_bytes}
            self._json(200, body)
        elif mode == "drip":
            self._stream(10_000, delay=0.2, chunk=1)

    def _stream(self, size: int, *, delay: float, chunk: int = 64 * 1024, declare: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        if declare:
            self.send_header("Content-Length", str(size + 37))
        self.end_headers()
        piece = b" " * chunk
        try:
            self.wfile.write(b'{"access_token": "x", "padding": "')
            sent = 0
            while sent < size and not self.hostile._release.is_set():
                self.wfile.write(piece)
                sent += chunk
                if delay:
                    self.wfile.flush()
                    time.sleep(delay)
            self.wfile.write(b'"}')
        except OSError:
            pass  # the client stopped reading, as it should
        self.close_connection = True

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
