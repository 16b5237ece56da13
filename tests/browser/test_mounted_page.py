"""The /hub page in Chromium when the hub is a sub-app of a host gateway with its API moved:
it finds the API from where it is mounted. The host serves its own /public/model_hub beside it.

Skipped on a laptop without Chromium or Playwright; a failure in CI (``CI`` set).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser import CHROMIUM, CHROMIUM_ARGS
from conftest_helpers import require_service
from fastapi import FastAPI
from hubtest_plugins import StaticProvider
from serving import free_port, wait_for_http

from hub_core.app import include_hub
from hub_core.testing import make_hub

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    """A host app on a real port: its own /public/model_hub, and the hub mounted at /gw with its API at /models."""
    host = FastAPI()

    @host.get("/public/model_hub")
    async def host_model_hub() -> list[dict[str, str]]:
        return [{"model_group": "host-model"}]

    sub = FastAPI()
    include_hub(sub, hub=make_hub({"s": StaticProvider("s")}), dependencies=[], prefix="/models")
    host.mount("/gw", sub)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(host, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/gw/hub")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    require_service("playwright (Python package)", importlib.util.find_spec("playwright") is not None)
    require_service(f"Chromium at {CHROMIUM}", Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium.new_page()
        finally:
            chromium.close()


def test_page_under_a_mount_uses_the_moved_api(page, gateway):
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{gateway}/gw/hub")
    page.wait_for_selector("body[data-ready=true]")
    rows = page.locator("#rows tr").evaluate_all("rows => rows.map(r => r.dataset.model)")
    assert rows == ["s/alpha", "s/beta"]
    expect(page.locator("#provider option")).to_have_text(["All providers", "Static s (2)"])
    api = [url for url in requests if "/model_hub" in url or "/providers" in url]
    assert api and all(url.startswith(f"{gateway}/gw/models/") for url in api), api
    assert page.locator(".banner").count() == 0
