"""Large upstream lists stay within a budget: a maximum endpoint count per workspace, and parsing
that stops when its deadline has passed. Memory per 1,000 endpoints is measured in bench/run.py."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import hub_databricks.parse as parse_module
from hub_core import ProviderConfigError
from hub_core.testing import app_client
from hub_databricks.config import (
    BYTES_PER_ENDPOINT,
    DEFAULT_MAX_ENDPOINTS,
    DEFAULT_MAX_RESPONSE_BYTES,
    max_endpoints,
    max_response_bytes,
    resolve_workspaces,
)
from hub_databricks.parse import parse_each_off_loop
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace

from .conftest import databricks_hub


def tiny(count: int) -> list[dict[str, Any]]:
    return [{"name": f"e-{i:05d}", "state": {"ready": "READY"}} for i in range(count)]


def test_the_limit_setting():
    assert max_endpoints({}, {}) == DEFAULT_MAX_ENDPOINTS == 5000
    assert max_endpoints({}, {"HUB_DATABRICKS_MAX_ENDPOINTS": "20000"}) == 20000
    assert max_endpoints({"max_endpoints": 300}, {"HUB_DATABRICKS_MAX_ENDPOINTS": "20000"}) == 300
    for bad in ("0", "-5", "many", "1.5"):
        with pytest.raises(ProviderConfigError, match="HUB_DATABRICKS_MAX_ENDPOINTS must be a whole number"):
            max_endpoints({}, {"HUB_DATABRICKS_MAX_ENDPOINTS": bad})
    with pytest.raises(ProviderConfigError, match=r"\[providers.databricks\] max_endpoints"):
        max_endpoints({"max_endpoints": True}, {})
    env = {
        "DATABRICKS_HOST": "https://x.cloud.databricks.com",
        "DATABRICKS_TOKEN": "t",
        "HUB_DATABRICKS_MAX_ENDPOINTS": "7",
    }
    assert [w.max_endpoints for w in resolve_workspaces({}, env)] == [7]


def test_the_body_limit_follows_the_endpoint_limit():
    # The list is one unpaginated body: a workspace allowed more endpoints may send a larger one.
    assert max_response_bytes({}, {}) == DEFAULT_MAX_RESPONSE_BYTES == 20 * 1024 * 1024  # at the default 5,000
    assert max_response_bytes({}, {"HUB_DATABRICKS_MAX_ENDPOINTS": "50000"}) == 50_000 * BYTES_PER_ENDPOINT
    assert max_response_bytes({"max_endpoints": 100_000}, {}) == 100_000 * BYTES_PER_ENDPOINT
    assert max_response_bytes({}, {"HUB_DATABRICKS_MAX_ENDPOINTS": "10"}) == DEFAULT_MAX_RESPONSE_BYTES  # a floor
    explicit = {"HUB_DATABRICKS_MAX_ENDPOINTS": "50000", "HUB_DATABRICKS_MAX_RESPONSE_BYTES": "4096"}
    assert max_response_bytes({}, explicit) == 4096  # set explicitly, it wins
    env = {"DATABRICKS_HOST": "https://x.cloud.databricks.com", "DATABRICKS_TOKEN": "t"}
    workspaces = resolve_workspaces({}, {**env, "HUB_DATABRICKS_MAX_ENDPOINTS": "50000"})
    assert [w.max_response_bytes for w in workspaces] == [50_000 * BYTES_PER_ENDPOINT]


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_over_the_limit_is_a_provider_error_naming_the_settings(monkeypatch, declared):
    with FakeWorkspace(tiny(3)) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        monkeypatch.setenv("HUB_DATABRICKS_MAX_RESPONSE_BYTES", "4096")
        if declared:
            fake.inject("huge", size=64 * 1024)  # Content-Length says so: refused unread
        else:
            fake.endpoints = tiny(400)  # no fault: a real list, just longer than the limit
        async with app_client(databricks_hub()) as client:
            response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 502 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:hub-core:problem:provider-error"
    assert problem["limit"] == 4096 and problem["setting"] == "HUB_DATABRICKS_MAX_RESPONSE_BYTES"
    detail = problem["detail"]
    assert "larger than the 4096 byte limit" in detail and "none of its endpoints are served" in detail
    assert "HUB_DATABRICKS_MAX_ENDPOINTS" in detail and "HUB_DATABRICKS_MAX_RESPONSE_BYTES" in detail
    assert ("(65,536 bytes)" in detail) is declared


@pytest.fixture
def thirty(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeWorkspace(tiny(30)) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield fake


async def test_a_list_over_the_limit_is_a_provider_error_naming_the_setting(thirty, monkeypatch):
    monkeypatch.setenv("HUB_DATABRICKS_MAX_ENDPOINTS", "29")
    async with app_client(databricks_hub()) as client:
        response = await client.get("/public/databricks/endpoints")
        providers = (await client.get("/public/providers")).json()
    assert response.status_code == 502 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:hub-core:problem:provider-error"
    assert "lists 30 serving endpoints, more than the limit of 29" in problem["detail"]
    assert "HUB_DATABRICKS_MAX_ENDPOINTS" in problem["detail"] and problem["setting"] == "HUB_DATABRICKS_MAX_ENDPOINTS"
    databricks = next(p for p in providers if p["name"] == "databricks")
    assert databricks["status"] == "error" and "HUB_DATABRICKS_MAX_ENDPOINTS" in databricks["message"]


async def test_a_list_at_the_limit_is_served(thirty, monkeypatch):
    monkeypatch.setenv("HUB_DATABRICKS_MAX_ENDPOINTS", "30")
    async with app_client(databricks_hub()) as client:
        response = await client.get("/public/databricks/endpoints")
    assert response.status_code == 200 and len(response.json()["endpoints"]) == 30


async def test_parsing_abandoned_at_the_deadline_stops(monkeypatch):
    parsed: list[float] = []
    real = parse_module.parse_endpoint

    def slow_parse(raw: Any, **kwargs: Any) -> Any:
        parsed.append(time.monotonic())
        time.sleep(0.001)
        return real(raw, **kwargs)

    monkeypatch.setattr(parse_module, "parse_endpoint", slow_parse)
    items = tiny(5000)  # about 5 s of work at 1 ms each
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(parse_each_off_loop(items, target="default", host="https://x"), timeout=0.2)
    await asyncio.sleep(0.6)
    done = len(parsed)
    await asyncio.sleep(0.3)
    assert len(parsed) == done, "the worker thread kept parsing after its caller gave up"
    assert done < 1500, f"parsed {done} of 5000 endpoints after the deadline"


async def test_parsing_off_the_loop_still_parses_everything():
    endpoints = await parse_each_off_loop(tiny(1000), target="default", host="https://x")
    assert [e.name if e else None for e in endpoints] == [f"e-{i:05d}" for i in range(1000)]


async def test_the_refused_list_is_not_kept_alive_by_the_cached_error(thirty, monkeypatch):
    """The cache keeps the error, and with it its traceback: no frame in it may hold the list."""
    from hub_databricks.client import WorkspaceClient
    from hub_databricks.config import resolve_workspaces

    monkeypatch.setenv("HUB_DATABRICKS_MAX_ENDPOINTS", "10")
    client = WorkspaceClient(resolve_workspaces({})[0])
    try:
        with pytest.raises(Exception) as caught:
            await client.list_endpoints()
    finally:
        await client.aclose()
    held = []
    traceback = caught.value.__traceback__
    while traceback is not None:
        held += [n for n, v in traceback.tb_frame.f_locals.items() if isinstance(v, (list, dict)) and len(v) >= 30]
        traceback = traceback.tb_next
    assert "HUB_DATABRICKS_MAX_ENDPOINTS" in str(caught.value) and held == []
