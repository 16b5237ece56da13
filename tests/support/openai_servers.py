"""Fake OpenAI-compatible servers on 127.0.0.1, answering in vLLM's and Ollama's real shapes.

Each ``FakeServer`` serves fixed routes (path -> status, headers, body) and records every
request's path and headers. ``{auth}`` in a body is replaced by the request's Authorization
header, for servers that echo credentials back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = tuple[int, dict[str, str], bytes]


def vllm_model(model_id: str, max_model_len: int, parent: str | None = None) -> dict[str, Any]:
    """One item of vLLM's ``/v1/models`` (vllm/entrypoints/openai/protocol.py ``ModelCard``)."""
    return {
        "id": model_id,
        "object": "model",
        "created": 1733140000,
        "owned_by": "vllm",
        "root": parent or f"/models/{model_id}",
        "parent": parent,
        "max_model_len": max_model_len,
        "permission": [
            {
                "id": f"modelperm-{model_id[:8]}",
                "object": "model_permission",
                "created": 1733140000,
                "allow_create_engine": False,
                "allow_sampling": True,
                "allow_logprobs": True,
                "allow_search_indices": False,
                "allow_view": True,
                "allow_fine_tuning": False,
                "organization": "*",
                "group": None,
                "is_blocking": False,
            }
        ],
    }


def models_body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"object": "list", "data": list(items)}).encode()


OLLAMA_MODELS = models_body(
    {"id": "llama3.1:latest", "object": "model", "created": 1733100000, "owned_by": "library"},
    {"id": "qwen2.5:7b", "object": "model", "created": 1733000000, "owned_by": "library"},
)
OLLAMA_TAGS = json.dumps(
    {
        "models": [
            {
                "name": "llama3.1:latest",
                "model": "llama3.1:latest",
                "modified_at": "2026-11-30T10:12:45.123456789+01:00",
                "size": 4920753328,
                "digest": "46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e",
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "8.0B",
                    "quantization_level": "Q4_K_M",
                },
            },
            {
                "name": "qwen2.5:7b",
                "model": "qwen2.5:7b",
                "modified_at": "2026-11-29T09:00:00.5+01:00",
                "size": 4683087332,
                "digest": "845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e",
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "qwen2",
                    "families": ["qwen2"],
                    "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M",
                },
            },
        ]
    }
).encode()


def json_route(body: bytes, status: int = 200, **headers: str) -> Route:
    return status, {"Content-Type": "application/json", **headers}, body


class FakeServer:
    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers.items())))
                status, headers, body = fake.routes.get(self.path, json_route(b'{"detail":"Not Found"}', 404))
                body = body.replace(b"{auth}", self.headers.get("Authorization", "").encode())
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def authorizations(self) -> list[str | None]:
        return [headers.get("Authorization") for _, headers in self.requests]


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[FakeServer]:
    server = FakeServer(routes)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
