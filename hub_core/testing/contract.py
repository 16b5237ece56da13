"""A contract suite a provider plugin runs against itself: subclass and set ``provider`` and ``plugin``.

class TestAcmeContract(ProviderContract):
    provider = "acme"
    plugin = hub_acme
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from hub_core import Endpoint, Target, hookimpl
from hub_core.models import ProviderInfo
from hub_core.testing import app_client, fresh_registry, make_hub
from hub_core.testing.upstream import FakeUpstream

SECRET = "sk-contract-0123456789abcdef"


class _Healthy:
    """A second provider that always answers, to show a failure stays with the provider under test."""

    @hookimpl
    def configured_targets(self, config: Any) -> list[Target]:
        return [Target(name="default")]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider="contract_healthy", name="ok", target=target.name, mode="chat")]


class ProviderContract:
    """Loading, provider_info's type, and a hub that still answers when the provider is not configured."""

    provider: ClassVar[str]
    plugin: ClassVar[Any]

    def configure(self, monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, secret: str) -> bool:
        """Point the provider at ``upstream`` with credential ``secret``; return False if it cannot be."""
        return False

    def test_registers_in_a_fresh_plugin_manager(self) -> None:
        registry = fresh_registry({self.provider: self.plugin})
        assert self.provider in registry.loaded()

    def test_provider_info_is_a_provider_info(self) -> None:
        registry = fresh_registry({self.provider: self.plugin})
        if registry.implements(self.provider, "provider_info"):
            info = registry.hooks(self.provider).provider_info()
            assert isinstance(info, ProviderInfo), f"{self.provider}: provider_info must return ProviderInfo"

    async def test_not_configured_hub_still_answers(self) -> None:
        hub = make_hub({self.provider: self.plugin})
        async with app_client(hub) as client:
            response = await client.get("/public/model_hub")
            status = await client.get("/public/providers")
        assert response.status_code == 200, f"{self.provider}: unconfigured provider broke /public/model_hub"
        assert status.status_code == 200

    async def test_upstream_500_degrades_only_this_provider_and_hides_the_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with FakeUpstream() as upstream:
            if not self.configure(monkeypatch, upstream, SECRET):
                pytest.skip(f"{self.provider}: configure() is not implemented for this plugin")
            hub = make_hub({self.provider: self.plugin, "contract_healthy": _Healthy()})
            async with app_client(hub) as client:
                answers = [
                    await client.get("/public/model_hub"),
                    await client.get("/public/providers"),
                    await client.get(f"/public/{self.provider}/endpoints"),
                ]
            assert upstream.requests, f"{self.provider}: configure() did not point the plugin at the fake upstream"
        assert answers[0].status_code == 200, f"{self.provider}: an upstream 500 broke /public/model_hub"
        for answer in answers:
            assert SECRET not in answer.text, f"{self.provider}: the credential leaked into {answer.url}"
