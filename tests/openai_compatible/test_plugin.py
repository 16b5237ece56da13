"""hub-openai-compatible against fake vLLM and Ollama servers on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from openai_servers import OLLAMA_MODELS, OLLAMA_TAGS, json_route, models_body, serving, vllm_model

import hub_openai_compatible
from hub_core import Endpoint, ProviderConfigError, Target, hookimpl
from hub_core.testing import app_client, make_hub

KEY = "sk-vllm-0123456789abcdef"
VLLM = {"/v1/models": json_route(models_body(vllm_model("meta-llama/Llama-3.1-8B-Instruct", 131072)))}


def hub_for(servers: list[dict[str, Any]] | None = None, **plugins: object) -> Any:
    config = {"openai_compatible": {"servers": servers}} if servers is not None else {}
    return make_hub({"openai_compatible": hub_openai_compatible, **plugins}, providers=config, discovery_timeout=3)


async def model_hub(hub: Any) -> tuple[int, Any]:
    async with app_client(hub) as client:
        response = await client.get("/public/model_hub", params={"provider": "openai_compatible"})
    return response.status_code, response.json()


async def test_environment_url_gives_the_vllm_context_window(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(VLLM) as vllm:
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", f"{vllm.url}/v1/")  # a trailing /v1 is accepted
        status, groups = await model_hub(hub_for())
    assert status == 200
    [group] = groups
    assert group["model_group"] == "openai_compatible/meta-llama/Llama-3.1-8B-Instruct"
    assert group["max_input_tokens"] == 131072
    assert group["target"] == "default" and group["endpoint_url"] == f"{vllm.url}/v1"
    assert group["input_cost_per_token"] is None
    assert vllm.requests[0][0] == "/v1/models" and vllm.authorizations() == [None]


async def test_two_environment_servers_and_the_key_goes_only_to_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    other = {"/v1/models": json_route(models_body(vllm_model("phi-4", 16384)))}
    with serving(VLLM) as gpu1, serving(other) as gpu2:
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", f"gpu1={gpu1.url}, gpu2={gpu2.url}")
        monkeypatch.setenv("OPENAI_COMPATIBLE_GPU1_API_KEY", KEY)
        status, groups = await model_hub(hub_for())
    assert status == 200
    assert {g["model_group"]: g["target"] for g in groups} == {
        "openai_compatible/meta-llama/Llama-3.1-8B-Instruct": "gpu1",
        "openai_compatible/phi-4": "gpu2",
    }
    assert gpu1.authorizations() == [f"Bearer {KEY}"]
    assert gpu2.authorizations() == [None]
    assert all(KEY not in path for path, _ in gpu1.requests), "the key is a header, never in the URL"


async def test_toml_servers_with_ollama_details_and_ollama_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    ollama_routes = {"/v1/models": json_route(OLLAMA_MODELS), "/api/tags": json_route(OLLAMA_TAGS)}
    monkeypatch.setenv("VLLM_KEY", KEY)
    with serving(VLLM) as vllm, serving(ollama_routes) as ollama:
        servers = [
            {"name": "vllm", "base_url": vllm.url, "api_key_env": "VLLM_KEY"},
            {"name": "laptop", "base_url": ollama.url, "ollama": True},
        ]
        hub = hub_for(servers)
        async with app_client(hub) as client:
            endpoints = (await client.get("/public/openai_compatible/endpoints")).json()
            groups = (await client.get("/public/model_hub", params={"provider": "openai_compatible"})).json()
    by_name = {e["name"]: e for e in endpoints["endpoints"]}
    assert by_name["llama3.1:latest"]["description"] == "llama 8.0B Q4_K_M"
    assert by_name["llama3.1:latest"]["entities"][0]["version"] == "46e0c10c039e"
    assert by_name["llama3.1:latest"]["creator"] == "library"
    llama = next(g for g in groups if g["model_group"] == "openai_compatible/llama3.1:latest")
    assert llama["input_cost_per_token"] == 0.0 and llama["max_input_tokens"] == 8192  # ollama/llama3.1
    assert llama["mode"] == "chat"
    qwen = next(g for g in groups if g["model_group"] == "openai_compatible/qwen2.5:7b")
    assert qwen["max_input_tokens"] is None and qwen["mode"] == "unknown"
    assert [p for p, _ in ollama.requests] == ["/v1/models", "/api/tags"]
    assert ollama.authorizations() == [None, None]
    assert vllm.authorizations() == [f"Bearer {KEY}"]


async def test_a_self_hosted_gpt_4o_gets_no_openai_prices_unless_configured() -> None:
    routes = {"/v1/models": json_route(models_body(vllm_model("gpt-4o", 32768)))}
    with serving(routes) as server:
        _, [plain] = await model_hub(hub_for([{"name": "a", "base_url": server.url}]))
        _, [priced] = await model_hub(hub_for([{"name": "a", "base_url": server.url, "catalog_prefixes": ["openai"]}]))
    assert plain["input_cost_per_token"] is None and plain["output_cost_per_token"] is None
    assert plain["max_input_tokens"] == 32768
    assert priced["input_cost_per_token"] and priced["input_cost_per_token"] > 0
    assert priced["max_input_tokens"] == 32768, "the server's own window wins over the catalog's"


@pytest.mark.parametrize("key", ["api_key", "token", "bearer_secret"])
async def test_inline_secrets_in_toml_are_refused(key: str) -> None:
    hub = hub_for([{"name": "a", "base_url": "http://127.0.0.1:9", key: KEY}])
    async with app_client(hub) as client:
        response = await client.get("/public/openai_compatible/endpoints")
        providers = (await client.get("/public/providers")).json()
    assert response.status_code == 503
    assert response.json()["type"] == "urn:hub-core:problem:provider-config"
    assert "api_key_env" in response.json()["detail"]
    assert KEY not in response.text and KEY not in str(providers)


@pytest.mark.parametrize(
    ("server", "fault"),
    [
        ({"name": "a", "base_url": "ftp://x"}, "base_url"),
        ({"name": "a", "base_url": "http://u:p@x"}, "base_url"),
        ({"name": "a b", "base_url": "http://x"}, "name"),
        ({"name": "a", "base_url": "http://x", "api_key_env": "UNSET_VAR"}, "UNSET_VAR"),
        ({"name": "a", "base_url": "http://x", "timeout": 0}, "timeout"),
        ({"name": "a", "base_url": "http://x", "catalog_prefixes": "openai"}, "catalog_prefixes"),
        ({"name": "a", "base_url": "http://x", "color": "red"}, "color: Extra inputs"),
    ],
)
def test_wrong_configuration_says_what_to_change(server: dict[str, Any], fault: str) -> None:
    with pytest.raises(ProviderConfigError, match=fault):
        hub_openai_compatible.configured_targets(config={"servers": [server]})


async def test_two_servers_with_one_name_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9")
    hub = hub_for([{"name": "default", "base_url": "http://x"}])
    with pytest.raises(ProviderConfigError, match="more than one target named 'default'"):
        await hub.targets("openai_compatible")
    await hub.aclose()


def test_not_configured_is_an_empty_list() -> None:
    assert hub_openai_compatible.configured_targets(config={}) == []


@pytest.mark.parametrize(
    ("status", "problem"),
    [(401, "provider-auth"), (403, "provider-auth"), (500, "provider-error"), (503, "provider-unavailable")],
)
async def test_upstream_errors_that_echo_the_key_never_leak_it(
    monkeypatch: pytest.MonkeyPatch, status: int, problem: str
) -> None:
    echo = b'{"error": {"message": "bad credentials: {auth}", "type": "invalid_request_error"}}'
    with serving({"/v1/models": json_route(echo, status)}) as server:
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", f"gpu1={server.url}")
        monkeypatch.setenv("OPENAI_COMPATIBLE_GPU1_API_KEY", KEY)
        hub = hub_for()
        async with app_client(hub) as client:
            response = await client.get("/public/openai_compatible/endpoints")
            providers = await client.get("/public/providers")
    assert response.json()["type"] == f"urn:hub-core:problem:{problem}"
    assert "'gpu1'" in response.json()["detail"] and "bad credentials" in response.json()["detail"]
    for text in (response.text, providers.text):
        assert KEY not in text and KEY[:12] not in text


async def test_a_key_echoed_in_a_good_list_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    item = {**vllm_model("m", 4096), "owned_by": "{auth}", "root": "/models/{auth}"}
    with serving({"/v1/models": json_route(models_body(item))}) as server:
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", KEY)
        async with app_client(hub_for()) as client:
            endpoints = await client.get("/public/openai_compatible/endpoints")
            groups = await client.get("/public/model_hub")
    assert endpoints.json()["endpoints"][0]["name"] == "m"
    assert KEY not in endpoints.text and KEY not in groups.text
    assert "[REDACTED]" in endpoints.json()["endpoints"][0]["creator"]


async def test_a_lora_adapter_names_its_base_model() -> None:
    base, lora = vllm_model("llama-3.1-8b", 8192), vllm_model("sql-lora", 8192, parent="llama-3.1-8b")
    with serving({"/v1/models": json_route(models_body(base, lora))}) as server:
        async with app_client(hub_for([{"name": "a", "base_url": server.url}])) as client:
            endpoints = (await client.get("/public/openai_compatible/endpoints")).json()["endpoints"]
    by_name = {e["name"]: e for e in endpoints}
    assert by_name["sql-lora"]["served_by"] == "lora_adapter"
    assert by_name["sql-lora"]["entities"][0]["name"] == "llama-3.1-8b"
    assert by_name["llama-3.1-8b"]["served_by"] == "model"
    assert by_name["llama-3.1-8b"]["entities"][0]["name"] == "/models/llama-3.1-8b"


async def test_odd_fields_in_a_list_are_left_out_not_fatal() -> None:
    odd = [{**vllm_model("a", 4096), "created": 10**30}, {"id": "b", "created": "yesterday", "max_model_len": True}]
    routes = {
        "/v1/models": json_route(models_body(*odd, {"object": "model"}, {"id": ["c"]}, "d")),
        "/api/tags": json_route(b'{"models": [{"model": "a", "digest": 7, "details": ["gguf"]}]}'),
    }
    with serving(routes) as server:
        async with app_client(hub_for([{"name": "x", "base_url": server.url, "ollama": True}])) as client:
            endpoints = (await client.get("/public/openai_compatible/endpoints")).json()["endpoints"]
            groups = (await client.get("/public/model_hub")).json()
    assert [(e["name"], e["created_at"]) for e in endpoints] == [("a", None), ("b", None)]
    assert endpoints[0]["entities"][0]["version"] == "7" and endpoints[0]["description"] is None
    assert {g["model_group"]: g["max_input_tokens"] for g in groups} == {
        "openai_compatible/a": 4096,
        "openai_compatible/b": None,
    }


async def test_redirects_are_not_followed_so_the_key_stays_home(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(VLLM) as elsewhere:
        redirect = {"/v1/models": (302, {"Location": f"{elsewhere.url}/v1/models"}, b"")}
        with serving(redirect) as server:
            monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.url)
            monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", KEY)
            async with app_client(hub_for()) as client:
                response = await client.get("/public/openai_compatible/endpoints")
    assert response.json()["type"] == "urn:hub-core:problem:provider-error"
    assert "302" in response.json()["detail"]
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (json_route(b"<html>gateway</html>"), "not JSON"),
        (json_route(b'{"object": "list"}'), "'data' list"),
        (json_route(b'{"data": [' + b'"x",' * 6_000_000 + b'"x"]}'), "larger than"),
    ],
)
async def test_unusable_answers_name_the_server(route: Any, words: str) -> None:
    with serving({"/v1/models": route}) as server:
        async with app_client(hub_for([{"name": "gpu9", "base_url": server.url}])) as client:
            response = await client.get("/public/openai_compatible/endpoints")
    assert response.json()["type"] == "urn:hub-core:problem:provider-error"
    assert "'gpu9'" in response.json()["detail"] and words in response.json()["detail"]


class Other:
    @hookimpl
    def configured_targets(self) -> list[Target]:
        return [Target(name="only")]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider="other", name="fine", target=target.name)]


async def test_a_down_server_degrades_only_this_provider() -> None:
    with serving(VLLM) as up:
        down = f"http://127.0.0.1:{up.httpd.server_address[1]}"
    with serving(VLLM) as up:
        servers = [{"name": "up", "base_url": up.url}, {"name": "down", "base_url": down, "timeout": 2}]
        hub = hub_for(servers, other=Other())
        async with app_client(hub) as client:
            endpoints = (await client.get("/public/openai_compatible/endpoints")).json()
            everything = (await client.get("/public/model_hub")).json()
            providers = {p["name"]: p for p in (await client.get("/public/providers")).json()}
    assert [e["name"] for e in endpoints["endpoints"]] == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert any("'down'" in e and "cannot be reached" in e for e in endpoints["errors"])
    names = {g["model_group"] for g in everything}
    assert {"other/fine", "openai_compatible/meta-llama/Llama-3.1-8B-Instruct"} <= names
    assert providers["other"]["status"] == "ok"
