"""LiteLLM's own built dashboard (its public model hub page) in Chromium, reading the mounted hub."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from conftest_helpers import require_service

from hub_databricks.testing import rich_workspace

from .conftest import Proxies

pytestmark = pytest.mark.browser

PAGE = "/ui/model_hub_table/"  # the dashboard's public model hub page, as the proxy serves it
RICH = sorted(f"databricks/{e['name']}" for e in rich_workspace())
TIMEOUT_MS = 20_000


@dataclass
class Visit:
    page_errors: list[str] = field(default_factory=list)
    hub_answers: list[tuple[int, str]] = field(default_factory=list)  # the page's /public/v1/model_hub calls
    table_text: str = ""


@pytest.fixture(scope="module")
def visit(proxies: Proxies) -> Iterator[Visit]:
    require_service("playwright (Python package)", importlib.util.find_spec("playwright") is not None)
    require_service(f"Chromium at {CHROMIUM}", Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK))
    from playwright.sync_api import sync_playwright

    seen = Visit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

            def answered(response: Any) -> None:
                if "/public/v1/model_hub" in response.url:
                    seen.hub_answers.append((response.status, response.url))

            page.on("response", answered)
            page.goto(proxies.hub.base + PAGE, wait_until="networkidle", timeout=TIMEOUT_MS)
            table = page.locator("table").first
            table.wait_for(timeout=TIMEOUT_MS)
            with contextlib.suppress(Exception):  # rows render once the list call has answered
                page.get_by_text(RICH[0], exact=True).first.wait_for(timeout=5_000)
            seen.table_text = table.inner_text()
        finally:
            browser.close()
    yield seen


def test_dashboard_model_hub_page_loads_without_a_page_error(visit: Visit) -> None:
    assert visit.page_errors == []
    assert visit.hub_answers, "the page did not call /public/v1/model_hub"
    assert all(status == 200 for status, _ in visit.hub_answers), visit.hub_answers
    assert any("/public/v1/model_hub?" in url for _, url in visit.hub_answers)


def test_dashboard_model_hub_page_renders_the_hubs_rows(visit: Visit) -> None:
    missing = [name for name in RICH if name not in visit.table_text]
    assert not missing, f"rows not rendered: {missing}\n{visit.table_text[:2000]}"
