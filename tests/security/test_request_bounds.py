"""Request bodies are bounded before they are read; auth and opt-in are decided before any read;
validation problems list a handful of errors, never thousands.

Loop stalls are measured in bench/run.py (``--only bounds``), never here.
"""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
import orjson
import pytest
from databricks_hubs import CALLERS_ON, databricks_hub
from fastapi import APIRouter, Body, FastAPI
from fastapi.exceptions import RequestValidationError
from hubtest_plugins import StaticProvider
from serving import running_hub
from starlette.requests import Request

from hub_core import hookimpl
from hub_core.api.problems import MAX_LISTED_ERRORS, validation_error_handler
from hub_core.app import create_app, include_hub
from hub_core.testing import make_hub

from .conftest import CANARY_CALLER_TOKEN, CANARY_HUB_KEY, PROBLEM, WORKSPACE_HOST

URL = "/public/databricks/endpoints/discover"
TOO_LARGE = "urn:hub-core:problem:request-too-large"


def many_unknown_keys(count: int) -> bytes:
    body: dict[str, Any] = {"host": f"https://{WORKSPACE_HOST}", "token": CANARY_CALLER_TOKEN}
    body.update({f"unknown_field_{i:06d}": i for i in range(count)})
    return orjson.dumps(body)


# -- a real server --------------------------------------------------------------------------------


def test_a_real_server_refuses_big_bodies_unread_and_stays_small():
    env = {"HUB_DATABRICKS_ALLOW_CALLER_CREDENTIALS": "true", "HUB_LOG_LEVEL": "WARNING"}
    huge = many_unknown_keys(200_000)
    assert len(huge) > 2_000_000
    with running_hub("--no-access-log", **env) as base, httpx.Client(base_url=base, timeout=30) as client:
        refused = client.post(URL, content=huge, headers={"Content-Type": "application/json"})
        assert refused.status_code == 413 and refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"] == TOO_LARGE and len(refused.content) < 1024
        assert CANARY_CALLER_TOKEN not in refused.text
        twelve = client.post(URL, content=b"{" + b" " * 12_000_000 + b"}", headers={"Content-Type": "application/json"})
        assert twelve.status_code == 413 and twelve.json()["type"] == TOO_LARGE
        # Under the limit but full of unknown fields: a 400 that names five of them, not 1,000.
        many = client.post(URL, content=many_unknown_keys(500), headers={"Content-Type": "application/json"})
        assert many.status_code == 400 and many.headers["content-type"] == PROBLEM
        problem = many.json()
        assert problem["type"] == "urn:hub-core:problem:invalid-parameter"
        assert len(problem["errors"]) == MAX_LISTED_ERRORS and problem["error_count"] > 500
        assert "more" in problem["detail"] and len(many.content) < 4096
        assert CANARY_CALLER_TOKEN not in many.text
        assert client.get("/healthz").status_code == 200


# -- what the app reads (ASGI, with a receive that records) -----------------------------------------


class Upload:
    """An ASGI receive that hands out ``chunks`` one by one and counts what was taken."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.taken = 0

    async def __call__(self) -> dict[str, Any]:
        if not self.chunks:
            return {"type": "http.disconnect"}
        self.taken += 1
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}


async def call(
    app: Callable[..., Awaitable[None]], path: str, upload: Upload, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw_headers = [
        (k.lower().encode(), v.encode()) for k, v in {"content-type": "application/json", **(headers or {})}.items()
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw_headers,
        "client": ("127.0.0.1", 1), "server": ("hub.test", 80), "state": {},
    }  # fmt: skip
    await app(scope, upload, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], orjson.loads(body)


def chunked(total: int, size: int = 8192) -> list[bytes]:
    return [b" " * size for _ in range(total // size)]


async def test_route_off_is_decided_before_the_body_is_read(server_env):
    app = create_app(hub=databricks_hub())
    upload = Upload(chunked(4 * 1024 * 1024))
    status, problem = await call(app, URL, upload)
    assert status == 403 and problem["type"] == "urn:hub-core:problem:caller-credentials-disabled"
    assert upload.taken == 0, "not one chunk of the body was read"


async def test_a_missing_key_is_decided_before_the_body_is_read(server_env):
    app = create_app(hub=databricks_hub(**CALLERS_ON, api_keys=CANARY_HUB_KEY))
    upload = Upload(chunked(4 * 1024 * 1024))
    status, problem = await call(app, URL, upload)
    assert status == 401 and problem["type"] == "urn:hub-core:problem:unauthorized"
    assert upload.taken == 0


async def test_a_chunked_body_stops_at_the_routes_limit(server_env):
    app = create_app(hub=databricks_hub(**CALLERS_ON))
    upload = Upload(chunked(4 * 1024 * 1024))
    status, problem = await call(app, URL, upload)
    assert status == 413 and problem["type"] == TOO_LARGE
    assert upload.taken <= 3, f"read {upload.taken} chunks of 8 KiB for a 16 KiB limit"


async def test_a_declared_length_over_the_hub_limit_is_413_before_routing(server_env):
    app = create_app(hub=databricks_hub(**CALLERS_ON, max_request_bytes=4096))
    upload = Upload(chunked(64 * 1024))
    status, problem = await call(app, URL, upload, {"content-length": str(64 * 1024)})
    assert status == 413 and problem["type"] == TOO_LARGE and "HUB_MAX_REQUEST_BYTES" in problem["detail"]
    assert upload.taken == 0


class EchoProvider(StaticProvider):
    """A provider whose own route declares a Body() (FastAPI reads it before any dependency)."""

    @hookimpl
    def provider_routes(self) -> APIRouter:
        router = APIRouter()

        @router.post("/echo")
        async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, int]:
            return {"keys": len(payload)}

        return router


async def test_mounted_the_limit_applies_to_hub_paths_only(server_env):
    """A provider route that declares a Body() (FastAPI reads it first) is still bounded, mid-stream;
    the host's own routes are not."""
    host = FastAPI()

    @host.post("/host/echo")
    async def host_route(payload: Annotated[dict[str, Any], Body()]) -> dict[str, int]:
        return {"keys": len(payload)}

    include_hub(host, hub=make_hub({"echo": EchoProvider("echo")}, max_request_bytes=4096), dependencies=[])
    body = orjson.dumps({f"k{i}": "x" * 50 for i in range(200)})  # about 12 KB
    pieces = [body[i : i + 1024] for i in range(0, len(body), 1024)]
    upload = Upload(pieces)
    status, problem = await call(host, "/public/echo/echo", upload)
    assert status == 413 and problem["type"] == TOO_LARGE
    assert upload.taken <= 5
    status, answer = await call(host, "/host/echo", Upload(pieces))
    assert status == 200 and answer == {"keys": 200}


# -- the problem itself ----------------------------------------------------------------------------


async def test_a_validation_problem_lists_a_handful_of_bounded_errors():
    errors = [
        {"loc": ("body", "x" * 10_000, *range(50)), "msg": "m" * 10_000, "type": "extra_forbidden", "input": 1}
        for _ in range(10_000)
    ]
    request = Request({"type": "http", "path": URL, "headers": [], "query_string": b"", "method": "POST"})
    response = await validation_error_handler(request, RequestValidationError(errors))
    assert len(response.body) < 4096
    problem = orjson.loads(response.body)
    assert len(problem["errors"]) == MAX_LISTED_ERRORS and problem["error_count"] == 10_000
    assert all(len(part) <= 64 for e in problem["errors"] for part in e["loc"])
    assert "9,995 more" in problem["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_is_a_400(server_env, open_client, content_type):
    async with open_client(**CALLERS_ON) as client:
        response = await client.post(URL, content=b"host=x", headers={"Content-Type": content_type})
    assert response.status_code == 400 and response.json()["type"] == "urn:hub-core:problem:invalid-parameter"


async def test_a_gzip_body_is_never_decompressed(server_env, open_client):
    """Content-Encoding is not honoured: a compressed body is judged by its own bytes, so a
    48 KB gzip of 50 MB is refused by its size, and a small one is not JSON."""
    small = gzip.compress(many_unknown_keys(1000))
    bomb = gzip.compress(b"{" + b" " * 50_000_000 + b"}")
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    async with open_client(**CALLERS_ON) as client:
        refused = await client.post(URL, content=bomb, headers=headers)
        garbled = await client.post(URL, content=small, headers=headers)
    assert len(bomb) < 64 * 1024 and refused.status_code == 413 and refused.json()["type"] == TOO_LARGE
    assert garbled.status_code == 400 and garbled.json()["type"] == "urn:hub-core:problem:invalid-parameter"
    assert CANARY_CALLER_TOKEN not in garbled.text
