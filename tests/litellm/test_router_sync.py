"""RouterSync against a real LiteLLM Router, in-process: add, update, remove, and leave alone."""

from __future__ import annotations

from typing import Any

import pytest
from hubtest_plugins import StaticProvider

from hub_core import Endpoint, ProviderUnavailableError, Target, hookimpl
from hub_core.litellm_router import MissingVariableError, RouterSync, resolve_references
from hub_core.testing import make_hub

from .conftest import require_litellm

KEY_VALUE = "CANARY-router-key-9f3b"


class Acme(StaticProvider):
    def __init__(self) -> None:
        super().__init__("acme", endpoints=["alpha", "beta"], targets=2)
        self.down = False

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        if self.down:
            raise ProviderUnavailableError("Acme is down.", provider="acme")
        return [Endpoint(provider="acme", name=n, target=target.name, mode="chat") for n in self.endpoint_names]

    @hookimpl
    def litellm_params(self, endpoint: Endpoint, target: Target) -> dict[str, Any]:
        return {"model": f"openai/{endpoint.name}", "api_base": f"{target.url}/v1", "api_key": "os.environ/ACME_KEY"}


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch) -> Any:
    require_litellm()
    from litellm import Router

    monkeypatch.setenv("ACME_KEY", KEY_VALUE)
    foreign = {"model_name": "mine", "litellm_params": {"model": "openai/mine", "api_key": "x"}}
    return Router(model_list=[foreign])


async def test_deployments_follow_the_endpoints(router: Any) -> None:
    plugin = Acme()
    hub = make_hub({"acme": plugin}, cache_ttl=0, stale_ttl=0)
    sync = RouterSync(hub, lambda: router)
    first = await sync.sync_once()
    assert sorted(first.added) == [
        "hub-core:acme:t0:alpha",
        "hub-core:acme:t0:beta",
        "hub-core:acme:t1:alpha",
        "hub-core:acme:t1:beta",
    ]
    deployment = router.get_deployment("hub-core:acme:t1:alpha")
    assert deployment.model_name == "acme/alpha"
    assert deployment.litellm_params.api_base == "https://acme-1.example/v1"
    assert deployment.litellm_params.api_key == KEY_VALUE  # resolved in this process, as LiteLLM's config does
    assert len(router.get_model_ids(model_name="acme/alpha")) == 2, "one deployment per target"

    again = await sync.sync_once()
    assert (again.added, again.updated, again.removed) == ([], [], []), "nothing changes when nothing changed"

    plugin.endpoint_names = ["alpha"]
    gone = await sync.sync_once()
    assert sorted(gone.removed) == ["hub-core:acme:t0:beta", "hub-core:acme:t1:beta"]
    assert "acme/beta" not in {d["model_name"] for d in router.get_model_list()}
    assert router.get_model_ids(model_name="mine"), "deployments the hub did not make are left alone"
    await hub.aclose()


async def test_an_outage_keeps_the_deployments(router: Any) -> None:
    plugin = Acme()
    hub = make_hub({"acme": plugin}, cache_ttl=0, stale_ttl=0)
    sync = RouterSync(hub, lambda: router)
    await sync.sync_once()
    plugin.down = True
    report = await sync.sync_once()
    assert report.removed == []
    assert len([i for i in router.get_model_ids() if i.startswith("hub-core:")]) == 4
    await hub.aclose()


async def test_a_missing_variable_leaves_the_deployment_out(router: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_KEY")
    hub = make_hub({"acme": Acme()})
    report = await RouterSync(hub, lambda: router).sync_once()
    assert report.added == [] and len(report.skipped) == 4
    assert [i for i in router.get_model_ids() if i.startswith("hub-core:")] == []
    await hub.aclose()


def test_resolve_references_names_the_missing_variable() -> None:
    values = {"ACME_KEY": "v"}
    assert resolve_references({"a": ["os.environ/ACME_KEY"], "b": 1}, values.get) == {"a": ["v"], "b": 1}
    with pytest.raises(MissingVariableError, match="NOPE"):
        resolve_references({"api_key": "os.environ/NOPE"}, values.get)


async def test_no_router_yet_is_not_an_error() -> None:
    hub = make_hub({"acme": Acme()})
    report = await RouterSync(hub, lambda: None).sync_once()
    assert (report.added, report.removed) == ([], [])
    await hub.aclose()


async def test_deployments_from_the_exported_config_are_taken_over_unchanged(router: Any) -> None:
    from litellm import Router

    from hub_core.litellm_config import litellm_model_list

    hub = make_hub({"acme": Acme()})
    exported = await litellm_model_list(hub)
    loaded = Router(model_list=[d.model_dump() for d in exported.model_list])  # as `litellm --config` loads it
    report = await RouterSync(hub, lambda: loaded).sync_once()
    assert (report.added, report.removed, report.skipped) == ([], [], [])
    assert report.updated == [], "no churn: what the config loaded is what the sync would register"
    await hub.aclose()
