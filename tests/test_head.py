"""``HEAD`` answers every ``GET`` route as the ``GET`` would, without a body."""

from __future__ import annotations

from databricks_hubs import databricks_hub
from fastapi import FastAPI

from hub_core.app import create_app, include_hub
from hub_core.testing import app_client

EXAMPLES = {"{provider}": "databricks", "{name}": "hub.js"}
SKIP_HEADERS = {"date", "age"}


def get_paths(app: FastAPI) -> list[str]:
    from fastapi.routing import iter_route_contexts

    paths = []
    for context in iter_route_contexts(app.routes):
        if "GET" in (context.methods or set()) and context.path:
            path = context.path
            for name, value in EXAMPLES.items():
                path = path.replace(name, value)
            paths.append(path)
    return paths


async def test_head_on_every_get_route_of_the_standalone_app(workspace):
    app = create_app(hub=databricks_hub())
    async with app_client(app) as client:
        assert (await client.get("/public/model_hub")).status_code == 200  # so /readyz is ready
        paths = [*get_paths(app), "/public/model_hub?provider=databricks", "/docs/assets/swagger-ui.css"]
        assert "/public/model_hub" in paths and "/healthz" in paths and "/metrics" in paths
        for path in paths:
            got = await client.get(path)
            head = await client.head(path)
            assert head.status_code == got.status_code == 200, (path, head.status_code, got.status_code)
            assert head.content == b"", path
            same = {k: v for k, v in got.headers.items() if k not in SKIP_HEADERS and k != "content-length"}
            if path != "/metrics":  # its counters move between the two requests
                assert head.headers.get("content-length") == got.headers.get("content-length"), path
                assert {k: head.headers.get(k) for k in same} == same, path


async def test_head_is_not_offered_where_get_is_not(workspace):
    async with app_client(databricks_hub()) as client:
        response = await client.head("/public/databricks/endpoints/discover")
    assert response.status_code == 405


async def test_head_on_the_hubs_routes_when_mounted_in_a_gateway(workspace):
    gateway = FastAPI()

    @gateway.get("/own")
    async def own() -> dict[str, str]:
        return {"own": "yes"}

    hub = include_hub(gateway, hub=databricks_hub())
    try:
        async with app_client(gateway) as client:
            hub_head = await client.head("/public/model_hub")
            own_head = await client.head("/own")
    finally:
        await hub.aclose()
    assert hub_head.status_code == 200 and hub_head.content == b""
    assert own_head.status_code == 405, "the gateway's own routes are left as the gateway made them"
