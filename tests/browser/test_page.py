"""The /hub page in a real browser: Debian's Chromium driven by Playwright, against `hub serve` and the fake workspace.

One browser and one healthy hub for the module; a second hub whose workspace refuses with 403.
Skipped on a laptop without Chromium or Playwright; a failure in CI (``CI`` set).
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from conftest_helpers import require_service
from serving import running_hub

from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

pytestmark = pytest.mark.browser


ISOLATED_PREFIXES = ("HUB_", "DATABRICKS_", "ARM_")
RICH = sorted(f"databricks/{e['name']}" for e in rich_workspace())
HUB_KEY = "k-browser-test-key"
TIMEOUT_MS = 20_000  # bounds how long a broken test takes to fail; never what is tested


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_service("playwright (Python package)", importlib.util.find_spec("playwright") is not None)
    require_service(f"Chromium at {CHROMIUM}", Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK))
    from playwright.sync_api import expect, sync_playwright

    # expect() has its own 5 s default, not the context's: a loaded machine needs the same room.
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two `hub serve` processes: one over a healthy fake workspace, one whose workspace answers 403."""
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        # Module fixtures run before the per-test environment isolation: isolate here too.
        for name in list(os.environ):
            if name.startswith(ISOLATED_PREFIXES):
                env.delenv(name)
        env.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path_factory.mktemp("cfg") / "no-databrickscfg"))
        env.setenv("HUB_LOAD_PLUGINS", "databricks")  # a Databricks-only hub, whatever else is installed
        healthy = stack.enter_context(FakeWorkspace(rich_workspace()))
        refusing = stack.enter_context(FakeWorkspace(rich_workspace()))
        refusing.inject("403_permission", times=1000)
        yield {
            "ok": stack.enter_context(running_hub(DATABRICKS_HOST=healthy.url, DATABRICKS_TOKEN=DEFAULT_PAT)),
            "403": stack.enter_context(running_hub(DATABRICKS_HOST=refusing.url, DATABRICKS_TOKEN=DEFAULT_PAT)),
            # Keys on: /public/providers needs one, the model hub does not.
            "keys": stack.enter_context(
                running_hub(DATABRICKS_HOST=healthy.url, DATABRICKS_TOKEN=DEFAULT_PAT, HUB_API_KEYS=HUB_KEY)
            ),
        }


@pytest.fixture
def base(hubs: dict[str, str]) -> str:
    return hubs["ok"]


@pytest.fixture
def context(browser: Any, base: str) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def open_hub(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def models(page: Any) -> list[str]:
    result: list[str] = page.locator("#rows tr").evaluate_all("rows => rows.map(r => r.dataset.model)")
    return result


def test_page_lists_the_workspace_endpoints(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    assert models(page) == RICH
    expect(page.locator("#count")).to_have_text("15 model groups")
    assert page.locator('.banner:not([data-status="disabled"])').count() == 0
    sonnet = page.locator('tr[data-model="databricks/databricks-claude-sonnet-4-5"]')
    expect(sonnet.locator(".badge")).to_have_text(["Tools", "Vision", "Reasoning"])
    expect(sonnet.locator(".cell-context")).to_contain_text("200K")
    expect(sonnet.locator(".cell-price")).to_contain_text("$3.00 in")
    expect(sonnet.locator(".cell-price")).to_contain_text("$15.00 out")
    expect(sonnet.locator(".cell-provider")).to_contain_text("Databricks")
    expect(sonnet.locator(".workspace-name")).to_have_text("default")
    expect(sonnet.locator(".cell-mode")).to_have_text("chat")
    expect(sonnet.locator(".cell-status")).to_have_text("Available")
    expect(page.locator('.fresh[data-provider="databricks"]')).to_contain_text("updated")
    expect(page.locator("#provider option")).to_have_text(["All providers", "Databricks (15)"])
    assert page.title() == "Model hub"


def test_page_also_answers_at_hub_slash(page, base):
    open_hub(page, f"{base}/hub/")
    assert models(page) == RICH


def test_search_narrows_the_list(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    page.fill("#q", "claude")
    expect(page.locator("#rows tr")).to_have_count(3)
    assert models(page) == [
        "databricks/anthropic-claude-sonnet",
        "databricks/databricks-claude-3-7-sonnet",
        "databricks/databricks-claude-sonnet-4-5",
    ]
    expect(page.locator("#count")).to_have_text("3 model groups match")
    assert "q=claude" in page.url
    page.fill("#q", "Sonnet 4.5")  # display name, any case
    expect(page.locator("#rows tr")).to_have_count(1)
    page.fill("#q", "no-such-model")
    expect(page.locator("#empty")).to_contain_text("No model groups match these filters.")
    page.click("#empty button")
    expect(page.locator("#rows tr")).to_have_count(15)


def test_provider_and_mode_filters(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    expect(page.locator("#mode option")).to_have_text(
        ["All modes", "chat (7)", "embedding (3)", "completion (2)", "unknown (2)", "responses (1)"]
    )
    providers_in = "filter%5Bproviders%5D%5Bin%5D=databricks"  # LiteLLM's grammar, in the API and the page URL
    with page.expect_request(lambda r: "/public/v1/model_hub?" in r.url and providers_in in r.url):
        page.select_option("#provider", "databricks")
    expect(page.locator("#rows tr")).to_have_count(15)
    page.select_option("#mode", "embedding")
    expect(page.locator("#rows tr")).to_have_count(3)
    assert models(page) == [
        "databricks/azure-text-embedding-3-large",
        "databricks/databricks-bge-large-en",
        "databricks/databricks-gte-large-en",
    ]
    assert providers_in in page.url and "filter%5Bmode%5D%5Bin%5D=embedding" in page.url
    page.check('input[name="features"][value="vision"]')  # no embedding model has vision
    expect(page.locator("#empty")).to_be_visible()
    page.select_option("#mode", "")
    expect(page.locator("#rows tr")).to_have_count(4)
    page.check('input[name="features"][value="reasoning"]')  # features match any of those checked
    expect(page.locator("#rows tr")).to_have_count(5)  # 4 with vision, 3 with reasoning, 2 with both
    page.select_option("#available", "false")
    expect(page.locator("#rows tr")).to_have_count(0)
    # The filters survive a reload (they live in the URL).
    open_hub(page, page.url)
    expect(page.locator("#available")).to_have_value("false")
    expect(page.locator('input[name="features"][value="vision"]')).to_be_checked()
    # A link in the earlier grammar opens the same view.
    open_hub(page, f"{page.url.split('?')[0]}?provider=databricks&mode=embedding")
    expect(page.locator("#rows tr")).to_have_count(3)


def test_not_ready_endpoint_shows_unavailable_with_its_reason(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    fraud = page.locator('tr[data-model="databricks/fraud-scorer"]')
    expect(fraud).to_have_attribute("data-available", "false")
    expect(fraud.locator(".cell-status")).to_contain_text("Unavailable")
    expect(fraud.locator(".cell-status .reason")).to_have_text("UPDATE_FAILED")
    page.select_option("#available", "false")
    expect(page.locator("#rows tr")).to_have_count(2)
    assert models(page) == ["databricks/fraud-scorer", "databricks/openai-completions"]


def test_failing_provider_shows_a_banner(page, hubs):
    from playwright.sync_api import expect

    open_hub(page, f"{hubs['403']}/hub")
    banner = page.locator('.banner[data-provider="databricks"][data-status="error"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Databricks is failing.")
    expect(banner).to_contain_text("403 PERMISSION_DENIED")
    expect(banner).to_have_attribute("role", "alert")
    expect(page.locator("#rows tr")).to_have_count(0)
    # The only provider failed: the list itself is a 503 all-providers-failed, shown as such.
    expect(page.locator('.banner[data-kind="list"]')).to_contain_text("databricks")
    expect(page.locator("#empty")).to_contain_text("could not be loaded")


def test_copy_button_copies_the_model_name(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    name = "databricks/databricks-claude-sonnet-4-5"
    button = page.locator(f'tr[data-model="{name}"] button.copy')
    expect(button).to_have_attribute("aria-label", f"Copy model name {name}")
    button.click()
    expect(page.locator("#toast")).to_have_text(f"Copied {name}")
    assert page.evaluate("navigator.clipboard.readText()") == name
    # From the keyboard too.
    other = "databricks/openai-gpt-4o"
    page.locator(f'tr[data-model="{other}"] button.copy').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_have_text(f"Copied {other}")
    assert page.evaluate("navigator.clipboard.readText()") == other


def test_keyboard_search_and_sort(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    page.locator("body").press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("llama")
    expect(page.locator("#rows tr")).to_have_count(2)
    header = page.locator('th[data-sort-field="model_group"]')
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("button").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    assert models(page) == ["databricks/ft-llama-support-bot", "databricks/databricks-meta-llama-3-3-70b-instruct"]
    expect(page.locator("#sort")).to_have_value("-model_group")
    context_header = page.locator('th[data-sort-field="max_input_tokens"] button')
    context_header.click()  # largest context first; unknown last
    expect(page.locator('th[data-sort-field="max_input_tokens"]')).to_have_attribute("aria-sort", "descending")
    assert models(page) == ["databricks/databricks-meta-llama-3-3-70b-instruct", "databricks/ft-llama-support-bot"]


def test_stale_data_shows_a_badge_with_its_age(page, base):
    from playwright.sync_api import expect

    two_hours_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7200))

    def stale(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["meta"]["stale"] = True
        body["meta"]["providers"]["databricks"].update(stale=True, fetched_at=two_hours_ago)
        route.fulfill(response=response, json=body)

    page.route("**/public/v1/model_hub?*", stale)
    open_hub(page, f"{base}/hub")
    expect(page.locator('.fresh[data-provider="databricks"] .badge-stale')).to_have_text("stale · 2 h old")
    expect(page.locator('.fresh[data-provider="databricks"]')).to_contain_text("updated 2 h ago")


def test_api_key_is_kept_in_the_session_and_sent(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    page.click("#key-panel summary")
    page.fill("#api-key", "test-key-123")
    with page.expect_request(lambda r: "/public/v1/model_hub?" in r.url) as sent:
        page.click('#key-form button[type="submit"]')
    assert sent.value.headers.get("authorization") == "Bearer test-key-123"
    expect(page.locator("#key-state")).to_have_text("set")
    assert page.evaluate("sessionStorage.getItem('hub-core.api-key')") == "test-key-123"
    assert "test-key-123" not in page.url
    with page.expect_request(lambda r: "/public/v1/model_hub?" in r.url) as cleared:
        page.click("#key-clear")
    assert "authorization" not in cleared.value.headers
    assert page.evaluate("sessionStorage.getItem('hub-core.api-key')") is None


def test_unauthorised_list_explains_itself(page, base):
    from playwright.sync_api import expect

    problem = {
        "type": "urn:hub-core:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "This route needs a hub API key.",
    }

    def refuse(route: Any) -> None:
        route.fulfill(status=401, json=problem, headers={"Content-Type": "application/problem+json"})

    page.route("**/public/v1/model_hub?*", refuse)
    open_hub(page, f"{base}/hub")
    banner = page.locator('.banner[data-kind="list"]')
    expect(banner).to_contain_text("Unauthorized")
    expect(banner).to_contain_text("enter one above")
    expect(page.locator("#empty")).to_be_visible()


def test_keys_on_and_the_list_loads_shows_no_banner(page, hubs):
    """With HUB_API_KEYS, /public/providers answers 401 but the model hub loads: nothing is wrong to show."""
    from playwright.sync_api import expect

    with page.expect_response(lambda r: "/public/providers" in r.url) as providers:
        open_hub(page, f"{hubs['keys']}/hub")
    assert providers.value.status == 401  # the premise: the page really was refused
    assert models(page) == RICH
    expect(page.locator(".banner")).to_have_count(0)
    expect(page.locator("#key-state")).to_have_text("needed for provider status")
    # With the key, the providers' status is read and the hint goes.
    page.click("#key-panel summary")
    page.fill("#api-key", HUB_KEY)
    with page.expect_response(lambda r: "/public/providers" in r.url) as keyed:
        page.click('#key-form button[type="submit"]')
    assert keyed.value.status == 200
    expect(page.locator("#key-state")).to_have_text("set")
    expect(page.locator('.banner:not([data-status="disabled"])')).to_have_count(0)


def test_a_wrong_key_says_so_without_a_banner(page, hubs):
    from playwright.sync_api import expect

    open_hub(page, f"{hubs['keys']}/hub")
    page.click("#key-panel summary")
    page.fill("#api-key", "not-the-key")
    with page.expect_response(lambda r: "/public/providers" in r.url) as refused:
        page.click('#key-form button[type="submit"]')
    assert refused.value.status == 401
    expect(page.locator("#key-state")).to_have_text("refused")
    expect(page.locator(".banner")).to_have_count(0)
    assert models(page) == RICH


def test_a_gateway_refusing_every_call_shows_its_message_once(page, base):
    """A gateway's key check (docs/mounting.md) answers 401 with the same title and detail on every API call."""
    from playwright.sync_api import expect

    message = "Missing or invalid API key."
    problem = {"type": "urn:hub-core:problem:unauthorized", "title": message, "status": 401, "detail": message}

    def refuse(route: Any) -> None:
        route.fulfill(status=401, json=problem, headers={"Content-Type": "application/problem+json"})

    page.route("**/public/providers", refuse)
    page.route("**/public/v1/model_hub*", refuse)
    open_hub(page, f"{base}/hub")
    banners = page.locator(".banner")
    expect(banners).to_have_count(1)
    expect(banners).to_contain_text("enter one above")
    assert page.locator("#banners").inner_text().count(message) == 1
    expect(page.locator("#empty")).to_be_visible()


def test_clear_filters_also_resets_the_sort(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub?q=llama")
    page.locator('th[data-sort-field="max_input_tokens"] button').click()
    expect(page.locator("#sort")).to_have_value("-max_input_tokens")
    assert "sort=" in page.url
    page.click("#reset")
    expect(page.locator("#rows tr")).to_have_count(15)
    expect(page.locator("#sort")).to_have_value("model_group")
    expect(page.locator('th[data-sort-field="model_group"]')).to_have_attribute("aria-sort", "ascending")
    assert models(page) == RICH and "sort=" not in page.url and "q=" not in page.url
    # The button of an empty result does the same.
    open_hub(page, f"{base}/hub?q=no-such-model&sort=-max_input_tokens")
    page.click("#empty button")
    expect(page.locator("#rows tr")).to_have_count(15)
    expect(page.locator("#sort")).to_have_value("model_group")


def test_narrow_screen_has_no_horizontal_scroll(browser, base):
    from playwright.sync_api import expect

    narrow = browser.new_context(viewport={"width": 360, "height": 800})
    try:
        page = narrow.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        open_hub(page, f"{base}/hub")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        expect(page.locator("thead")).not_to_be_in_viewport()
        card = page.locator('tr[data-model="databricks/fraud-scorer"]')
        expect(card.locator(".cell-status .reason")).to_have_text("UPDATE_FAILED")
        for label in ("#q", "#provider", "#mode", "#available", "#sort"):
            assert page.locator(label).bounding_box()["width"] > 100, label
    finally:
        narrow.close()


def test_js_client_against_the_hub(page, base):
    open_hub(page, f"{base}/hub")
    result = page.evaluate(
        """async (base) => {
            const c = await import(base + "/hub/static/client.js");
            const opts = {baseUrl: base + "/"};
            const providers = await c.getProviders(opts);
            const first = await c.modelHubPage(
                {page: 1, pageSize: 2, sort: ["-max_input_tokens"], q: "", filters: {mode: ["chat"], available: true}},
                opts);
            const facet = await c.modelHubFacet("modes", {filters: {provider: "databricks"}});
            const all = await c.modelHubPublicModelsCall({provider: "databricks"});
            const byName = await c.modelHubPublicModelsCall("databricks");  // as LiteLLM's dashboard calls it
            const either = await c.modelHubPage({filters: {features: ["vision", "reasoning"]}});
            const merged = await c.modelHubPublicModelsCall();
            const endpoints = await c.getProviderEndpoints("databricks");
            const legacy = await c.getDatabricksServingEndpoints();
            const failure = async (call) => {
                try { await call(); return null; }
                catch (e) { return {message: e.message, status: e.status, type: e.problem.type,
                                    parameter: e.problem.parameter ?? null, isError: e instanceof Error}; }
            };
            return {
                providers: providers.map(p => [p.name, p.status]),
                first: first.data.map(g => g.model_group), meta: first.meta, next: first.links.next,
                facet: facet.data, facetCounts: facet.meta.counts,
                all: all.length, merged: merged.length, byName: byName.map(g => g.model_group),
                either: either.meta.total_count,
                endpoints: endpoints.endpoints.length, legacy: legacy.endpoints.length,
                unknown: await failure(() => c.getProviderEndpoints("nope")),
                badSort: await failure(() => c.modelHubPage({sort: "bogus"})),
                clamped: (await c.modelHubPage({pageSize: 500})).meta.page_size,
                badPage: await failure(() => c.modelHubPage({pageSize: 0})),
                nowhere: await failure(() => c.getProviders({baseUrl: "http://127.0.0.1:9"})),
            };
        }""",
        base,
    )
    assert [p for p in result["providers"] if p[1] != "disabled"] == [["databricks", "ok"]]
    assert result["first"] == ["databricks/anthropic-claude-sonnet", "databricks/databricks-claude-sonnet-4-5"]
    meta = result["meta"]
    assert (meta["total_count"], meta["total_pages"], meta["sort"]) == (7, 4, "-max_input_tokens")
    assert result["next"] == (
        "/public/v1/model_hub?filter%5Bmode%5D%5Bin%5D=chat&filter%5Bavailable%5D=true&page_size=2"
        "&sort=-max_input_tokens&page=2"
    )
    assert result["facet"] == ["chat", "completion", "embedding", "responses", "unknown"]
    assert result["facetCounts"] == {"chat": 7, "completion": 2, "embedding": 3, "responses": 1, "unknown": 2}
    assert result["all"] == result["merged"] == result["endpoints"] == result["legacy"] == 15
    assert result["byName"] == RICH and result["either"] == 5 and result["clamped"] == 100
    assert result["unknown"] == {"message": "Unknown provider", "status": 404, "isError": True, "parameter": None,
                                 "type": "urn:hub-core:problem:unknown-provider"}  # fmt: skip
    assert result["badSort"]["message"] == "Invalid sort field" and result["badSort"]["parameter"] == "sort"
    assert result["badPage"]["status"] == 400 and result["badPage"]["message"] == "Invalid request parameter"
    assert result["nowhere"]["status"] == 0 and result["nowhere"]["message"] == "Cannot reach the hub"


def test_page_reads_litellms_own_v1_answers(page, base):
    """Where a host's LiteLLM answers /public/v1/model_hub instead of the hub, the page still shows it truthfully."""
    from playwright.sync_api import expect

    rows = [
        {"model_group": "gpt-4o", "providers": ["openai"], "mode": "chat", "max_input_tokens": 128000,
         "supports_vision": True, "health_status": "healthy"},
        {"model_group": "broken", "providers": ["azure"], "mode": "chat", "health_status": "unhealthy"},
    ]  # fmt: skip
    listing = {
        "data": rows,
        "meta": {"total_count": 2, "page": 1, "page_size": 50, "total_pages": 1},
        "links": {"self": "/x", "first": "/x", "prev": None, "next": None, "last": "/x"},
    }
    facets = {
        "providers": ["azure", "openai"],
        "modes": ["chat"],
        "features": ["vision"],
    }

    def litellm(route: Any) -> None:
        path = route.request.url.split("?")[0]
        name = path.rsplit("/", 1)[-1]
        if name in facets:
            meta = {"page": 1, "page_size": 100, "has_more": False}
            links = {"self": "/x", "prev": None, "next": None}
            route.fulfill(json={"data": facets[name], "meta": meta, "links": links})
        else:
            route.fulfill(json=listing)

    page.route("**/public/v1/model_hub**", litellm)
    open_hub(page, f"{base}/hub")
    expect(page.locator("#count")).to_have_text("2 model groups")
    assert models(page) == ["gpt-4o", "broken"]
    expect(page.locator('tr[data-model="broken"] .cell-status')).to_contain_text("Unavailable")
    expect(page.locator('tr[data-model="gpt-4o"] .cell-status')).to_have_text("Available")
    expect(page.locator("#provider option")).to_have_text(["All providers", "azure", "openai"])
    assert "NaN" not in page.locator("body").inner_text()


def test_the_docs_link_is_shown_only_where_the_app_has_docs(page, base):
    from playwright.sync_api import expect

    open_hub(page, f"{base}/hub")
    link = page.locator("#api-docs")
    expect(link).to_be_visible()
    assert link.evaluate("a => a.href") == f"{base}/docs"

    def without_docs(route: Any) -> None:  # as a gateway with docs_url=None serves the page
        response = route.fetch()
        html = response.text().replace('name="hub-docs-path" content="/docs"', 'name="hub-docs-path" content=""')
        route.fulfill(response=response, body=html)

    page.route("**/hub", without_docs)
    open_hub(page, f"{base}/hub")
    expect(page.locator("#api-docs")).to_be_hidden()
