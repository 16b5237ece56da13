"""DEBUG logs carry no header values, even from an upstream that echoes the Authorization header.

httpcore logs every response's headers verbatim at DEBUG (``receive_response_headers.complete``).
The upstream here answers the list call like a workspace and echoes the hub's Authorization
header, plus a Set-Cookie, back in its response headers.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from databricks_hubs import databricks_hub

from hub_core.logs import HeaderValueFilter, hide_header_values
from hub_core.testing import app_client

from .conftest import CANARY_PAT

COOKIE = "CANARY-cookie-n4b6v8"


class _EchoHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"endpoints": [{"name": "echo", "state": {"ready": "READY"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
        self.send_header("Set-Cookie", f"session={COOKIE}; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def restore_levels() -> Iterator[None]:
    names = ("httpcore", "httpx", "hub_core", "hub_databricks", "uvicorn", "databricks.sdk")
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def test_debug_logs_show_header_names_not_values(echo_upstream, monkeypatch, caplog, restore_levels):
    monkeypatch.setenv("DATABRICKS_HOST", echo_upstream)
    monkeypatch.setenv("DATABRICKS_TOKEN", CANARY_PAT)
    caplog.set_level(logging.DEBUG)
    async with app_client(databricks_hub(log_level="DEBUG")) as client:  # create_app turns DEBUG on
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 200 and response.json()["endpoints"][0]["name"] == "echo"
    lines = [logging.Formatter("%(name)s %(message)s").format(r) for r in caplog.records]
    headers_lines = [line for line in lines if "receive_response_headers.complete" in line]
    assert headers_lines, "httpcore's DEBUG header line was captured"
    assert any("X-Echo-Authorization" in line and "Set-Cookie" in line for line in headers_lines)
    leaks = [line for line in lines if CANARY_PAT in line or COOKIE in line]
    assert leaks == []


def test_the_filter_rewrites_http2_and_keeps_other_records():
    record = logging.LogRecord(
        "httpcore.http2", logging.DEBUG, __file__, 1,
        "receive_response_headers.complete return_value=(200, [(b':status', b'200'), (b'authorization', b'%s')])",
        (CANARY_PAT,), None,
    )  # fmt: skip
    assert HeaderValueFilter().filter(record)
    assert CANARY_PAT not in record.getMessage() and "authorization" in record.getMessage()
    plain = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, "connect_tcp.started", (), None)
    assert HeaderValueFilter().filter(plain) and plain.getMessage() == "connect_tcp.started"


def test_quotes_inside_values_do_not_confuse_the_parser():
    message = (
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', "
        f"[(b'X-A', b'it\\'s {CANARY_PAT}'), (b'X-B', b\"say '{COOKIE}'\")])"
    )
    hidden = hide_header_values(message)
    assert CANARY_PAT not in hidden and COOKIE not in hidden
    assert hidden == "receive_response_headers.complete status=200 headers=X-A, X-B (values hidden)"
