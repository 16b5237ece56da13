"""The paged v1 model-hub API and its facets (LiteLLM's format and grammar), in-process, over the real Databricks
plugin and small test plugins. Where LiteLLM is installed, its own models and list framework check the answers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from hubtest_plugins import FailingProvider, UnconfiguredProvider
from hypothesis import given, settings
from hypothesis import strategies as st

import hub_databricks
from hub_core import Endpoint, ModelGroup, ProviderInfo, Target, hookimpl
from hub_core.browse import parse_facet_query, parse_list_query, sort_rows
from hub_core.catalog import Catalog
from hub_core.errors import BadRequestError, InvalidParameterError
from hub_core.testing import app_client, make_hub
from hub_databricks.testing import FakeWorkspace, rich_workspace

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
async def client(workspace: FakeWorkspace) -> AsyncIterator[httpx.AsyncClient]:
    """Databricks (against the workspace) and the table plugin ``lab``."""
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


async def test_default_page_has_data_meta_and_links(client, workspace):
    body = await get(client)
    assert names(body) == sorted([*RICH, *(g.model_group for g in LAB)])
    meta = body["meta"]
    assert {k: meta[k] for k in ("total_count", "page", "page_size", "total_pages", "sort", "stale")} == {
        "total_count": 20, "page": 1, "page_size": 50, "total_pages": 1, "sort": "model_group", "stale": False,
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
    assert (fraud["health_status"], fraud["health_reason"]) == ("unhealthy", "NOT_READY: UPDATE_FAILED")
    assert fraud["mode"] == "unknown"


async def test_pages_cover_the_list_once_and_link_each_other(client):
    everything = names(await get(client, **{"filter[providers][in]": "databricks"}))
    seen: list[str] = []
    query = "filter%5Bproviders%5D%5Bin%5D=databricks&page_size=4"
    for page in range(1, 5):
        body = await get(client, **{"filter[providers][in]": "databricks", "page": page, "page_size": 4})
        meta, links = body["meta"], body["links"]
        assert (meta["page"], meta["page_size"], meta["total_count"], meta["total_pages"]) == (page, 4, 15, 4)
        assert len(body["data"]) == (4 if page < 4 else 3)
        assert links["self"] == f"{V1}?{query}&page={page}"
        assert links["first"] == f"{V1}?{query}&page=1"
        assert links["last"] == f"{V1}?{query}&page=4"
        assert links["prev"] == (None if page == 1 else f"{V1}?{query}&page={page - 1}")
        assert links["next"] == (None if page == 4 else f"{V1}?{query}&page={page + 1}")
        seen += names(body)
    assert seen == everything


async def test_page_past_the_end_is_empty_with_correct_meta(client):
    body = await get(client, page=9, page_size=10)
    assert body["data"] == []
    assert (body["meta"]["total_count"], body["meta"]["total_pages"], body["meta"]["page"]) == (20, 2, 9)
    assert body["links"]["next"] is None
    assert body["links"]["prev"] == f"{V1}?page_size=10&page=8"  # LiteLLM's: the page before, as asked
    assert body["links"]["last"] == f"{V1}?page_size=10&page=2"


async def test_page_size_is_clamped_to_100_like_litellm(client):
    assert len((await get(client, page_size=1))["data"]) == 1
    for size in (100, 101, 500):
        body = await get(client, page_size=size)
        assert len(body["data"]) == 20 and body["meta"]["page_size"] == 100 and body["meta"]["total_pages"] == 1
    facet = await get(client, f"{V1}/modes", page_size=500)
    assert facet["meta"]["page_size"] == 100


async def test_empty_result_has_zero_pages_and_a_last_link(client):
    body = await get(client, q="no-such-model")
    assert body["data"] == [] and body["meta"]["total_count"] == 0 and body["meta"]["total_pages"] == 0
    assert body["links"]["last"] == f"{V1}?q=no-such-model&page=1"
    assert body["links"]["next"] is None and body["links"]["prev"] is None


async def test_paging_never_calls_the_upstream_again(client, workspace):
    await get(client)
    assert workspace.list_calls == 1
    for page in range(1, 6):
        for sort in ("model_group", "-max_input_tokens,provider", "-available,display_name"):
            await get(client, page=page, page_size=3, sort=sort)
    for facet in ("providers", "modes", "features"):
        await get(client, f"{V1}/{facet}", **{"filter[mode]": "chat"})
    await get(client, q="claude", **{"filter[providers][in]": "databricks", "filter[available]": "true"})
    assert workspace.list_calls == 1


# -- sorting ---------------------------------------------------------------------------------


async def test_sort_ascending_and_descending_with_none_last(lab):
    assert names(await get(lab, sort="max_input_tokens")) == ["lab/a", "lab/c", "lab/e", "lab/d", "lab/b"]
    assert names(await get(lab, sort="-max_input_tokens")) == ["lab/d", "lab/a", "lab/c", "lab/e", "lab/b"]
    assert names(await get(lab, sort="input_cost_per_token")) == ["lab/a", "lab/d", "lab/e", "lab/b", "lab/c"]
    assert names(await get(lab, sort="-input_cost_per_token")) == ["lab/b", "lab/a", "lab/d", "lab/e", "lab/c"]
    assert names(await get(lab, sort="-model_group")) == ["lab/e", "lab/d", "lab/c", "lab/b", "lab/a"]


async def test_sort_by_several_keys_with_model_group_as_tie_breaker(lab):
    body = await get(lab, sort="mode,-max_input_tokens")
    # lab/d has no mode: it sorts as "unknown", the value it is sent with.
    assert names(body) == ["lab/a", "lab/e", "lab/b", "lab/c", "lab/d"]
    assert body["meta"]["sort"] == "mode,-max_input_tokens"
    assert names(await get(lab, sort="-mode,input_cost_per_token")) == ["lab/d", "lab/c", "lab/a", "lab/e", "lab/b"]
    # Text sorts ignore case; None (no display name) last.
    assert names(await get(lab, sort="display_name")) == ["lab/b", "lab/a", "lab/c", "lab/d", "lab/e"]
    assert names(await get(lab, sort="-display_name")) == ["lab/a", "lab/b", "lab/c", "lab/d", "lab/e"]
    # Booleans: available first when descending.
    assert names(await get(lab, sort="-available")) == ["lab/a", "lab/b", "lab/c", "lab/e", "lab/d"]
    assert names(await get(lab, sort="available,-model_group")) == ["lab/d", "lab/e", "lab/c", "lab/b", "lab/a"]
    # rpm and tpm (LiteLLM's) are accepted; the hub has none, so model_group decides.
    assert names(await get(lab, sort="-rpm,tpm")) == ["lab/a", "lab/b", "lab/c", "lab/d", "lab/e"]


async def test_sort_by_provider_and_source_across_providers(client):
    body = await get(client, sort="-provider", page_size=100)
    providers = [g["providers"][0] for g in body["data"]]
    assert providers == ["lab"] * 5 + ["databricks"] * 15
    assert names(body)[:5] == ["lab/a", "lab/b", "lab/c", "lab/d", "lab/e"]  # ties by model_group
    assert names(await get(client, sort="-providers", page_size=100)) == names(body)
    assert (await get(client, sort=" provider , source"))["meta"]["sort"] == "provider,source"


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
    assert (await get(client, q=""))["meta"]["total_count"] == 20


async def test_providers_filter_in_and_contains(client):
    assert names(await get(client, **{"filter[providers][in]": "lab"})) == [g.model_group for g in LAB]
    assert (await get(client, **{"filter[providers][in]": "databricks"}))["meta"]["total_count"] == 15
    assert (await get(client, **{"filter[providers][in]": "lab, databricks"}))["meta"]["total_count"] == 20
    assert (await get(client, **{"filter[providers][contains]": "BRICK"}))["meta"]["total_count"] == 15
    assert set((await get(client, **{"filter[providers][in]": "lab"}))["meta"]["providers"]) == {"lab"}
    # A value that is no provider matches nothing (LiteLLM's semantics), with no error.
    nothing = await get(client, **{"filter[providers][in]": "nope"})
    assert nothing["data"] == [] and nothing["meta"]["providers"] == {}


async def test_mode_filter_eq_and_in(client):
    embedding = names(await get(client, **{"filter[mode]": "embedding"}))
    assert embedding == [
        "databricks/azure-text-embedding-3-large",
        "databricks/databricks-bge-large-en",
        "databricks/databricks-gte-large-en",
        "lab/c",
    ]
    assert (await get(client, **{"filter[mode][in]": "completion,embedding"}))["meta"]["total_count"] == 6
    assert names(await get(client, **{"filter[mode]": "unknown"})) == [
        "databricks/churn-classifier-uc",
        "databricks/fraud-scorer",
        "lab/d",
    ]
    assert (await get(client, **{"filter[mode]": "Chat"}))["meta"]["total_count"] == 0  # exact, as in LiteLLM


async def test_features_in_matches_any_listed_feature(client):
    vision = await get(client, **{"filter[features][in]": "vision"})
    assert all(g["supports_vision"] for g in vision["data"]) and vision["meta"]["total_count"] == 5
    either = await get(client, **{"filter[features][in]": "vision,reasoning"}, page_size=100)
    assert all(g["supports_vision"] or g["supports_reasoning"] for g in either["data"])
    assert either["meta"]["total_count"] == 6  # 5 with vision, 3 with reasoning, 2 with both
    assert names(await get(client, **{"filter[features][in]": "parallel_function_calling"})) == [
        "databricks/openai-gpt-4o"
    ]
    assert (await get(client, **{"filter[features][in]": "web_search"}))["meta"]["total_count"] == 0


async def test_available_and_source_filters(client):
    assert names(await get(client, **{"filter[available]": "false"})) == [
        "databricks/fraud-scorer",
        "databricks/openai-completions",
        "lab/d",
    ]
    assert (await get(client, **{"filter[available]": "TRUE"}))["meta"]["total_count"] == 17


async def test_source_filter_and_catalog_entries():
    hub = make_hub({"lab": TablePlugin("lab", LAB), "anthropic": UnconfiguredProvider()})
    async with app_client(hub) as http:
        catalog = await get(http, **{"filter[source]": "catalog"}, page_size=100)
        live = await get(http, **{"filter[source][in]": "live"})
    assert catalog["meta"]["total_count"] > 0
    assert {g["source"] for g in catalog["data"]} == {"catalog"}
    assert {g["health_status"] for g in catalog["data"]} == {None}  # nobody checked a catalog entry
    assert all(g["model_group"].startswith("anthropic/") for g in catalog["data"])
    assert catalog["meta"]["providers"]["anthropic"] == {
        "source": "catalog", "stale": False, "fetched_at": None, "errors": [], "warnings": [],
    }  # fmt: skip
    assert names(live) == [g.model_group for g in LAB]


async def test_filters_combine_with_and(client):
    body = await get(
        client,
        q="sonnet",
        **{"filter[providers][in]": "databricks", "filter[mode]": "chat", "filter[features][in]": "vision",
           "filter[available]": "true"},
    )  # fmt: skip
    assert names(body) == ["databricks/anthropic-claude-sonnet", "databricks/databricks-claude-3-7-sonnet",
                           "databricks/databricks-claude-sonnet-4-5"]  # fmt: skip


# -- facets ----------------------------------------------------------------------------------


async def test_facets_are_plain_strings_with_counts_alongside(client):
    providers = await get(client, f"{V1}/providers")
    assert providers["data"] == ["databricks", "lab"]
    assert providers["meta"]["counts"] == {"databricks": 15, "lab": 5}
    assert providers["meta"]["labels"] == {"databricks": "Databricks", "lab": "Table lab"}
    assert (providers["meta"]["page"], providers["meta"]["page_size"], providers["meta"]["has_more"]) == (1, 50, False)
    assert providers["meta"]["total"] == 20 and set(providers["meta"]["providers"]) == {"databricks", "lab"}
    assert providers["links"] == {"self": f"{V1}/providers?page=1", "prev": None, "next": None}
    modes = await get(client, f"{V1}/modes")
    assert modes["data"] == ["chat", "completion", "embedding", "responses", "unknown"]
    assert modes["meta"]["counts"] == {"chat": 10, "completion": 2, "embedding": 4, "responses": 1, "unknown": 3}
    features = await get(client, f"{V1}/features")
    assert features["data"] == ["function_calling", "parallel_function_calling", "reasoning", "vision"]
    assert features["meta"]["counts"] == {
        "function_calling": 6, "parallel_function_calling": 1, "reasoning": 3, "vision": 5,
    }  # fmt: skip


async def test_facets_follow_the_same_filters_and_page(client):
    modes = await get(client, f"{V1}/modes", **{"filter[providers][in]": "lab"})
    assert modes["data"] == ["chat", "embedding", "unknown"]
    assert modes["meta"]["counts"] == {"chat": 3, "embedding": 1, "unknown": 1} and modes["meta"]["total"] == 5
    providers = await get(client, f"{V1}/providers", **{"filter[mode]": "chat", "filter[available]": "true"})
    assert providers["meta"]["counts"] == {"databricks": 7, "lab": 3}
    features = await get(client, f"{V1}/features", q="claude", **{"filter[features][in]": "reasoning"})
    assert features["meta"]["counts"] == {"function_calling": 2, "reasoning": 2, "vision": 2}
    assert (await get(client, f"{V1}/providers", q="nothing-matches"))["data"] == []
    first = await get(client, f"{V1}/modes", page_size=2)
    second = await get(client, f"{V1}/modes", page_size=2, page=2)
    third = await get(client, f"{V1}/modes", page_size=2, page=3)
    assert (first["data"], first["meta"]["has_more"]) == (["chat", "completion"], True)
    assert first["links"]["next"] == f"{V1}/modes?page_size=2&page=2"
    assert (second["data"], third["data"]) == (["embedding", "responses"], ["unknown"])
    assert third["meta"]["has_more"] is False
    assert third["links"]["next"] is None and third["links"]["prev"] == f"{V1}/modes?page_size=2&page=2"


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "slug", "parameter"),
    [
        ("page=0", "invalid-parameter", "page"),
        ("page=-1", "invalid-parameter", "page"),
        ("page=abc", "invalid-parameter", "page"),
        ("page_size=0", "invalid-parameter", "page_size"),
        ("page_size=x", "invalid-parameter", "page_size"),
        ("sort=unknown_field", "invalid-sort-field", "sort"),
        ("sort=model_group,-nope", "invalid-sort-field", "sort"),
        ("sort=model_group,,mode", "invalid-sort-field", "sort"),
        ("sort=mode,-mode", "duplicate-sort-field", "sort"),
        ("filter[mode][gte]=chat", "unsupported-filter-operator", "filter[mode][gte]"),
        ("filter[features]=vision", "unsupported-filter-operator", "filter[features]"),
        ("filter[available]=maybe", "invalid-parameter", "filter[available]"),
        ("q=" + "x" * 201, "invalid-parameter", "q"),
        ("filter[mode]=" + "x" * 1001, "invalid-parameter", "filter[mode]"),
    ],
)
async def test_bad_value_is_400_problem_naming_it(lab, query, slug, parameter):
    paths = (V1,) if parameter.startswith(("page", "sort")) else (V1, f"{V1}/modes")
    for path in paths if parameter != "sort" else (V1,):
        response = await lab.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == 400 and problem["title"]
        assert problem["type"] == f"urn:hub-core:problem:{slug}"
        assert problem["parameter"] == parameter and parameter in problem["detail"]
    if slug in ("invalid-sort-field", "duplicate-sort-field"):
        assert "tpm" in problem["allowed"] and "display_name" in problem["allowed"]


@pytest.mark.parametrize(
    "query",
    ["provider=lab", "mode=chat", "features=vision", "available=true", "filter[nope]=1", "filter[mode][bogus]=x",
     "pagesize=10", "filter[mode][in][x]=chat"],
)  # fmt: skip
async def test_unknown_parameters_are_refused_with_the_allowed_list(lab, query):
    for path in (V1, f"{V1}/providers"):
        response = await lab.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        problem = response.json()
        assert problem["type"] == "urn:hub-core:problem:unknown-query-parameter"
        assert "filter[mode][in]" in problem["allowed"] and "page_size" in problem["allowed"]
        assert ("sort" in problem["allowed"]) is (path == V1)


async def test_sort_is_unknown_on_facets_and_repeats_are_refused(lab):
    assert (await lab.get(f"{V1}/modes?sort=model_group")).json()["type"].endswith("unknown-query-parameter")
    for path in (V1, f"{V1}/modes"):
        for query in ("page=1&page=2", "filter[mode][in]=chat&filter[mode][in]=embedding", "q=a&q=b"):
            response = await lab.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert response.json()["type"] == "urn:hub-core:problem:duplicate-query-parameter"


async def test_thousands_of_unknown_names_give_a_small_problem(lab):
    names = [(f"filter[nope{i:04d}]", "1") for i in range(2000)]  # about 46 KB of query
    for path in (V1, f"{V1}/modes"):
        response = await lab.get(path, params=names)
        assert response.status_code == 400 and len(response.content) < 2048, (path, len(response.content))
        detail = response.json()["detail"]
        assert "filter[nope0000]" in detail and "and 1,995 more" in detail


async def test_unknown_names_are_checked_before_values_like_litellm(lab):
    """LiteLLM's order: unknown names, then page, page_size, sort, filters, then repeats (list route)."""
    both = await lab.get(f"{V1}?page=0&bogus=1")
    assert both.json()["type"].endswith("unknown-query-parameter")
    assert (await lab.get(f"{V1}?page=0&sort=nope")).json()["parameter"] == "page"
    assert (await lab.get(f"{V1}?sort=nope&page=1&page=2")).json()["type"].endswith("invalid-sort-field")
    assert (await lab.get(f"{V1}/modes?page=0&page=1")).json()["type"].endswith("duplicate-query-parameter")


@pytest.mark.parametrize("parameter", ["sort", "filter[available]", "page", "q"])
async def test_bad_value_is_not_echoed(lab, parameter):
    response = await lab.get(V1, params={parameter: "model_group,<script>secret-value</script>" * 10})
    assert response.status_code == 400 and "secret-value" not in response.text
    assert parameter in response.json()["detail"]


async def test_odd_parameter_names_are_not_echoed(lab):
    response = await lab.get(V1, params={"<script>secret-name</script>": "1", "plain_name": "2"})
    assert response.status_code == 400 and "secret-name" not in response.text
    assert "plain_name" in response.json()["detail"]


async def test_failing_provider_is_left_out_unless_named():
    down = FailingProvider("down")
    hub = make_hub({"lab": TablePlugin("lab", LAB), "down": down})
    async with app_client(hub) as http:
        merged = await get(http)
        asked = await http.get(V1, params={"filter[providers][in]": "lab,down"})
        facet = await http.get(f"{V1}/modes", params={"filter[providers][in]": "down"})
    assert names(merged) == [g.model_group for g in LAB] and set(merged["meta"]["providers"]) == {"lab"}
    for response in (asked, facet):
        assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
        assert response.json()["provider"] == "down"


async def test_stale_data_is_flagged(workspace):
    hub = make_hub({"databricks": hub_databricks}, cache_ttl=0.2, stale_ttl=600)
    async with app_client(hub) as http:
        fresh = await get(http)
        workspace.inject("503", times=50)
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


async def test_openapi_documents_v1_and_its_grammar(lab):
    schema = (await lab.get("/openapi.json")).json()
    for path in (V1, f"{V1}/providers", f"{V1}/modes", f"{V1}/features"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"][V1]["get"]["parameters"]}
    assert params == {
        "page", "page_size", "sort", "q", "filter[mode]", "filter[mode][in]", "filter[providers][contains]",
        "filter[providers][in]", "filter[features][in]", "filter[available]", "filter[source]", "filter[source][in]",
    }  # fmt: skip
    assert "sort" not in {p["name"] for p in schema["paths"][f"{V1}/modes"]["get"]["parameters"]}
    assert not any(p.startswith("/hub") for p in schema["paths"])


def test_parsers_follow_litellm_rules():
    parsed = parse_list_query([("sort", "-max_input_tokens, provider"), ("page_size", "250"), ("q", "x")])
    assert parsed.sort == (("max_input_tokens", True), ("provider", False)) and parsed.page_size == 100
    facet = parse_facet_query([("filter[mode][in]", "chat, embedding,"), ("filter[available]", "false")])
    assert facet.query.predicates == (("available", "eq", False), ("mode", "in", frozenset({"chat", "embedding", ""})))


NAMES = st.sampled_from(
    ["page", "page_size", "sort", "q", "filter[mode]", "filter[mode][in]", "filter[providers][in]",
     "filter[providers][contains]", "filter[features][in]", "filter[available]", "filter[source]", "filter[mode][gt]"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(NAMES | st.text(max_size=12), st.text(max_size=40)), max_size=6))
def test_any_query_parses_or_is_a_400_problem(pairs):
    for parse in (parse_list_query, parse_facet_query):
        try:
            parsed = parse(pairs)
        except BadRequestError as error:
            assert error.status == 400 and error.problem()["type"].startswith("urn:hub-core:problem:")
            if isinstance(error, InvalidParameterError):
                assert error.parameter
        else:
            assert 1 <= parsed.page_size <= 100 and parsed.page >= 1


async def test_v1_routes_say_how_fresh_they_are_and_answer_304():
    from hubtest_plugins import StaticProvider

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


# -- LiteLLM's own models and list framework (skipped where litellm is not installed) --------------


@pytest.fixture(scope="module")
def litellm_v1() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch on import
    pytest.importorskip("litellm.proxy.public_endpoints.public_v1.model_hub", reason="litellm[proxy] not installed")
    from litellm.proxy.public_endpoints.public_v1 import model_hub

    return model_hub


LITELLM_QUERIES: list[dict[str, str]] = [
    {},
    {"page_size": "4", "page": "2"},
    {"sort": "-max_input_tokens"},
    {"sort": "mode,-input_cost_per_token", "page_size": "7"},
    {"sort": "-providers,max_output_tokens"},
    {"filter[mode][in]": "chat,embedding"},
    {"filter[mode]": "unknown"},
    {"filter[providers][in]": "lab"},
    {"filter[providers][contains]": "BRICKS"},
    {"filter[features][in]": "vision,reasoning", "sort": "-output_cost_per_token"},
    {"q": "claude"},
    {"q": "LAB/", "filter[mode]": "chat"},
    {"page_size": "500"},
]


@pytest.mark.parametrize("params", LITELLM_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "-")
async def test_answers_validate_against_litellm_and_match_its_list_framework(client, litellm_v1, params):
    """The hub's page is a ``ListResponse[ModelGroupInfoProxy]``, and it holds what LiteLLM's own list
    framework answers for the same query over the same rows (in the same order)."""
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.list_api.in_memory import InMemoryListExecutor
    from litellm.proxy.list_api.list_framework import build_query_plan
    from litellm.types.proxy.management_endpoints.management_v1 import ListResponse
    from litellm.types.proxy.management_endpoints.model_management_endpoints import ModelGroupInfoProxy

    body = await get(client, **params)
    page = ListResponse[ModelGroupInfoProxy].model_validate(body)
    everything = (await get(client, page_size=100))["data"]
    rows = [ModelGroupInfoProxy.model_validate(g) for g in everything]
    plan = build_query_plan(litellm_v1.MODEL_HUB_LIST_SPEC, params, UserAPIKeyAuth())
    assert not hasattr(plan, "status"), plan
    executor = InMemoryListExecutor(rows=rows, cells=litellm_v1._cells)
    expected = [row.model_group for row in await executor.find_many(plan)]
    assert [row.model_group for row in page.data] == expected
    assert page.meta.total_count == await executor.count(plan.where)
    assert page.meta.page_size == plan.take
    unhealthy = [r for r in page.data if r.health_status == "unhealthy"]
    assert all(not g["available"] for g in body["data"] if g["model_group"] in {r.model_group for r in unhealthy})


@pytest.mark.parametrize("facet", ["providers", "modes", "features"])
@pytest.mark.parametrize("params", [{}, {"filter[mode][in]": "chat"}, {"page_size": "2", "page": "2"}, {"q": "gpt"}])
async def test_facets_validate_against_litellm_and_match_its_distinct_values(client, litellm_v1, facet, params):
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.list_api.in_memory import InMemoryListExecutor
    from litellm.proxy.list_api.list_framework import _facet_where
    from litellm.types.proxy.management_endpoints.management_v1 import FacetListResponse
    from litellm.types.proxy.management_endpoints.model_management_endpoints import ModelGroupInfoProxy

    body = await get(client, f"{V1}/{facet}", **params)
    answer = FacetListResponse.model_validate(body)
    rows = [ModelGroupInfoProxy.model_validate(g) for g in (await get(client, page_size=100))["data"]]
    where = _facet_where(litellm_v1.MODEL_HUB_LIST_SPEC, params, UserAPIKeyAuth())
    values = await InMemoryListExecutor(rows=rows, cells=litellm_v1._cells).distinct(
        litellm_v1.MODEL_HUB_FACETS[facet], where
    )
    size, page = int(params.get("page_size", 50)), int(params.get("page", 1))
    assert list(answer.data) == list(values[(page - 1) * size : page * size])
    assert answer.meta.has_more is (len(values) > page * size)


async def test_litellm_problem_for_the_same_bad_query_has_the_same_slug(lab, litellm_v1):
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.list_api.list_framework import build_query_plan

    for params in ({"bogus": "1"}, {"sort": "nope"}, {"sort": "mode,mode"}, {"filter[mode][gte]": "a"}, {"page": "0"}):
        theirs = build_query_plan(litellm_v1.MODEL_HUB_LIST_SPEC, params, UserAPIKeyAuth())
        ours = (await lab.get(V1, params=params)).json()
        assert ours["status"] == theirs.status == 400
        slug = theirs.type.removeprefix("urn:litellm:error:")
        expected = "invalid-parameter" if slug == "invalid-query-parameter" else slug
        assert ours["type"] == f"urn:hub-core:problem:{expected}", (params, ours, theirs)


def test_entries_say_what_litellms_dashboard_shows():
    down = ModelGroup(model_group="p/x", providers=["p"], mode=None, available=False, state="NOT_READY",
                      state_reason="UPDATE_FAILED")  # fmt: skip
    wire = down.model_dump(mode="json")
    assert (wire["health_status"], wire["health_reason"], wire["mode"]) == (
        "unhealthy",
        "NOT_READY: UPDATE_FAILED",
        "unknown",
    )
    assert ModelGroup.model_validate(wire).mode is None  # "unknown" reads back as not known
    assert wire["supported_openai_params"] is None  # no mode, no implied parameters
    up = ModelGroup(model_group="p/y", providers=["p"], mode="chat", supports_function_calling=True,
                    supports_parallel_function_calling=True, supports_reasoning=True)  # fmt: skip
    assert up.health_status == "healthy" and up.health_reason is None
    assert up.supported_openai_params == ["max_tokens", "n", "stop", "stream", "temperature", "top_p", "tools",
                                          "tool_choice", "parallel_tool_calls", "reasoning_effort"]  # fmt: skip
    completion = ModelGroup(model_group="p/c", providers=["p"], mode="completion", supports_function_calling=True)
    assert "tools" not in (completion.supported_openai_params or [])
    given = ModelGroup(model_group="p/z", providers=["p"], mode="chat", supported_openai_params=["stream"])
    assert given.supported_openai_params == ["stream"]  # the catalog's or the provider's list wins
    assert ModelGroup(model_group="p/e", providers=["p"], mode="embedding").supported_openai_params is None
    catalog = ModelGroup(model_group="p/k", providers=["p"], source="catalog", available=True)
    assert catalog.health_status is None and catalog.health_reason is None  # nobody checked it
