"""The hub keeps a view's conversion when a refresh brings the very same Endpoint objects."""

from __future__ import annotations

from hubtest_plugins import StaticProvider

from hub_core import Discovery, Endpoint, ModelGroup, hookimpl, live_model_group
from hub_core.catalog import Catalog
from hub_core.testing import make_hub


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
        assert len(plugin.converted) == 12
        assert second.groups is not first.groups and changed_body != body
        # The group is still available: its deployment in t1 is.
        assert [d.available for d in second.groups[0].deployments] == [False, True]

        hub.catalog = Catalog({})
        await refresh(hub, plugin)
        assert len(plugin.converted) == 18

        hub.forget("same")
        await refresh(hub, plugin)
        assert len(plugin.converted) == 24
        await refresh(hub, plugin)
        assert len(plugin.converted) == 24
    finally:
        await hub.aclose()
