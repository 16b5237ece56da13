"""The typed dispatch: blocking hookimpls on each provider's own threads, with the deadline,
and every call visible to pluggy's tracing and monitoring."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from hubtest_plugins import StaticProvider

from hub_core import Discovery, Endpoint, ModelGroup, Target, hookimpl, live_model_group
from hub_core.catalog import Catalog
from hub_core.testing import app_client, make_hub


class BlockingRegions:
    """A Bedrock-like plugin: 18 regions, each listed by a blocking call that waits on ``release``."""

    def __init__(self, regions: int = 18) -> None:
        self.regions = regions
        self.release = threading.Event()
        self.threads: set[str] = set()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name=f"region-{i}") for i in range(self.regions)]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        with self._lock:
            self.threads.add(threading.current_thread().name)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            self.release.wait(30)
        finally:
            with self._lock:
                self.running -= 1
        return [Endpoint(provider="slow", name="m", target=target.name, mode="chat")]


async def test_a_provider_blocking_in_18_regions_does_not_stall_another_provider():
    slow = BlockingRegions()
    hub = make_hub({"slow": slow, "fast": StaticProvider("fast")}, discovery_timeout=20, provider_threads=4)
    try:
        async with app_client(hub) as client:
            stuck = asyncio.ensure_future(client.get("/public/model_hub", params={"provider": "slow"}))
            while slow.running < 4:
                await asyncio.sleep(0.01)
            fast = await client.get("/public/model_hub", params={"provider": "fast"})
            health = await client.get("/healthz")
            assert fast.status_code == 200 and [g["model_group"] for g in fast.json()] == ["fast/alpha", "fast/beta"]
            assert health.status_code == 200
            assert not slow.release.is_set() and slow.running == 4, "answered while the slow calls were still blocked"
            slow.release.set()
            answer = await stuck
            assert answer.status_code == 200
            assert len(answer.json()[0]["deployments"]) == 18
    finally:
        slow.release.set()
    assert slow.most_at_once == 4, "never more than HUB_PROVIDER_THREADS at once"
    assert slow.threads and all(name.startswith("hub-slow-") for name in slow.threads)


async def test_a_blocking_call_past_the_deadline_is_a_503_naming_the_provider():
    slow = BlockingRegions(regions=1)
    hub = make_hub({"slow": slow}, discovery_timeout=0.3)
    try:
        async with app_client(hub) as client:
            response = await client.get("/public/slow/endpoints")
    finally:
        slow.release.set()
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"].endswith(":provider-unavailable")
    assert "Provider 'slow'" in problem["detail"] and "0.3 s" in problem["detail"]


async def test_every_hook_call_goes_through_pluggy_monitoring():
    class Converting(StaticProvider):
        @hookimpl
        def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
            return live_model_group(endpoint, model_group=f"c/{endpoint.name}", providers=["c"])

    hub = make_hub({"c": Converting("c", endpoints=["a", "b", "d"])})
    seen: list[str] = []
    undo = hub.registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *_: None)
    try:
        groups = await hub.model_groups("c")
    finally:
        undo()
        await hub.aclose()
    assert [g.model_group for g in groups] == ["c/a", "c/b", "c/d"]
    assert seen.count("configured_targets") == 1
    assert seen.count("discover_endpoints") == 1
    assert seen.count("to_model_group") == 3, "one monitored call per endpoint, no path around pluggy"


async def test_to_model_group_sees_the_target_it_came_from():
    seen: list[tuple[str, str | None]] = []

    class Regional(StaticProvider):
        @hookimpl
        def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
            return [Target(name="eu", url="https://eu.example"), Target(name="us", url="https://us.example")]

        @hookimpl
        def to_model_group(self, endpoint: Endpoint, target: Target | None) -> ModelGroup:
            seen.append((endpoint.name, target.url if target else None))
            return live_model_group(endpoint, model_group=f"r/{endpoint.name}", providers=["r"])

    hub = make_hub({"r": Regional("r", endpoints=["m"])})
    await hub.model_groups("r")
    await hub.aclose()
    assert sorted(seen) == [("m", "https://eu.example"), ("m", "https://us.example")]


class Accounts:
    """Two accounts that each name a deployment 'chat', serving the same or different models."""

    def __init__(self, models: dict[str, str]) -> None:
        self.models = models  # target -> model behind its 'chat' deployment

    @hookimpl
    def configured_targets(self) -> list[Target]:
        return [Target(name=name) for name in self.models]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [
            Endpoint(
                provider="az",
                name="chat",
                target=target.name,
                mode="chat",
                model=self.models[target.name],
                region=f"{target.name}-region",
                account=target.name,
                sku="ProvisionedManaged",
                capacity=50,
                cost_per_hour=2.5,
            )
        ]

    @hookimpl
    def to_model_group(self, endpoint: Endpoint) -> ModelGroup:
        return live_model_group(endpoint, model_group=f"az/{endpoint.name}", providers=["az"])


async def test_same_named_deployments_of_one_model_merge_with_their_regions():
    hub = make_hub({"az": Accounts({"a1": "gpt-4o 2024-08-06", "a2": "gpt-4o 2024-08-06"})})
    async with app_client(hub) as client:
        rows = (await client.get("/public/model_hub", params={"provider": "az"})).json()
    assert [r["model_group"] for r in rows] == ["az/chat"]
    assert rows[0]["model"] == "gpt-4o 2024-08-06" and rows[0]["cost_per_hour"] == 2.5
    deployments = rows[0]["deployments"]
    assert [(d["account"], d["region"], d["sku"], d["capacity"]) for d in deployments] == [
        ("a1", "a1-region", "ProvisionedManaged", 50),
        ("a2", "a2-region", "ProvisionedManaged", 50),
    ]


async def test_same_named_deployments_of_different_models_are_never_merged(caplog):
    hub = make_hub({"az": Accounts({"a1": "gpt-4o 2024-08-06", "a2": "gpt-35-turbo 0125"})})
    async with app_client(hub) as client:
        rows = (await client.get("/public/model_hub", params={"provider": "az"})).json()
    assert {r["model_group"]: r["model"] for r in rows} == {
        "az/chat": "gpt-4o 2024-08-06",
        "az/chat@a2": "gpt-35-turbo 0125",
    }
    assert all(len(r["deployments"]) == 1 for r in rows)
    assert "'az/chat' names both" in caplog.text


class Partial(StaticProvider):
    @hookimpl
    def discover_endpoints(self, target: Target) -> Discovery:
        endpoints = [Endpoint(provider="p", name="m", target=target.name, mode="chat")]
        return Discovery(endpoints=endpoints, warnings=["ListProvisionedModelThroughputs: AccessDeniedException"])


async def test_a_partial_discovery_is_served_with_its_warnings_everywhere():
    hub = make_hub({"p": Partial("p"), "ok": StaticProvider("ok")})
    warning = "t0: ListProvisionedModelThroughputs: AccessDeniedException"
    async with app_client(hub) as client:
        merged = await client.get("/public/model_hub")
        endpoints = (await client.get("/public/p/endpoints")).json()
        providers = {p["name"]: p for p in (await client.get("/public/providers")).json()}
        v1 = (await client.get("/public/v1/model_hub")).json()
    assert merged.status_code == 200
    assert {r["model_group"] for r in merged.json()} >= {"p/m", "ok/alpha"}
    assert merged.headers["X-Hub-Partial-Providers"] == "p"
    assert "ETag" in merged.headers, "a partial answer stays cacheable"
    assert "X-Hub-Failed-Providers" not in merged.headers
    assert endpoints["warnings"] == [warning] and endpoints["errors"] == []
    assert providers["p"]["status"] == "ok" and providers["p"]["warnings"] == [warning]
    assert "partial: 1 warning" in providers["p"]["message"]
    assert providers["ok"]["warnings"] == []
    assert v1["meta"]["providers"]["p"]["warnings"] == [warning]


async def test_a_discovery_of_the_wrong_type_fails_only_its_provider():
    class Wrong(StaticProvider):
        @hookimpl
        def discover_endpoints(self, target: Target) -> Any:
            return {"endpoints": []}

    hub = make_hub({"wrong": Wrong("wrong"), "ok": StaticProvider("ok")})
    async with app_client(hub) as client:
        wrong = await client.get("/public/wrong/endpoints")
        merged = await client.get("/public/model_hub")
    assert wrong.status_code == 502
    assert "returned dict from discover_endpoints" in wrong.json()["detail"]
    assert merged.status_code == 200 and merged.headers["X-Hub-Failed-Providers"] == "wrong"


def test_the_shared_cache_keeps_a_discovery_s_warnings():
    from hub_core.codec import DiscoveryCodec

    codec = DiscoveryCodec()
    endpoint = Endpoint(provider="p", name="m", target="eu", region="eu-west-1", cost_per_hour=3.0, raw={"k": 1})
    partial = codec.decode(codec.encode(Discovery(endpoints=[endpoint], warnings=["ListX: AccessDenied"])))
    assert partial.warnings == ["ListX: AccessDenied"]
    assert partial.endpoints == [endpoint] and partial.endpoints[0].raw == {"k": 1}
    whole = codec.encode(Discovery(endpoints=[endpoint]))
    assert whole.startswith(b"["), "without warnings it is the plain list older replicas read"
    assert codec.decode(whole).warnings == []
