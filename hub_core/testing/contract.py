"""A contract suite a provider plugin runs against itself: subclass and set ``provider`` and ``plugin``.

class TestAcmeContract(ProviderContract):
    provider = "acme"
    plugin = hub_acme
"""

from __future__ import annotations

from typing import Any, ClassVar

from hub_core.models import ProviderInfo
from hub_core.testing import app_client, fresh_registry, make_hub


class ProviderContract:
    """Loading, provider_info's type, and a hub that still answers when the provider is not configured."""

    provider: ClassVar[str]
    plugin: ClassVar[Any]

    def test_registers_in_a_fresh_plugin_manager(self) -> None:
        registry = fresh_registry({self.provider: self.plugin})
        assert self.provider in registry.loaded()

    def test_provider_info_is_a_provider_info(self) -> None:
        registry = fresh_registry({self.provider: self.plugin})
        if registry.implements(self.provider, "provider_info"):
            info = registry.call_sync(self.provider, "provider_info")
            assert isinstance(info, ProviderInfo), f"{self.provider}: provider_info must return ProviderInfo"

    async def test_not_configured_hub_still_answers(self) -> None:
        hub = make_hub({self.provider: self.plugin})
        async with app_client(hub) as client:
            response = await client.get("/public/model_hub")
            status = await client.get("/public/providers")
        assert response.status_code == 200, f"{self.provider}: unconfigured provider broke /public/model_hub"
        assert status.status_code == 200
