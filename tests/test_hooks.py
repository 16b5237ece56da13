"""One test per hook (tests/test_docs.py checks that each hook has one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hubtest_plugins import ConvertingProvider, CrashingProvider, RoutesProvider, StaticProvider

from hub_core import Endpoint, ProviderConfigError, ProviderInfo, Target, hookimpl
from hub_core.testing import app_client, make_hub


async def test_hook_provider_info():
    class Named:
        @hookimpl
        def provider_info(self) -> ProviderInfo:
            return ProviderInfo(display_name="Acme Cloud", settings=["ACME_KEY"])

    class Anonymous:
        pass

    hub = make_hub({"acme": Named(), "anon": Anonymous()})
    acme, anon = hub.registry.records["acme"], hub.registry.records["anon"]
    assert acme.display_name == "Acme Cloud"
    assert acme.info is not None and acme.info.catalog_providers == ["acme"]  # defaults to the provider name
    assert anon.display_name == "anon"
    statuses = {s.name: s for s in await hub.statuses()}
    assert statuses["acme"].display_name == "Acme Cloud"


def test_hook_provider_info_of_wrong_type_refuses_the_plugin():
    class Wrong:
        @hookimpl
        def provider_info(self) -> Any:
            return {"display_name": "not a ProviderInfo"}

    with pytest.raises(TypeError, match="ProviderInfo"):
        make_hub({"wrong": Wrong()})


async def test_hook_configured_targets():
    seen: list[Mapping[str, Any]] = []

    class Configured(StaticProvider):
        @hookimpl
        async def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:  # async is fine
            seen.append(config)
            return [Target(name=str(config["region"]))]

    hub = make_hub({"cfg": Configured("cfg")}, providers={"cfg": {"region": "eu-1"}})
    targets = await hub.targets("cfg")
    assert [t.name for t in targets] == ["eu-1"]
    assert seen == [{"region": "eu-1"}]
    await hub.targets("cfg")
    assert len(seen) == 1, "targets are asked once"


async def test_hook_configured_targets_error_is_reported_for_that_provider_only():
    class Misconfigured(StaticProvider):
        @hookimpl
        def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
            raise ProviderConfigError("Set ACME_REGION.", provider="bad")

    hub = make_hub({"bad": Misconfigured("bad"), "good": StaticProvider("good")})
    statuses = {s.name: s for s in await hub.statuses()}
    assert statuses["bad"].status == "error" and statuses["bad"].message == "Set ACME_REGION."
    assert statuses["good"].status == "ok"
    assert [g.model_group for g in await hub.model_groups()] == ["good/alpha", "good/beta"]


async def test_hook_discover_endpoints():
    plugin = StaticProvider("s", targets=2)
    hub = make_hub({"s": plugin})
    result = await hub.endpoints("s")
    assert [(e.target, e.name) for e in result.endpoints] == [
        ("t0", "alpha"),
        ("t0", "beta"),
        ("t1", "alpha"),
        ("t1", "beta"),
    ]
    assert result.source == "live" and result.fetched_at is not None
    assert plugin.discover_calls == 2  # once per target
    await hub.endpoints("s")
    assert plugin.discover_calls == 2  # then served from the cache


async def test_hook_discover_endpoints_bug_fails_only_its_provider():
    hub = make_hub({"crash": CrashingProvider("crash"), "ok": StaticProvider("ok")})
    groups = await hub.model_groups()
    assert {g.providers[0] for g in groups} == {"ok"}
    status = {s.name: s for s in await hub.statuses()}["crash"]
    assert status.status == "error" and "ZeroDivisionError" in status.message


async def test_hook_to_model_group():
    hub = make_hub({"conv": ConvertingProvider("conv", endpoints=["one", "hidden"])})
    groups = await hub.model_groups("conv")
    assert [(g.model_group, g.mode) for g in groups] == [("conv/one", "embedding")]  # None hides an endpoint


async def test_hook_to_model_group_default_conversion():
    hub = make_hub({"s": StaticProvider("s", endpoints=["x"])})
    [group] = await hub.model_groups("s")
    assert group.model_group == "s/x" and group.mode == "chat" and group.source == "live"
    assert group.deployments[0].target == "t0"


async def test_hook_provider_routes():
    hub = make_hub({"r": RoutesProvider("r")})
    async with app_client(hub) as client:
        response = await client.get("/public/r/hello")
    assert response.json() == {"hello": "r"}


async def test_hook_litellm_params():
    seen: list[tuple[str, str]] = []

    class Exporting(StaticProvider):
        @hookimpl
        async def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any]:  # async is fine
            seen.append((target.name, endpoint.name))
            return {"model": f"openai/{endpoint.name}", "api_base": target.url, "api_key": "os.environ/X_KEY"}

    hub = make_hub({"x": Exporting("x", endpoints=["one"], targets=2)})
    async with app_client(hub) as client:
        body = (await client.get("/public/x/litellm_model_list")).json()
    assert sorted(seen) == [("t0", "one"), ("t1", "one")]
    assert [(d["model_name"], d["litellm_params"]["api_base"]) for d in body["model_list"]] == [
        ("x/one", "https://x-0.example"),
        ("x/one", "https://x-1.example"),
    ]


async def test_hooks_accept_a_subset_of_arguments():
    class Minimal(StaticProvider):
        @hookimpl
        def discover_endpoints(self) -> list[Endpoint]:  # takes no arguments at all
            return [Endpoint(provider="m", name="only")]

    hub = make_hub({"m": Minimal("m")})
    assert [e.name for e in (await hub.endpoints("m")).endpoints] == ["only"]
