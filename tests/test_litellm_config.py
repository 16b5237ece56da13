"""Discovered endpoints -> LiteLLM model_list: one deployment per target, credentials by reference only."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
import yaml
from hubtest_plugins import StaticProvider

from hub_core import Endpoint, ProviderError, Target, hookimpl
from hub_core.litellm_config import credential_problem, litellm_model_list, to_yaml
from hub_core.testing import app_client, make_hub

SECRET_VALUE = "CANARY-litellm-secret-4d2f"


class Exporting(StaticProvider):
    """Two targets; each endpoint is called at its target's URL with a named key."""

    def __init__(self, name: str = "acme", **kwargs: Any) -> None:
        super().__init__(name, **kwargs)

    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
        if endpoint.name == "skip-me":
            return None
        return {
            "model": f"openai/{endpoint.name}",
            "api_base": f"{target.url}/v1",
            "api_key": f"os.environ/ACME_{target.name.upper()}_KEY",
        }


class PartlyDown(Exporting):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [
            Endpoint(provider=self.name, name="up", target=target.name, mode="chat"),
            Endpoint(provider=self.name, name="down", target=target.name, mode="chat", available=False, state="X"),
        ]


class Leaky(Exporting):
    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
        if endpoint.name == "alpha":
            return {"model": "openai/alpha", "api_key": SECRET_VALUE}
        return {"model": "openai/beta", "extra_headers": {"X-Token": SECRET_VALUE}}


class Refusing(Exporting):
    @hookimpl
    async def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any] | None:  # async is fine
        if endpoint.name == "alpha":
            raise ProviderError("Acme cannot export alpha: use a PAT.", provider="acme")
        raise KeyError("plugin bug")


async def test_a_group_in_two_targets_is_two_deployments_under_one_name():
    hub = make_hub({"acme": Exporting(targets=2, endpoints=["alpha", "skip-me"])})
    result = await litellm_model_list(hub, "acme")
    assert [(d.model_name, d.litellm_params["api_base"]) for d in result.model_list] == [
        ("acme/alpha", "https://acme-0.example/v1"),
        ("acme/alpha", "https://acme-1.example/v1"),
    ]
    ids = [d.model_info["id"] for d in result.model_list]
    assert ids == ["hub-core:acme:t0:alpha", "hub-core:acme:t1:alpha"]
    assert [d.litellm_params["api_key"] for d in result.model_list] == [
        "os.environ/ACME_T0_KEY",
        "os.environ/ACME_T1_KEY",
    ]
    assert result.model_list[0].model_info["mode"] == "chat"
    assert {(i.target, i.endpoint) for i in result.left_out} == {("t0", "skip-me"), ("t1", "skip-me")}
    assert "does not export chat endpoints" in result.left_out[0].reason
    again = await litellm_model_list(hub, "acme")
    assert [d.model_info["id"] for d in again.model_list] == ids, "ids are stable across calls"


async def test_unavailable_endpoints_are_left_out_with_their_state():
    hub = make_hub({"acme": PartlyDown()})
    result = await litellm_model_list(hub, "acme")
    assert [d.model_name for d in result.model_list] == ["acme/up"]
    [left] = result.left_out
    assert left.endpoint == "down" and left.reason == "not available (X)"


async def test_credential_values_are_refused_and_never_shown(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    hub = make_hub({"acme": Leaky()})
    result = await litellm_model_list(hub, "acme")
    assert result.model_list == []
    reasons = {i.endpoint: i.reason for i in result.left_out}
    assert "litellm_params.api_key holds a value" in reasons["alpha"]
    assert "litellm_params.extra_headers.X-Token holds a value" in reasons["beta"]
    assert SECRET_VALUE not in result.model_dump_json() + to_yaml(result) + caplog.text


def test_credential_problem_accepts_references_and_plain_settings():
    assert credential_problem({"model": "x", "api_key": "os.environ/KEY", "max_tokens": 5, "timeout": "30"}) is None
    assert credential_problem({"api_key": "os.environ/not a name"}) is not None
    assert credential_problem({"aws_secret_access_key": "abc"}) is not None
    assert credential_problem({"api_base": "https://user:pw@example.com"}) == (
        "litellm_params.api_base is a URL with credentials in it"
    )


async def test_hook_errors_leave_out_one_endpoint_with_a_reason(caplog: pytest.LogCaptureFixture):
    hub = make_hub({"acme": Refusing()})
    result = await litellm_model_list(hub, "acme")
    reasons = {i.endpoint: i.reason for i in result.left_out}
    assert reasons == {
        "alpha": "Acme cannot export alpha: use a PAT.",
        "beta": "the provider's litellm_params hook failed: KeyError",
    }
    assert "plugin bug" in caplog.text  # logged with its traceback for the operator


class Unconfigured(Exporting):
    @hookimpl
    def configured_targets(self) -> list[Target]:
        return []


async def test_providers_without_the_hook_or_unconfigured_are_left_out():
    hub = make_hub({"plain": StaticProvider("plain"), "acme": Exporting(), "none": Unconfigured("none")})
    result = await litellm_model_list(hub)
    assert {d.model_name for d in result.model_list} == {"acme/alpha", "acme/beta"}
    reasons = {i.provider: i.reason for i in result.left_out}
    assert reasons == {
        "none": "not configured: it serves the bundled catalog, nothing deployed",
        "plain": "provider 'plain' has no litellm_params hook, so it cannot export",
    }


async def test_yaml_is_a_litellm_config_with_the_same_values():
    hub = make_hub({"acme": Exporting(targets=2, endpoints=["alpha", "skip-me"])})
    result = await litellm_model_list(hub, "acme")
    result.model_list[0].model_info["input_cost_per_token"] = 1e-06  # PyYAML reads "1e-06" as a string
    config = yaml.safe_load(to_yaml(result))
    assert config == {"model_list": [d.model_dump() for d in result.model_list]}
    assert isinstance(config["model_list"][0]["model_info"]["input_cost_per_token"], float)
    assert to_yaml(result).count("# left out: acme t") == 2


async def test_route_answers_the_model_list_and_problem_json_for_unknown_providers():
    hub = make_hub({"acme": Exporting(targets=2)})
    async with app_client(hub) as client:
        response = await client.get("/public/acme/litellm_model_list")
        unknown = await client.get("/public/nope/litellm_model_list")
    assert response.status_code == 200
    body = response.json()
    assert [d["model_info"]["id"] for d in body["model_list"]] == [
        "hub-core:acme:t0:alpha",
        "hub-core:acme:t1:alpha",
        "hub-core:acme:t0:beta",
        "hub-core:acme:t1:beta",
    ]
    assert body["left_out"] == []
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:hub-core:problem:unknown-provider"


class Counting(Exporting):
    """Counts its hook calls and notes the thread each ran in."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threads: list[int] = []

    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
        self.threads.append(threading.get_ident())
        return {"model": f"openai/{endpoint.name}", "api_base": f"{target.url}/v1"}


class AsyncCounting(Counting):
    @hookimpl
    async def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any] | None:
        self.threads.append(threading.get_ident())
        await asyncio.sleep(0)
        return {"model": f"openai/{endpoint.name}"}


PATH = "/public/acme/litellm_model_list"


async def test_many_requests_in_one_refresh_build_the_export_once_and_a_refresh_rebuilds_it():
    plugin = Counting(targets=2, endpoints=["alpha", "beta"])
    hub = make_hub({"acme": plugin})
    async with app_client(hub) as client:
        first = await asyncio.gather(*(client.get(PATH) for _ in range(10)))
        later = [await client.get(PATH) for _ in range(5)]
        assert len(plugin.threads) == 4, "one hook call per endpoint and target, for all 15 requests"
        assert {r.content for r in [*first, *later]} == {first[0].content}
        assert {r.headers["etag"] for r in [*first, *later]} == {first[0].headers["etag"]}
        assert threading.get_ident() not in plugin.threads, "a plain hook runs in a worker thread"
        plugin.endpoint_names = ["alpha", "beta", "gamma"]
        hub.cache.invalidate()  # a new refresh
        refreshed = await client.get(PATH)
        again = await client.get(PATH)
    assert len(plugin.threads) == 4 + 6, "the new data is exported once more, then served as made"
    assert refreshed.headers["etag"] != first[0].headers["etag"]
    assert again.content == refreshed.content
    assert "hub-core:acme:t1:gamma" in [d["model_info"]["id"] for d in refreshed.json()["model_list"]]


async def test_the_body_is_the_models_json_and_an_unchanged_one_is_a_304():
    hub = make_hub({"acme": Exporting(targets=2, endpoints=["alpha", "skip-me"])})
    async with app_client(hub) as client:
        response = await client.get(PATH)
        etag = response.headers["etag"]
        unchanged = await client.get(PATH, headers={"If-None-Match": etag})
        other = await client.get(PATH, headers={"If-None-Match": '"something-else"'})
        hub_etag = (await client.get("/public/model_hub?provider=acme")).headers["etag"]
    assert response.content == (await litellm_model_list(hub, "acme")).model_dump_json().encode()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"].startswith("public, max-age=") and "age" in response.headers
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    assert other.status_code == 200 and other.content == response.content
    assert etag != hub_etag, "its own ETag, not the model hub's"


async def test_an_async_hook_runs_on_the_event_loop_once_per_refresh():
    plugin = AsyncCounting(targets=2, endpoints=["alpha", "beta", "gamma"])
    hub = make_hub({"acme": plugin})
    async with app_client(hub) as client:
        responses = await asyncio.gather(*(client.get(PATH) for _ in range(5)))
    assert set(plugin.threads) == {threading.get_ident()} and len(plugin.threads) == 6
    assert responses[0].json()["model_list"][0]["litellm_params"] == {"model": "openai/alpha"}
    assert {r.content for r in responses} == {responses[0].content}


async def test_the_same_export_serves_the_route_the_cli_and_the_router_sync():
    plugin = Counting(targets=1, endpoints=["alpha"])
    hub = make_hub({"acme": plugin, "plain": StaticProvider("plain")})
    async with app_client(hub) as client:
        body = (await client.get(PATH)).json()
        plain = await client.get("/public/plain/litellm_model_list")
    everything = await litellm_model_list(hub)
    assert len(plugin.threads) == 1
    assert [d.model_dump(mode="json") for d in everything.model_list] == body["model_list"]
    assert [i.provider for i in everything.left_out] == ["plain"]
    assert plain.status_code == 200 and "etag" not in plain.headers, "nothing discovered, nothing to revalidate"
    assert plain.json()["left_out"][0]["reason"] == "provider 'plain' has no litellm_params hook, so it cannot export"
