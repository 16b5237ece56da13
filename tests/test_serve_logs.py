"""A real ``hub serve``: uvicorn's own lines and its access log in the formats docs/configuration.md gives."""

from __future__ import annotations

import json
import re

import httpx
from serving import running_hub_logged

# docs/configuration.md#logging-hub_log_level: `time LEVEL logger: message`
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR|DEBUG) [\w.]+: .+$")
ACCESS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO uvicorn\.access: "
    r'127\.0\.0\.1:\d+ - "GET /healthz\?api_key=\[REDACTED\] HTTP/1\.1" 200$'
)


def test_text_mode_lines_from_a_real_server() -> None:
    with running_hub_logged(HUB_LOG_FORMAT="text", HUB_LOAD_PLUGINS="") as served:
        assert httpx.get(f"{served.base}/healthz?api_key=s3cr3t-x", timeout=5).status_code == 200
    lines = [line for line in served.log().splitlines() if line]
    assert any(ACCESS_LINE.match(line) for line in lines), lines
    assert any(line.endswith(" INFO uvicorn.error: Application startup complete.") for line in lines), lines
    assert all(TEXT_LINE.match(line) for line in lines), lines  # no uvicorn-styled `INFO:     ...` line
    assert "s3cr3t-x" not in served.log()


def test_json_mode_lines_from_a_real_server() -> None:
    with running_hub_logged(HUB_LOG_FORMAT="json", HUB_LOAD_PLUGINS="") as served:
        assert httpx.get(f"{served.base}/healthz", timeout=5).status_code == 200
    entries = [json.loads(line) for line in served.log().splitlines() if line]  # every line is JSON
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert any(e["message"].endswith('"GET /healthz HTTP/1.1" 200') for e in access), access
    assert any(e["message"].startswith("Started server process") for e in entries)
    assert all("color_message" not in e and "\x1b" not in json.dumps(e) for e in entries)  # no terminal colours


def test_no_access_log_leaves_out_the_request_lines_only() -> None:
    with running_hub_logged("--no-access-log", HUB_LOG_FORMAT="text", HUB_LOAD_PLUGINS="") as served:
        assert httpx.get(f"{served.base}/healthz", timeout=5).status_code == 200
    log = served.log()
    assert "uvicorn.access" not in log
    assert " INFO uvicorn.error: Application startup complete." in log
