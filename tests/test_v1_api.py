"""The paged v1 model-hub API and its facets, in-process, over the real Databricks plugin and small test plugins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from hubtest_plugins import FailingProvider, UnconfiguredProvider
from hypothesis import given, settings
from hypothesis import strategies as st

import hub_databricks
from hub_core import Endpoint, ModelGroup, ProviderInfo, Target, hookimpl
from hub_core.api.v1 import FEATURE_LIST, MODE_LIST, PROVIDER_LIST, SORT_LIST, build_filters, parse_sort, sort_rows
from hub_core.catalog import Catalog
from hub_core.testing import app_client, make_hub
from hub_databricks.fake import DEFAULT_PAT, FakeWorkspace, rich_workspace

PROBLEM = "application/problem+json"
V1 = "/public/v1/model_hub"
RICH = sorted(f"databricks/{e['name']}" for e in rich_workspace())


class TablePlugin:
    """Serves the model groups it is given, exactly (through ``to_model_group``)."""

    def __init__(self, name: str, groups: list[ModelGroup]) -> None:
        self.name = name
        self.groups = {g.model_group: g for g in groups}
        self.discover_calls = 0

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(display_name=f"Table {self.name}")

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name="t", url=f"https://{self.name}.example")]

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        self.discover_calls += 1
        return [Endpoint(provider=self.name, name=name, target=target.name) for name in self.groups]

    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
        return self.groups[endpoint.name]


def group(name: str, **fields: Any) -> ModelGroup:
    return ModelGroup(model_group=name, providers=[name.split("/", 1)[0]], **fields)


LAB = [
    group("lab/a", mode="chat", max_input_tokens=100, input_cost_per_token=1e-6, display_name="Zeta"),
    group("lab/b", mode="chat", max_input_tokens=None, input_cost_per_token=2e-6, display_name="alpha"),
    group("lab/c", mode="embedding", max_input_tokens=100, input_cost_per_token=None),
    group("lab/d", mode=None, max_input_tokens=300, input_cost_per_token=1e-6, available=False),
    group("lab/e", mode="chat", max_input_tokens=100, input_cost_per_token=1e-6, supports_vision=True),
]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    with FakeWorkspace(rich_workspace()) as workspace:
        monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield workspace


@pytest.fixture
async def client(fake: FakeWorkspace) -> AsyncIterator[httpx.AsyncClient]:
    """Databricks (against the fake) and the table plugin ``lab``."""
    hub = make_hub({"databricks": hub_databricks, "lab": TablePlugin("lab", LAB)})
    async with app_client(hub) as http:
        yield http


@pytest.fixture
async def lab() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_hub({"lab": TablePlugin("lab", LAB)})) as http:
        yield http


async def get(client: httpx.AsyncClient, path: str = V1, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [g["model_group"] for g in body["data"]]


# -- shape and paging ------------------------------------------------------------------------


async def test_default_page_has_data_meta_and_links(client, fake):
    body = await get(client)
    assert names(body) == sorted([*RICH, *(g.model_group for g in LAB)])
    meta = body["meta"]
    assert {k: meta[k] for k in ("page", "page_size", "total", "pages", "sort", "stale")} == {
        "page": 1, "page_size": 50, "total": 20, "pages": 1, "sort": "model_group", "stale": False,
    }  # fmt: skip
    assert meta["fetched_at"].endswith("Z")
    assert set(meta["providers"]) == {"databricks", "lab"}
    assert meta["providers"]["databricks"]["source"] == "live"
    assert meta["providers"]["databricks"]["stale"] is False
    assert meta["providers"]["databricks"]["fetched_at"]
    assert body["links"] == {"self": f"{V1}?page=1", "first": f"{V1}?page=1", "prev": None, "next": None,
                             "last": f"{V1}?page=1"}  # fmt: skip
    fraud = next(g for g in body["data"] if g["model_group"] == "databricks/fraud-scorer")
    assert fraud["available"] is False and fraud["state_reason"] == "UPDATE_FAILED"  # full ModelGroup fields


async def test_pages_cover_the_list_once_and_link_each_other(client):
    everything = names(await get(client, provider="databricks"))
    seen: list[str] = []
    for page in range(1, 5):
        body = await get(client, provider="databricks", page=page, page_size=4)
        meta, links = body["meta"], body["links"]
        assert (meta["page"], meta["page_size"], meta["total"], meta["pages"]) == (page, 4, 15, 4)
        assert len(body["data"]) == (4 if page < 4 else 3)
        assert links["self"] == f"{V1}?page={page}&provider=databricks&page_size=4"
        assert links["first"] == f"{V1}?page=1&provider=databricks&page_size=4"
        assert links["last"] == f"{V1}?page=4&provider=databricks&page_size=4"
        assert links["prev"] == (None if page == 1 else f"{V1}?page={page - 1}&provider=databricks&page_size=4")
        assert links["next"] == (None if page == 4 else f"{V1}?page={page + 1}&provider=databricks&page_size=4")
        seen += names(body)
    assert seen == everything


async def test_page_past_the_end_is_empty_with_correct_meta(client):
    body = await get(client, provider="databricks", page=9, page_size=10)
    assert body["data"] == []
    assert (body["meta"]["total"], body["meta"]["pages"], body["meta"]["page"]) == (15, 2, 9)
    assert body["links"]["next"] is None
    assert body["links"]["prev"] == f"{V1}?page=2&provider=databricks&page_size=10"
    assert body["links"]["last"] == f"{V1}?page=2&provider=databricks&page_size=10"


async def test_page_size_bounds(client):
    assert len((await get(client, page_size=1))["data"]) == 1
    body = await get(client, page_size=100)
    assert len(body["data"]) == 20 and body["meta"]["pages"] == 1


async def test_links_keep_the_query(client):
    body = await get(client, q="gpt", sort="-max_input_tokens", page_size=1, features="function_calling")
    assert body["links"]["next"] == f"{V1}?page=2&q=gpt&sort=-max_input_tokens&page_size=1&features=function_calling"
    response = await client.get(f"{V1}?mode=chat&mode=completion&page_size=2&page=2")
    links = response.json()["links"]
    assert links["first"] == f"{V1}?page=1&mode=chat&mode=completion&page_size=2"


async def test_empty_result_has_zero_pages_and_a_last_link(client):
    body = await get(client, q="no-such-model")
    assert body["data"] == [] and body["meta"]["total"] == 0 and body["meta"]["pages"] == 0
    assert body["links"]["last"] == f"{V1}?page=1&q=no-such-model"
    assert body["links"]["next"] is None and body["links"]["prev"] is None


async def test_paging_never_calls_the_upstream_again(client, fake):
    await get(client)
    assert fake.list_calls == 1
    for page in range(1, 6):
        for sort in ("model_group", "-max_input_tokens,provider", "-available,display_name"):
            await get(client, page=page, page_size=3, sort=sort)
    for facet in ("providers", "modes", "features"):
        await get(client, f"{V1}/{facet}", mode="chat")
    await get(client, provider="databricks", q="claude", available=True)
    assert fake.list_calls == 1


# -- sorting ---------------------------------------------------------------------------------


async def test_sort_ascending_and_descending_with_none_last(lab):
    assert names(await get(lab, sort="max_input_tokens")) == ["lab/a", "lab/c", "lab/e", "lab/d", "lab/b"]
    assert names(await get(lab, sort="-max_input_tokens")) == ["lab/d", "lab/a", "lab/c", "lab/e", "lab/b"]
    assert names(await get(lab, sort="input_cost_per_token")) == ["lab/a", "lab/d", "lab/e", "lab/b", "lab/c"]
    assert names(await get(lab, sort="-input_cost_per_token")) == ["lab/b", "lab/a", "lab/d", "lab/e", "lab/c"]
    assert names(await get(lab, sort="-model_group")) == ["lab/e", "lab/d", "lab/c", "lab/b", "lab/a"]


async def test_sort_by_several_keys_with_model_group_as_tie_breaker(lab):
    body = await get(lab, sort="mode,-max_input_tokens")
    assert names(body) == ["lab/a", "lab/e", "lab/b", "lab/c", "lab/d"]
    assert body["meta"]["sort"] == "mode,-max_input_tokens"
    assert names(await get(lab, sort="-mode,input_cost_per_token")) == ["lab/c", "lab/a", "lab/e", "lab/b", "lab/d"]
    # Text sorts ignore case; None (no display name) last.
    assert names(await get(lab, sort="display_name")) == ["lab/b", "lab/a", "lab/c", "lab/d", "lab/e"]
    assert names(await get(lab, sort="-display_name")) == ["lab/a", "lab/b", "lab/c", "lab/d", "lab/e"]
    # Booleans: available first when descending.
    assert names(await get(lab, sort="-available")) == ["lab/a", "lab/b", "lab/c", "lab/e", "lab/d"]
    assert names(await get(lab, sort="available,-model_group")) == ["lab/d", "lab/e", "lab/c", "lab/b", "lab/a"]


async def test_sort_by_provider_and_source_across_providers(client):
    body = await get(client, sort="-provider", page_size=100)
    providers = [g["providers"][0] for g in body["data"]]
    assert providers == ["lab"] * 5 + ["databricks"] * 15
    assert names(body)[:5] == ["lab/a", "lab/b", "lab/c", "lab/d", "lab/e"]  # ties by model_group
    assert (await get(client, sort=" provider , ,source"))["meta"]["sort"] == "provider,source"


def test_sort_rows_is_stable_and_puts_none_last_both_ways():
    rows = [("p", g) for g in LAB]
    for descending in (False, True):
        ordered = [g.model_group for _, g in sort_rows(rows, [("max_input_tokens", descending)])]
        assert ordered[-1] == "lab/b"


# -- search and filters -----------------------------------------------------------------------


async def test_q_matches_model_group_or_display_name_case_insensitively(client):
    assert names(await get(client, q="CLAUDE")) == [
        "databricks/anthropic-claude-sonnet",
        "databricks/databricks-claude-3-7-sonnet",
        "databricks/databricks-claude-sonnet-4-5",
    ]
    assert names(await get(client, q="sonnet 4.5")) == ["databricks/databricks-claude-sonnet-4-5"]  # display name
    assert names(await get(client, q="zeta")) == ["lab/a"]
    assert (await get(client, q="   "))["meta"]["total"] == 20


async def test_provider_filter_repeatable_or_comma_list(client):
    assert names(await get(client, provider="lab")) == [g.model_group for g in LAB]
    assert (await get(client, provider="databricks"))["meta"]["total"] == 15
    both = await client.get(V1, params=[("provider", "lab"), ("provider", "databricks")])
    assert both.json()["meta"]["total"] == 20
    assert (await get(client, provider="lab,databricks"))["meta"]["total"] == 20
    assert set((await get(client, provider="lab"))["meta"]["providers"]) == {"lab"}


async def test_mode_filter(client):
    embedding = names(await get(client, mode="embedding"))
    assert embedding == [
        "databricks/azure-text-embedding-3-large",
        "databricks/databricks-bge-large-en",
        "databricks/databricks-gte-large-en",
        "lab/c",
    ]
    body = await client.get(V1, params=[("mode", "completion"), ("mode", "embedding")])
    assert body.json()["meta"]["total"] == 6
    assert (await get(client, mode="completion,embedding"))["meta"]["total"] == 6


async def test_features_filter_needs_every_flag(client):
    vision = await get(client, features="vision")
    assert all(g["supports_vision"] for g in vision["data"]) and vision["meta"]["total"] == 5
    both = names(await get(client, features="function_calling,reasoning"))
    assert both == [
        "databricks/anthropic-claude-sonnet",
        "databricks/databricks-claude-sonnet-4-5",
        "databricks/databricks-gpt-oss-120b",
    ]
    assert names(await get(client, features="parallel_function_calling")) == ["databricks/openai-gpt-4o"]
    repeated = await client.get(V1, params=[("features", "vision"), ("features", "reasoning")])
    assert len(repeated.json()["data"]) == 2


async def test_available_filter(client):
    assert names(await get(client, available="false")) == [
        "databricks/fraud-scorer",
        "databricks/openai-completions",
        "lab/d",
    ]
    assert (await get(client, available="true"))["meta"]["total"] == 17


async def test_source_filter_and_catalog_entries():
    hub = make_hub({"lab": TablePlugin("lab", LAB), "anthropic": UnconfiguredProvider()})
    async with app_client(hub) as http:
        catalog = await get(http, source="catalog", page_size=100)
        live = await get(http, source="live")
    assert catalog["meta"]["total"] > 0
    assert {g["source"] for g in catalog["data"]} == {"catalog"}
    assert all(g["model_group"].startswith("anthropic/") for g in catalog["data"])
    assert catalog["meta"]["providers"]["anthropic"] == {
        "source": "catalog", "stale": False, "fetched_at": None, "errors": [],
    }  # fmt: skip
    assert names(live) == [g.model_group for g in LAB]


async def test_filters_combine(client):
    body = await get(client, provider="databricks", mode="chat", features="vision", available="true", q="sonnet")
    assert names(body) == ["databricks/anthropic-claude-sonnet", "databricks/databricks-claude-3-7-sonnet",
                           "databricks/databricks-claude-sonnet-4-5"]  # fmt: skip


# -- facets ----------------------------------------------------------------------------------


async def test_facets_count_distinct_values(client):
    providers = await get(client, f"{V1}/providers")
    assert providers["data"] == [
        {"value": "databricks", "count": 15, "label": "Databricks"},
        {"value": "lab", "count": 5, "label": "Table lab"},
    ]
    assert providers["meta"]["total"] == 20 and set(providers["meta"]["providers"]) == {"databricks", "lab"}
    modes = await get(client, f"{V1}/modes")
    assert modes["data"] == [
        {"value": "chat", "count": 10},
        {"value": "embedding", "count": 4},
        {"value": "completion", "count": 2},
        {"value": "responses", "count": 1},
    ]
    features = await get(client, f"{V1}/features")
    assert features["data"] == [
        {"value": "function_calling", "count": 6},
        {"value": "vision", "count": 5},
        {"value": "reasoning", "count": 3},
        {"value": "parallel_function_calling", "count": 1},
    ]


async def test_facets_follow_the_same_filters(client):
    modes = await get(client, f"{V1}/modes", provider="lab")
    assert modes["data"] == [{"value": "chat", "count": 3}, {"value": "embedding", "count": 1}]
    assert modes["meta"]["total"] == 5  # lab/d has no mode: counted in total, not as a value
    providers = await get(client, f"{V1}/providers", mode="chat", available="true")
    assert providers["data"] == [
        {"value": "databricks", "count": 7, "label": "Databricks"},
        {"value": "lab", "count": 3, "label": "Table lab"},
    ]
    features = await get(client, f"{V1}/features", q="claude", features="reasoning")
    assert features["data"] == [
        {"value": "function_calling", "count": 2},
        {"value": "reasoning", "count": 2},
        {"value": "vision", "count": 2},
    ]  # ties sorted by value
    assert (await get(client, f"{V1}/providers", q="nothing-matches"))["data"] == []


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("sort=unknown_field", "sort"),
        ("sort=model_group,-nope", "sort"),
        ("features=bogus", "features"),
        ("features=vision,bogus", "features"),
        ("source=x", "source"),
        ("available=maybe", "available"),
        ("provider=bad%20name", "provider"),
    ],
)
async def test_bad_parameter_is_400_problem_naming_it(lab, query, parameter):
    for path in (V1, f"{V1}/modes") if parameter not in ("page", "page_size", "sort") else (V1,):
        response = await lab.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == 400 and problem["title"]
        assert parameter in problem["detail"], problem
        assert problem["type"] == "urn:hub-core:problem:invalid-parameter"
        if "parameter" in problem:
            assert problem["parameter"] == parameter


@pytest.mark.parametrize("parameter", ["source", "sort", "features", "provider", "available", "page"])
async def test_bad_value_is_not_echoed(lab, parameter):
    response = await lab.get(V1, params={parameter: "model_group,<script>secret-value</script>"})
    assert response.status_code == 400 and "secret-value" not in response.text
    assert parameter in response.json()["detail"]


async def test_unknown_provider_is_404_for_pages_and_facets(lab):
    for path in (V1, f"{V1}/providers"):
        response = await lab.get(path, params={"provider": "lab,nope"})
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:hub-core:problem:unknown-provider"
        assert response.json()["provider"] == "nope"


async def test_failing_provider_is_left_out_unless_asked_for():
    down = FailingProvider("down")
    hub = make_hub({"lab": TablePlugin("lab", LAB), "down": down})
    async with app_client(hub) as http:
        merged = await get(http)
        asked = await http.get(V1, params={"provider": "down"})
    assert names(merged) == [g.model_group for g in LAB] and set(merged["meta"]["providers"]) == {"lab"}
    assert asked.status_code == 502 and asked.headers["content-type"] == PROBLEM
    assert asked.json()["provider"] == "down"


async def test_stale_data_is_flagged(fake):
    hub = make_hub({"databricks": hub_databricks}, cache_ttl=0.2, stale_ttl=600)
    async with app_client(hub) as http:
        fresh = await get(http)
        fake.inject("503", times=50)
        await asyncio.sleep(0.3)
        stale = await get(http)
        for _ in range(20):  # a background refresh may answer first; it fails, so the copy stays stale
            if stale["meta"]["stale"]:
                break
            await asyncio.sleep(0.05)
            stale = await get(http)
    assert fresh["meta"]["stale"] is False
    assert stale["meta"]["stale"] is True and stale["meta"]["providers"]["databricks"]["stale"] is True
    assert names(stale) == names(fresh)


async def test_openapi_documents_v1_and_not_the_page(lab):
    schema = (await lab.get("/openapi.json")).json()
    for path in (V1, f"{V1}/providers", f"{V1}/modes", f"{V1}/features"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"][V1]["get"]["parameters"]}
    assert params >= {"page", "page_size", "sort", "q", "provider", "mode", "features", "available", "source"}
    assert not any(p.startswith("/hub") for p in schema["paths"])


@settings(max_examples=100, deadline=None)
@given(
    sort=st.from_regex(SORT_LIST).filter(lambda v: len(v) <= 200),
    provider=st.from_regex(PROVIDER_LIST).filter(lambda v: len(v) <= 200),
    mode=st.from_regex(MODE_LIST).filter(lambda v: len(v) <= 200),
    features=st.from_regex(FEATURE_LIST).filter(lambda v: len(v) <= 200),
)
def test_every_value_the_schema_allows_is_accepted(sort, provider, mode, features):
    """The patterns published in OpenAPI and the parser agree (schemathesis relies on it)."""
    parse_sort(sort)
    build_filters(None, [provider], [mode], [features], None, None)


async def test_v1_routes_say_how_fresh_they_are_and_answer_304():
    from hubtest_plugins import StaticProvider

    from hub_core.testing import app_client, make_hub

    async with app_client(make_hub({"s": StaticProvider("s")})) as client:
        for url in ("/public/v1/model_hub?page_size=1", "/public/v1/model_hub/modes"):
            first = await client.get(url)
            assert first.headers["X-Hub-Stale"] == "false" and "Age" in first.headers
            assert first.headers["Cache-Control"].startswith("public, max-age=")
            again = await client.get(url, headers={"If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304
        page_one = (await client.get("/public/v1/model_hub?page_size=1&page=1")).headers["ETag"]
        page_two = (await client.get("/public/v1/model_hub?page_size=1&page=2")).headers["ETag"]
        assert page_one != page_two
