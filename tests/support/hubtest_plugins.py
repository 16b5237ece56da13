"""Small provider plugins for the hub's own tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter

from hub_core import Endpoint, ModelGroup, ProviderError, ProviderInfo, Target, hookimpl
from hub_core.catalog import Catalog


class StaticProvider:
    """Serves a fixed endpoint list from one target; counts discovery calls."""

    def __init__(self, name: str = "static", endpoints: list[str] | None = None, targets: int = 1) -> None:
        self.name = name
        self.endpoint_names = endpoints if endpoints is not None else ["alpha", "beta"]
        self.target_count = targets
        self.discover_calls = 0

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(display_name=f"Static {self.name}", catalog_providers=[self.name])

    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name=f"t{i}", url=f"https://{self.name}-{i}.example") for i in range(self.target_count)]

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        self.discover_calls += 1
        await asyncio.sleep(0)
        return [
            Endpoint(provider=self.name, name=n, target=target.name, mode="chat", endpoint_url=f"{target.url}/{n}")
            for n in self.endpoint_names
        ]


class ConvertingProvider(StaticProvider):
    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup | None:
        if endpoint.name == "hidden":
            return None
        return ModelGroup(model_group=f"conv/{endpoint.name}", providers=[self.name], mode="embedding")


class FailingProvider(StaticProvider):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        self.discover_calls += 1
        raise ProviderError(f"Provider {self.name!r}: upstream said no.", provider=self.name)


class CrashingProvider(StaticProvider):
    """A plugin bug: an unexpected exception type."""

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        raise ZeroDivisionError("plugin bug")


class UnconfiguredProvider:
    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return []


class RoutesProvider(StaticProvider):
    @hookimpl
    def provider_routes(self) -> APIRouter:
        router = APIRouter()

        @router.get("/hello")
        async def hello() -> dict[str, str]:
            return {"hello": self.name}

        return router


class MisspelledProvider:
    @hookimpl
    def discover_endpoint(self, target: Target) -> list[Endpoint]:  # missing the final "s"
        return []


class ModuleLevelBroken:
    pass


def raise_on_import() -> None:
    raise RuntimeError("this plugin is broken")
