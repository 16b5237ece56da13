"""Targets that change without a restart: re-read on a TTL or on demand, transient errors retried."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from hub_core import Endpoint, ProviderConfigError, ProviderUnavailableError, Target, hookimpl
from hub_core import targets as targets_module
from hub_core.testing import app_client, make_hub


class Handle:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class Changing:
    """Targets from ``self.names``; ``failures`` makes the next reads fail with the errors given."""

    def __init__(self, *names: str) -> None:
        self.names = list(names)
        self.urls: dict[str, str] = {}
        self.reads = 0
        self.failures: list[Exception] = []
        self.handles: list[Handle] = []

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        self.reads += 1
        if self.failures:
            raise self.failures.pop(0)
        targets = []
        for name in self.names:
            handle = Handle(name)
            self.handles.append(handle)
            targets.append(Target(name=name, url=self.urls.get(name, f"https://{name}.example"), handle=handle))
        return targets

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider="acme", name="m", target=target.name, mode="chat")]


async def deployments(client: Any) -> list[str]:
    rows = (await client.get("/public/model_hub", params={"provider": "acme"})).json()
    return sorted(d["target"] for row in rows for d in row["deployments"])


async def test_targets_are_re_read_after_their_ttl_without_a_restart():
    plugin = Changing("eu")
    hub = make_hub({"acme": plugin}, targets_ttl=0.2)
    async with app_client(hub) as client:
        assert await deployments(client) == ["eu"]
        plugin.names = ["eu", "us"]
        await asyncio.sleep(0.25)
        assert await deployments(client) == ["eu"], "past the TTL the old list is served while it is re-read"
        while plugin.reads < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)
        assert await deployments(client) == ["eu", "us"]


async def test_a_zero_ttl_reads_targets_once():
    plugin = Changing("eu")
    hub = make_hub({"acme": plugin}, targets_ttl=0)
    async with app_client(hub) as client:
        for _ in range(3):
            assert await deployments(client) == ["eu"]
            await asyncio.sleep(0.01)
    assert plugin.reads == 1


async def test_reload_targets_on_demand_keeps_unchanged_targets_and_closes_the_rest(monkeypatch):
    plugin = Changing("eu", "us")
    hub = make_hub({"acme": plugin}, targets_ttl=0, discovery_timeout=0.05)
    async with app_client(hub) as client:
        assert await deployments(client) == ["eu", "us"]
        first_eu, first_us = plugin.handles
        plugin.names = ["eu", "ap"]
        targets = await hub.reload_targets("acme")
        assert [t.name for t in targets] == ["eu", "ap"]
        assert targets[0].handle is first_eu, "an unchanged target keeps its handle (its clients, its token)"
        await asyncio.sleep(0.2)  # handles no longer used are closed after the deadline
        assert first_us.closed, "a target that went away is closed"
        assert plugin.handles[2].closed, "the duplicate handle of the unchanged target is closed"
        assert not first_eu.closed and not plugin.handles[3].closed
        assert await deployments(client) == ["ap", "eu"]

        plugin.urls["eu"] = "https://eu-2.example"  # same name, new place: a new target
        targets = await hub.reload_targets("acme")
        assert targets[0].handle is not first_eu and targets[0].url == "https://eu-2.example"


async def test_a_transient_error_while_reading_targets_is_retried():
    plugin = Changing("eu")
    plugin.failures = [ProviderUnavailableError("the accounts API answered 503", provider="acme")]
    hub = make_hub({"acme": plugin})
    async with app_client(hub) as client:
        assert await deployments(client) == ["eu"]
    assert plugin.reads == 2


async def test_a_lasting_transient_error_is_a_503_and_never_remembered_as_configuration(monkeypatch):
    monkeypatch.setattr(targets_module, "TARGETS_RETRY_PAUSE", 0.0)
    monkeypatch.setattr(targets_module, "TARGETS_RETRY_SECONDS", 0.0)
    plugin = Changing("eu")
    plugin.failures = [RuntimeError("connection reset"), RuntimeError("connection reset")]
    hub = make_hub({"acme": plugin})
    async with app_client(hub) as client:
        failed = await client.get("/public/acme/endpoints")
        assert failed.status_code == 503
        assert failed.json()["type"].endswith(":provider-unavailable")
        assert "could not read its configuration" in failed.json()["detail"]
        assert "asks again shortly" in failed.json()["detail"]
        assert await deployments(client) == ["eu"], "the next request asks again"
    assert plugin.reads == 3


async def test_a_configuration_error_is_remembered_until_the_ttl():
    plugin = Changing("eu")
    plugin.failures = [ProviderConfigError("[providers.acme] regions must be a list.", provider="acme")]
    hub = make_hub({"acme": plugin}, targets_ttl=0.2)
    async with app_client(hub) as client:
        for _ in range(2):
            response = await client.get("/public/acme/endpoints")
            assert response.status_code == 503 and response.json()["type"].endswith(":provider-config")
        assert plugin.reads == 1
        await asyncio.sleep(0.25)
        assert await deployments(client) == ["eu"], "fixed config is picked up after the TTL"


async def test_a_failed_background_re_read_keeps_serving_the_targets(monkeypatch):
    monkeypatch.setattr(targets_module, "TARGETS_RETRY_PAUSE", 0.0)
    plugin = Changing("eu")
    hub = make_hub({"acme": plugin}, targets_ttl=0.1)
    async with app_client(hub) as client:
        assert await deployments(client) == ["eu"]
        plugin.failures = [RuntimeError("boom"), RuntimeError("boom")]
        await asyncio.sleep(0.15)
        assert await deployments(client) == ["eu"]
        while plugin.reads < 3:
            await asyncio.sleep(0.01)
        assert await deployments(client) == ["eu"]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([Target(name="eu"), Target(name="eu")], "more than one target named 'eu'"),
        (["eu"], "returned str, not Target"),
    ],
)
async def test_targets_of_the_wrong_shape_are_a_configuration_error(targets, message):
    class Wrong:
        @hookimpl
        def configured_targets(self) -> Any:
            return targets

    hub = make_hub({"wrong": Wrong()})
    async with app_client(hub) as client:
        response = await client.get("/public/wrong/endpoints")
    assert response.status_code == 503
    assert response.json()["type"].endswith(":provider-config")
    assert message in response.json()["detail"]
