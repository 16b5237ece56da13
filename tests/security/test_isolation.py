"""Plugins cannot take the hub down: a hook that raises or hangs fails only its own provider.

(That a plugin left off the allowlist is never imported is tested with a real installed
distribution in tests/test_packaging.py::test_allowlist_never_imports_unlisted_installed_plugin.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi import APIRouter
from hubtest_plugins import CrashingProvider, StaticProvider

from hub_core import Endpoint, ModelGroup, Target, hookimpl
from hub_core.catalog import Catalog
from hub_core.testing import app_client, make_hub

DEADLINE = 0.5


class HangingProvider(StaticProvider):
    """``discover_endpoints`` never returns (an upstream that accepts and never answers)."""

    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Endpoint]:
        self.discover_calls += 1
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


class RaisingTargets(StaticProvider):
    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        raise KeyError("plugin bug in configured_targets")


class RaisingConversion(StaticProvider):
    @hookimpl
    def to_model_group(self, endpoint: Endpoint, catalog: Catalog) -> ModelGroup:
        if endpoint.name == "alpha":
            raise ValueError("plugin bug in to_model_group")
        return ModelGroup(model_group=f"{self.name}/{endpoint.name}", providers=[self.name])


class RaisingRoutes(StaticProvider):
    @hookimpl
    def provider_routes(self) -> APIRouter:
        raise RuntimeError("plugin bug in provider_routes")


class WrongTypes(StaticProvider):
    @hookimpl
    async def discover_endpoints(self, target: Target) -> list[Any]:
        return [{"name": "not an Endpoint"}]


BAD = {
    "hangs": HangingProvider("hangs"),
    "crashes": CrashingProvider("crashes"),
    "badtargets": RaisingTargets("badtargets"),
    "badroutes": RaisingRoutes("badroutes"),
    "wrongtypes": WrongTypes("wrongtypes"),
}


@pytest.mark.parametrize("bad", sorted(BAD))
async def test_one_bad_provider_fails_alone_within_the_deadline(bad):
    hub = make_hub({"good": StaticProvider("good"), bad: BAD[bad]}, discovery_timeout=DEADLINE)
    async with app_client(hub) as client:
        started = time.monotonic()
        merged = await client.get("/public/model_hub")
        providers = await client.get("/public/providers")
        elapsed = time.monotonic() - started
        good = await client.get("/public/good/endpoints")
    assert merged.status_code == 200 and providers.status_code == 200 and good.status_code == 200
    groups = [g["model_group"] for g in merged.json()]
    assert {"good/alpha", "good/beta"} <= set(groups)
    if bad != "badroutes":  # its routes are left out; its discovery works
        assert not any(g.startswith(f"{bad}/") for g in groups)
    rows = {r["name"]: r for r in providers.json()}
    assert rows["good"]["status"] == "ok"
    assert rows[bad]["status"] == ("ok" if bad == "badroutes" else "error"), rows[bad]
    # Far below the hour-long hang, with room for a loaded machine: the deadline, not a speed, is tested.
    assert elapsed < DEADLINE + 10, f"answered in {elapsed:.2f}s with a {DEADLINE}s deadline"
    assert "Traceback" not in merged.text + providers.text


async def test_hanging_provider_is_reported_with_its_deadline():
    hub = make_hub({"good": StaticProvider("good"), "hangs": HangingProvider("hangs")}, discovery_timeout=DEADLINE)
    async with app_client(hub) as client:
        own = await client.get("/public/hangs/endpoints")
        rows = {r["name"]: r for r in (await client.get("/public/providers")).json()}
    assert own.status_code == 503 and own.json()["type"] == "urn:hub-core:problem:provider-unavailable"
    assert "deadline" in own.json()["detail"] or "deadline" in rows["hangs"]["message"]


async def test_a_conversion_bug_skips_one_entry_only():
    hub = make_hub({"conv": RaisingConversion("conv")})
    async with app_client(hub) as client:
        groups = [g["model_group"] for g in (await client.get("/public/model_hub")).json()]
    assert groups == ["conv/beta"]


async def test_a_route_bug_leaves_out_only_that_providers_routes():
    hub = make_hub({"badroutes": RaisingRoutes("badroutes"), "good": StaticProvider("good")})
    async with app_client(hub) as client:
        assert (await client.get("/public/badroutes/endpoints")).status_code == 200
        assert (await client.get("/public/model_hub")).status_code == 200


async def test_configured_targets_that_hangs_fails_only_its_provider():
    class HangingTargets(StaticProvider):
        @hookimpl
        async def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
            await asyncio.sleep(30)
            return []

    hub = make_hub({"hang": HangingTargets("hang"), "ok": StaticProvider("ok")}, discovery_timeout=0.3)
    async with app_client(hub) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        merged = await client.get("/public/model_hub")
        providers = (await client.get("/public/providers")).json()
        assert loop.time() - started < 10, "the 30 s hang was cut at the 0.3 s deadline"
    assert [g["model_group"] for g in merged.json()] == ["ok/alpha", "ok/beta"]
    statuses = {p["name"]: p for p in providers}
    assert statuses["hang"]["status"] == "error" and "within 0.3 s" in statuses["hang"]["message"]
