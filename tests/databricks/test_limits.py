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
from hub_databricks.config import DEFAULT_MAX_ENDPOINTS, max_endpoints, resolve_workspaces
from hub_databricks.fake import DEFAULT_PAT, FakeWorkspace
from hub_databricks.parse import parse_endpoints_off_loop

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
        await asyncio.wait_for(parse_endpoints_off_loop(items, target="default", host="https://x"), timeout=0.2)
    await asyncio.sleep(0.6)
    done = len(parsed)
    await asyncio.sleep(0.3)
    assert len(parsed) == done, "the worker thread kept parsing after its caller gave up"
    assert done < 1500, f"parsed {done} of 5000 endpoints after the deadline"


async def test_parsing_off_the_loop_still_parses_everything():
    endpoints = await parse_endpoints_off_loop(tiny(1000), target="default", host="https://x")
    assert [e.name for e in endpoints] == [f"e-{i:05d}" for i in range(1000)]


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
