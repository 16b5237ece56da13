"""Discovered endpoints -> LiteLLM model_list: one deployment per target, credentials by reference only."""

from __future__ import annotations

import logging
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
