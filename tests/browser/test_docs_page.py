"""``/docs`` renders in Chromium with every request outside 127.0.0.1 refused (no CDN)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from conftest_helpers import require_service
from serving import running_hub

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running_hub() as url:
        yield url


def test_docs_render_with_no_network_but_the_hub(base: str) -> None:
    require_service("playwright (Python package)", importlib.util.find_spec("playwright") is not None)
    require_service(f"Chromium at {CHROMIUM}", Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK))
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def only_the_hub(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            page.set_default_timeout(20_000)
            page.route("**/*", only_the_hub)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .info .title")
            title = page.locator(".swagger-ui .info .title").inner_text()
            operations = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            chromium.close()
    assert "hub-core" in title
    assert any("/public/model_hub" in op for op in operations)
    assert refused == [], f"the docs page asked the network for {refused}"
