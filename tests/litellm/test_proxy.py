"""The hub inside LiteLLM's real proxy: its routes, LiteLLM's auth and models, a call through it."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
import yaml

from hub_databricks.testing import rich_workspace

from .conftest import MASTER_KEY, Proxies, Proxy

CHAT = "databricks-meta-llama-3-3-70b-instruct"
EMBED = "databricks-gte-large-en"
RICH = sorted(f"databricks/{e['name']}" for e in rich_workspace())
# Routes the hub answers in place of LiteLLM's own.
HUB_OVERRIDES = {"/public/model_hub", "/public/providers", "/public/v1/model_hub"}
LITELLM_401 = {"type": "auth_error", "param": "None", "code": "401"}


def litellm_types() -> Any:
    from litellm.types.proxy.management_endpoints.management_v1 import FacetListResponse, ListResponse
    from litellm.types.proxy.management_endpoints.model_management_endpoints import ModelGroupInfoProxy

    return ModelGroupInfoProxy, ListResponse, FacetListResponse


def test_model_hub_lists_the_workspaces_live_endpoints_as_litellm_entries(proxy: Proxy) -> None:
    model_group_info, _, _ = litellm_types()
    with proxy.client(key=None) as client:  # LiteLLM lists /public/model_hub among its public routes
        response = client.get("/public/model_hub", params={"provider": "databricks"})
    assert response.status_code == 200, response.text
    entries = response.json()
    assert sorted(e["model_group"] for e in entries) == RICH
    assert next(e for e in entries if e["model_group"] == f"databricks/{CHAT}")["source"] == "live"
    for entry in entries:
        model_group_info.model_validate(entry)


def test_v1_model_hub_and_its_facets_are_litellms_list_format(proxy: Proxy) -> None:
    model_group_info, list_response, facet_response = litellm_types()
    with proxy.client(key=None) as client:
        page = client.get("/public/v1/model_hub", params={"page_size": 100})
        facets = {f: client.get(f"/public/v1/model_hub/{f}") for f in ("providers", "modes", "features")}
    assert page.status_code == 200, page.text
    parsed = list_response[model_group_info].model_validate(page.json())
    assert sorted(row.model_group for row in parsed.data) == RICH
    for facet, answer in facets.items():
        assert answer.status_code == 200, (facet, answer.text)
        facet_response.model_validate(answer.json())
    assert "databricks" in str(facets["providers"].json())


@pytest.mark.parametrize(
    "query",
    [
        "sort=-input_cost_per_token&filter[mode][in]=chat&page_size=25",  # LiteLLM's own example query
        "filter[providers][contains]=databricks&q=llama",
        "page=2&page_size=5",
    ],
)
def test_v1_answers_to_litellm_queries_are_litellms_list_format(proxy: Proxy, query: str) -> None:
    model_group_info, list_response, facet_response = litellm_types()
    with proxy.client(key=None) as client:
        page = client.get(f"/public/v1/model_hub?{query}")
        unsorted = "&".join(part for part in query.split("&") if not part.startswith("sort="))  # facets take no sort
        facet = client.get(f"/public/v1/model_hub/modes?{unsorted}")
    assert page.status_code == 200, page.text
    parsed = list_response[model_group_info].model_validate(page.json())
    assert parsed.data and {row.model_group for row in parsed.data} <= set(RICH)
    assert facet.status_code == 200, facet.text
    facet_response.model_validate(facet.json())


@pytest.mark.parametrize(
    "path",
    [
        "/public/databricks/endpoints",
        "/public/databricks/litellm_model_list",
        "/public/databricks/serving_endpoints",
        "/public/providers",
    ],
)
def test_hub_routes_need_a_litellm_key_and_refuse_in_litellms_shape(proxy: Proxy, path: str) -> None:
    with proxy.client(key=None) as anonymous, proxy.client(key="sk-wrong-key") as wrong, proxy.client() as good:
        missing, bad, ok = anonymous.get(path), wrong.get(path), good.get(path)
    assert missing.status_code == 401, missing.text
    error = missing.json()["error"]
    assert {k: error[k] for k in LITELLM_401} == LITELLM_401
    # Without a database LiteLLM cannot look up any key but the master key: a 400 in its own shape.
    assert bad.status_code in (400, 401), bad.text
    assert set(bad.json()["error"]) >= {"message", "type", "code"} and "sk-wrong-key" not in bad.text
    assert ok.status_code == 200, ok.text


def test_litellms_own_public_routes_answer_as_without_the_hub(proxies: Proxies) -> None:
    with proxies.plain.client(key=None) as plain, proxies.hub.client(key=None) as hub:
        schema = plain.get("/openapi.json").json()
        paths = sorted(
            p
            for p, operations in schema["paths"].items()
            if p.startswith("/public/") and "get" in operations and "{" not in p
        )
        theirs = [p for p in paths if p not in HUB_OVERRIDES and not p.startswith("/public/v1/model_hub")]
        assert "/public/model_hub/info" in theirs and "/public/agent_hub" in theirs
        for path in theirs:
            expected, actual = plain.get(path), hub.get(path)
            assert (actual.status_code, actual.headers.get("content-type")) == (
                expected.status_code,
                expected.headers.get("content-type"),
            ), path
            assert actual.content == expected.content, path


def test_litellm_model_list_route_is_the_exported_config(proxies: Proxies) -> None:
    exported = yaml.safe_load(proxies.config.read_text())["model_list"]
    with proxies.hub.client() as client:
        body = client.get("/public/databricks/litellm_model_list").json()
    assert body["model_list"] == exported
    names = {d["model_name"] for d in exported}
    assert f"databricks/{CHAT}" in names and f"databricks/{EMBED}" in names
    assert "databricks/fraud-scorer" not in names  # NOT_READY
    assert all(d["litellm_params"]["api_key"] == "os.environ/DATABRICKS_TOKEN" for d in exported)


def test_chat_completion_through_the_proxy_reaches_the_discovered_endpoint(proxies: Proxies) -> None:
    before = len(proxies.workspace.queries)
    with proxies.hub.client() as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": f"databricks/{CHAT}", "messages": [{"role": "user", "content": "what is on the menu"}]},
        )
        embedded = client.post("/v1/embeddings", json={"model": f"databricks/{EMBED}", "input": ["soup"]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["choices"][0]["message"]["content"] == f"Hello from {CHAT}. You said: what is on the menu"
    assert answer["usage"]["total_tokens"] > 0
    assert embedded.status_code == 200, embedded.text
    assert len(embedded.json()["data"][0]["embedding"]) == 8
    queries = proxies.workspace.queries[before:]
    assert [name for name, _ in queries] == [CHAT, EMBED]
    assert queries[0][1]["messages"] == [{"role": "user", "content": "what is on the menu"}]
    assert MASTER_KEY not in proxies.hub.log()


def test_streamed_chat_completion_through_the_proxy(proxies: Proxies) -> None:
    import json

    body = {"model": f"databricks/{CHAT}", "messages": [{"role": "user", "content": "stream it"}], "stream": True}
    with proxies.hub.client() as client, client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200, response.read().decode()
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    text = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1] if e)
    assert text == f"Hello from {CHAT}. You said: stream it"


def test_router_registers_new_endpoints_and_removes_gone_ones(proxies: Proxies) -> None:
    workspace, new = proxies.workspace, "databricks-new-chat"
    template = next(e for e in workspace.endpoints if e["name"] == CHAT)
    messages = [{"role": "user", "content": "are you new"}]
    with proxies.hub.client() as client:

        def models() -> set[str]:
            return {m["id"] for m in client.get("/v1/models").json()["data"]}

        def call(name: str) -> Any:
            return client.post("/v1/chat/completions", json={"model": f"databricks/{name}", "messages": messages})

        assert f"databricks/{new}" not in models()
        workspace.endpoints.append({**copy.deepcopy(template), "name": new})
        try:
            assert eventually(lambda: f"databricks/{new}" in models()), proxies.hub.log()[-3000:]
            answer = call(new)
            assert answer.status_code == 200, answer.text
            assert answer.json()["choices"][0]["message"]["content"] == f"Hello from {new}. You said: are you new"
        finally:
            workspace.endpoints = [e for e in workspace.endpoints if e["name"] != new]
        assert eventually(lambda: f"databricks/{new}" not in models()), "the deployment was not removed"
        asked = len(workspace.queries)
        gone = call(new)  # LiteLLM answers 429 "no deployments available" for a name it has no deployment for
        assert gone.status_code in (400, 404, 429) and "databricks/databricks-new-chat" in gone.text, gone.text
        assert len(workspace.queries) == asked, "a removed deployment is not called"
        assert f"databricks/{CHAT}" in models() and call(CHAT).status_code == 200, "the other deployments stay"


def eventually(check: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False
