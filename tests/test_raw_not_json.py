"""An endpoint whose ``raw`` JSON cannot hold is served, never a 500, and said to be unshareable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from conftest_helpers import require_service
from redis_server import redis_available, redis_server

from hub_core import Endpoint, Target, hookimpl
from hub_core.testing import app_client, make_hub


class SetInRaw:
    @hookimpl
    def configured_targets(self, config: Mapping[str, Any]) -> list[Target]:
        return [Target(name="eu")]

    @hookimpl
    def discover_endpoints(self, target: Target) -> list[Endpoint]:
        return [Endpoint(provider="acme", name="m", target="eu", mode="chat", raw={"tags": {"a", "b"}})]


pytestmark = pytest.mark.redis


async def test_a_raw_payload_that_is_not_json_is_served_and_not_shared(caplog: pytest.LogCaptureFixture):
    require_service("redis-server", redis_available())
    with redis_server() as (url, _):
        hub = make_hub({"acme": SetInRaw()}, redis_url=url)
        async with app_client(hub) as client:
            response = await client.get("/public/model_hub", params={"provider": "acme"})
    assert response.status_code == 200
    assert [row["model_group"] for row in response.json()] == ["acme/m"]
    assert "Provider 'acme' listing target 'eu' cannot be shared through Redis" in caplog.text
