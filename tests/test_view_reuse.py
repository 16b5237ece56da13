"""The hub keeps a view's conversion when a refresh brings the very same Endpoint objects."""

from __future__ import annotations

import json
import random

import pytest
from hubtest_plugins import StaticProvider

from hub_core import Discovery, Endpoint, ModelGroup, hookimpl, live_model_group
from hub_core.catalog import Catalog
from hub_core.testing import make_hub
from hub_core.views import MODEL_GROUPS


class SameObjects(StaticProvider):
    """Returns the same Endpoint objects on every discovery (as a plugin does for an unchanged list)."""

    def __init__(self) -> None:
        super().__init__("same", ["alpha", "beta", "gamma"], targets=2)
        self.lists: dict[str, list[Endpoint]] = {}
        self.converted: list[str] = []
        self.warning = ""

    @hookimpl
    async def discover_endpoints(self, target):  # type: ignore[no-untyped-def]
        self.discover_calls += 1
        if target.name not in self.lists:
            self.lists[target.name] = [
                Endpoint(provider=self.name, name=n, target=target.name, endpoint_url=f"{target.url}/{n}")
                for n in self.endpoint_names
            ]
        return Discovery(endpoints=self.lists[target.name], warnings=[self.warning] if self.warning else [])

    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
        self.converted.append(endpoint.name)
        return live_model_group(endpoint, model_group=f"same/{endpoint.name}", providers=["same"], mode="chat")


async def refresh(hub, plugin):  # type: ignore[no-untyped-def]
    hub.cache.invalidate()
    body, freshness = await hub.model_hub_body("same")
    return await hub.view("same"), body, freshness


async def test_the_same_endpoints_keep_the_groups_and_body_with_the_new_fetch_and_warnings():
    plugin = SameObjects()
    hub = make_hub({"same": plugin})
    try:
        first, body, freshness = await refresh(hub, plugin)
        assert len(plugin.converted) == 6  # three endpoints in each of two targets
        plugin.warning = "one region did not answer"
        second, body_again, freshness_again = await refresh(hub, plugin)
    finally:
        await hub.aclose()
    assert plugin.discover_calls == 4
    assert len(plugin.converted) == 6
    assert second.groups is first.groups and body_again is body
    assert [d.target for d in second.groups[0].deployments] == ["t0", "t1"]
    assert freshness_again.etag == freshness.etag
    assert second.warnings == ["t0: one region did not answer", "t1: one region did not answer"]
    assert first.warnings == []
    assert second.fetched_at is not None and first.fetched_at is not None and second.fetched_at >= first.fetched_at


async def test_a_new_endpoint_object_another_catalog_or_a_forgotten_provider_converts_again():
    plugin = SameObjects()
    hub = make_hub({"same": plugin})
    try:
        first, body, _ = await refresh(hub, plugin)
        alpha = plugin.lists["t0"][0]
        plugin.lists["t0"][0] = alpha.model_copy(update={"available": False, "state": "NOT_READY"})
        second, changed_body, _ = await refresh(hub, plugin)
        assert len(plugin.converted) == 7  # the new object only; the other five keep their groups
        assert second.groups is not first.groups and changed_body != body
        # The group is still available: its deployment in t1 is.
        assert [d.available for d in second.groups[0].deployments] == [False, True]

        hub.catalog = Catalog({})
        await refresh(hub, plugin)
        assert len(plugin.converted) == 13

        hub.forget("same")
        await refresh(hub, plugin)
        assert len(plugin.converted) == 19
        await refresh(hub, plugin)
        assert len(plugin.converted) == 19
    finally:
        await hub.aclose()


async def refresh_changing(hub):  # type: ignore[no-untyped-def]
    hub.cache.invalidate()
    body, freshness = await hub.model_hub_body("changing")
    return await hub.view("changing"), body, freshness


class Changing(StaticProvider):
    """Two targets whose lists change at random between refreshes; an endpoint that did not
    change is the same object as before, as the Databricks client gives it."""

    def __init__(self, seed: int) -> None:
        super().__init__("changing", [], targets=2)
        self.random = random.Random(seed)
        self.lists: dict[str, dict[str, Endpoint]] = {"t0": {}, "t1": {}}
        self.converted = 0
        self.calls: list[int] = []
        self.failed: set[int] = set()
        self.failing: set[str] = set()

    def new(self, target: str, name: str) -> Endpoint:
        pick = self.random.choice
        return Endpoint(
            provider=self.name,
            name=name,
            target=target,
            endpoint_url=f"https://{target}/{name}/{self.random.random()}",
            available=pick([True, True, False]),
            state=pick(["READY", "NOT_READY"]),
            model=pick([None, "m1", "m2"]),
            cost_per_hour=pick([None, 1.5]),
        )

    def change(self) -> None:
        for target, endpoints in self.lists.items():
            for _ in range(self.random.randint(0, 6)):
                name = f"e{self.random.randint(0, 14)}"
                if name in endpoints and self.random.random() < 0.3:
                    del endpoints[name]
                else:
                    endpoints[name] = self.new(target, name)
        self.failing = {f"e{self.random.randint(0, 14)}"} if self.random.random() < 0.5 else set()

    @hookimpl
    async def discover_endpoints(self, target):  # type: ignore[no-untyped-def]
        return list(self.lists[target.name].values())

    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup | None:
        self.converted += 1
        self.calls.append(id(endpoint))
        if endpoint.name in self.failing:
            self.failed.add(id(endpoint))
            raise RuntimeError("conversion failed this time")
        if endpoint.name == "e13":
            return None  # hidden
        return live_model_group(endpoint, model_group=f"changing/{endpoint.name}", providers=["changing"], mode="chat")


@pytest.mark.parametrize("seed", range(6))
async def test_a_changing_list_converts_only_what_changed_and_gives_a_fresh_hubs_bytes(seed: int) -> None:
    plugin = Changing(seed)
    hub = make_hub({"changing": plugin})
    converted_fine: set[int] = set()
    compared = 0
    try:
        for _ in range(24):
            plugin.change()
            plugin.calls, plugin.failed = [], set()
            old = hub._views["changing"][1] if "changing" in hub._views else None
            old_body = MODEL_GROUPS.dump_json(old.groups) if old is not None else None
            _, body, _ = await refresh_changing(hub)
            current = [*plugin.lists["t0"].values(), *plugin.lists["t1"].values()]
            # Converted: the new objects, and those whose conversion raised last time; no other.
            assert sorted(plugin.calls) == sorted(id(e) for e in current if id(e) not in converted_fine)
            converted_fine = {id(e) for e in current} - plugin.failed
            # The previous view's groups were not changed by the new merge.
            if old is not None:
                assert MODEL_GROUPS.dump_json(old.groups) == old_body
            if plugin.failing:  # conversion is not a function of the endpoint this round
                continue
            fresh = make_hub({"changing": plugin})
            try:
                _, fresh_body, _ = await refresh_changing(fresh)
            finally:
                await fresh.aclose()
            assert body == fresh_body
            compared += 1
    finally:
        await hub.aclose()
    assert compared >= 3


async def test_only_new_objects_and_failed_conversions_are_converted_again() -> None:
    plugin = Changing(99)
    plugin.change()
    plugin.failing = set()
    hub = make_hub({"changing": plugin})
    try:
        await refresh_changing(hub)
        converted = plugin.converted
        name = next(iter(plugin.lists["t0"]))
        plugin.lists["t0"][name] = plugin.new("t0", name)
        await refresh_changing(hub)
        assert plugin.converted == converted + 1
        plugin.failing = {name}
        plugin.lists["t0"][name] = plugin.new("t0", name)
        await refresh_changing(hub)  # raises in to_model_group: skipped
        plugin.failing = set()
        _, body, _ = await refresh_changing(hub)  # the same object: converted again, since it failed
        assert plugin.converted == converted + 3
        assert f'"changing/{name}"'.encode() in body or name == "e13"
    finally:
        await hub.aclose()


async def test_after_a_change_only_the_changed_groups_are_serialised_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import hub_core.views

    dumped: list[str] = []
    serialise = hub_core.views.group_json

    def counting(group: ModelGroup) -> bytes:
        dumped.append(group.model_group)
        return serialise(group)

    monkeypatch.setattr(hub_core.views, "group_json", counting)
    plugin = SameObjects()
    plugin.target_count = 1
    hub = make_hub({"same": plugin})
    try:
        await refresh(hub, plugin)
        assert sorted(dumped) == ["same/alpha", "same/beta", "same/gamma"]
        plugin.lists["t0"][1] = plugin.lists["t0"][1].model_copy(update={"available": False})
        _, body, _ = await refresh(hub, plugin)
        assert dumped[3:] == ["same/beta"]
        unavailable = await hub.model_hub_body("same", available=False)
        assert [g["model_group"] for g in json.loads(unavailable[0])] == ["same/beta"]
        assert dumped[4:] == []  # filtered bodies join the kept JSON
    finally:
        await hub.aclose()
    fresh = make_hub({"same": plugin})
    try:
        assert (await refresh(fresh, plugin))[1] == body
    finally:
        await fresh.aclose()
