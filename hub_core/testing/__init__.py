"""Helpers for testing hub-core and its plugins, without installing anything.

from hub_core.testing import make_hub, app_client

async def test_my_plugin():
    hub = make_hub({"acme": AcmePlugin()})
    async with app_client(hub) as client:
        response = await client.get("/public/model_hub?provider=acme")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from typing import Any

import httpx
from fastapi import FastAPI

from hub_core.catalog import Catalog
from hub_core.hub import Hub
from hub_core.plugins import PluginRegistry
from hub_core.settings import HubSettings


def fresh_registry(plugins: Mapping[str, object] | None = None) -> PluginRegistry:
    """A registry with a new plugin manager, holding only ``plugins`` (name -> plugin object)."""
    registry = PluginRegistry()
    for name, plugin in (plugins or {}).items():
        registry.register(plugin, name, distribution=f"test-{name}", version="0.0.test")
    return registry


@lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    return Catalog.load()


def make_hub(
    plugins: Mapping[str, object] | None = None,
    *,
    settings: HubSettings | None = None,
    catalog: Catalog | None = None,
    **setting_overrides: Any,
) -> Hub:
    """A Hub over in-process plugins; no entry points are read."""
    settings = settings or HubSettings(**setting_overrides)
    return Hub(settings, fresh_registry(plugins), catalog or bundled_catalog())


@contextmanager
def registered(hub: Hub, name: str, plugin: object) -> Iterator[object]:
    """Register ``plugin`` as provider ``name`` for the duration of a ``with`` block."""
    hub.registry.register(plugin, name)
    try:
        yield plugin
    finally:
        hub.registry.unregister(name)
        hub.forget(name)


@asynccontextmanager
async def app_client(target: Hub | FastAPI, base_url: str = "http://hub.test") -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that talks to the app in-process (no socket), closing the hub after."""
    from hub_core.app import create_app

    app = target if isinstance(target, FastAPI) else create_app(target.settings, hub=target)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        try:
            yield client
        finally:
            hub = getattr(app.state, "hub_core", None)
            if isinstance(hub, Hub):
                await hub.aclose()


from hub_core.testing.upstream import FakeUpstream, Reply, Request  # noqa: E402

__all__ = [
    "FakeUpstream",
    "Reply",
    "Request",
    "app_client",
    "bundled_catalog",
    "fresh_registry",
    "make_hub",
    "registered",
]
