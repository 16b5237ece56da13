"""Bodies made once per refresh off the event loop are the ones the slow path made per request.

Each check rebuilds the answer the old way (per request, on the loop) from the same data and
compares: the same bytes where the route sends pydantic's or orjson's bytes, the same JSON otherwise.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import orjson
import pytest

from hub_core import Deployment, Discovery, Endpoint, ServedEntity
from hub_core.api.public import SLICE, JSONBytes
from hub_core.browse import parse_list_query, sort_rows, wire_mode
from hub_core.codec import CHUNK, DiscoveryCodec
from hub_core.testing import app_client
from hub_core.views import ENDPOINTS, MODEL_GROUPS, dump_in_chunks
from hub_databricks.parse import parse_endpoints
from hub_databricks.routes import legacy_item
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, many_endpoints, rich_workspace

from .conftest import databricks_hub

COUNT = 3 * CHUNK + 7  # several chunks and a short last one


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeWorkspace(rich_workspace() + many_endpoints(COUNT)) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield fake


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, COUNT])
def test_dump_in_chunks_is_the_same_bytes_as_one_dump(size: int) -> None:
    groups = [{"model_group": f"g{i}", "providers": ["p"], "mode": "chat"} for i in range(size)]
    models = MODEL_GROUPS.validate_python(groups)
    assert dump_in_chunks(MODEL_GROUPS, models) == MODEL_GROUPS.dump_json(models)


async def test_legacy_serving_endpoints_is_the_slow_paths_json(big: FakeWorkspace) -> None:
    hub = databricks_hub()
    async with app_client(hub) as client:
        response = await client.get("/public/databricks/serving_endpoints")
        again = await client.get("/public/databricks/serving_endpoints")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert again.content == response.content and again.headers["etag"] == response.headers["etag"]
    result = await hub.endpoints("databricks")  # the old route's data, then its per-request body
    slow = {
        "endpoints": [legacy_item(e.raw, e.endpoint_url, e.target) for e in result.endpoints if e.raw],
        "workspace_url": big.url,
        "source": result.source,
        "fetched_at": result.fetched_at.isoformat().replace("+00:00", "Z") if result.fetched_at else None,
        "stale": result.stale,
    }
    assert response.json() == slow
    assert len(slow["endpoints"]) == COUNT + len(rich_workspace())
    assert "[REDACTED]" in response.text  # the rich workspace's external-model keys


async def test_endpoints_and_model_hub_bodies_are_the_slow_paths_bytes(big: FakeWorkspace) -> None:
    hub = databricks_hub()
    async with app_client(hub) as client:
        endpoints = await client.get("/public/databricks/endpoints")
        available = await client.get("/public/model_hub", params={"available": "true"})
        unavailable = await client.get("/public/model_hub", params={"available": "false", "provider": "databricks"})
    view = await hub.view("databricks")
    assert endpoints.content.endswith(b',"endpoints":' + ENDPOINTS.dump_json(view.endpoints) + b"}")
    assert available.content == MODEL_GROUPS.dump_json([g for g in view.groups if g.available])
    assert unavailable.content == MODEL_GROUPS.dump_json([g for g in view.groups if not g.available])
    assert unavailable.json(), "the fixture must have endpoints that are not ready"


QUERIES = [
    "",
    "page=3&page_size=100",
    "sort=-max_input_tokens,provider&filter[mode][in]=chat,embedding&q=1",
    "sort=display_name&filter[available]=false&page=2&page_size=7",
    "sort=-mode,-providers&filter[features][in]=function_calling,vision",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_v1_page_is_the_slow_paths_json(big: FakeWorkspace, query: str) -> None:
    hub = databricks_hub()
    async with app_client(hub) as client:
        response = await client.get("/public/v1/model_hub?" + query)
    assert response.status_code == 200
    parsed = parse_list_query([tuple(p.split("=", 1)) for p in query.split("&") if p])  # type: ignore[misc]
    view = await hub.view("databricks")
    rows = sort_rows([("databricks", g) for g in view.groups if parsed.query.matches(("databricks", g))], parsed.sort)
    start = (parsed.page - 1) * parsed.page_size
    slow = [g.model_dump(mode="json") for _, g in rows[start : start + parsed.page_size]]
    body = response.json()
    assert body["data"] == orjson.loads(orjson.dumps(slow))
    assert body["data"], "each query must select something"
    assert body["meta"]["total_count"] == len(rows)


@pytest.mark.parametrize("facet", ["providers", "modes", "features"])
async def test_v1_facets_are_the_slow_paths_counts(big: FakeWorkspace, facet: str) -> None:
    hub = databricks_hub()
    async with app_client(hub) as client:
        response = await client.get(f"/public/v1/model_hub/{facet}", params={"filter[available]": "false"})
    view = await hub.view("databricks")
    values = {
        "providers": lambda g: g.providers,
        "modes": lambda g: [wire_mode(g)],
        "features": lambda g: [f for f, flag in [("function_calling", g.supports_function_calling),
                                                  ("parallel_function_calling", g.supports_parallel_function_calling),
                                                  ("vision", g.supports_vision),
                                                  ("reasoning", g.supports_reasoning)] if flag],
    }[facet]  # fmt: skip
    counts = Counter(v for g in view.groups if not g.available for v in set(values(g)) if v)
    body = response.json()
    assert body["data"] == sorted(counts)[:50]
    assert body["meta"]["counts"] == {v: counts[v] for v in body["data"]}
    assert body["meta"]["total"] == sum(1 for g in view.groups if not g.available)


async def test_concurrent_first_requests_share_one_build(big: FakeWorkspace) -> None:
    hub = databricks_hub()
    view = await hub.view("databricks")
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        return b"made"

    results = await asyncio.gather(*(view.made("test:thing", make) for _ in range(20)))
    assert results == [b"made"] * 20 and len(calls) == 1
    assert await view.made("test:thing", make) == b"made" and len(calls) == 1


async def test_a_failed_build_is_not_remembered(big: FakeWorkspace) -> None:
    view = await databricks_hub().view("databricks")
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first build fails")
        return "second"

    with pytest.raises(RuntimeError):
        await view.made("test:flaky", flaky)
    assert await view.made("test:flaky", flaky) == "second"


async def test_a_large_body_goes_out_in_slices_and_arrives_whole() -> None:
    body = bytes(range(256)) * (14 * 1024)  # 3.5 MiB
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await JSONBytes(body)({"type": "http", "method": "GET"}, receive, send)
    pieces = [m for m in sent if m["type"] == "http.response.body"]
    assert len(pieces) == 4 and all(len(m["body"]) <= SLICE for m in pieces)
    assert b"".join(m["body"] for m in pieces) == body
    assert [m["more_body"] for m in pieces] == [True, True, True, False]
    assert dict(sent[0]["headers"])[b"content-length"] == str(len(body)).encode()


async def test_the_sliced_routes_send_the_whole_body_and_honour_if_none_match(big: FakeWorkspace) -> None:
    hub = databricks_hub()
    async with app_client(hub) as client:
        identity = {"Accept-Encoding": "identity"}
        legacy = await client.get("/public/databricks/serving_endpoints", headers=identity)
        gzipped = await client.get("/public/databricks/serving_endpoints", headers={"Accept-Encoding": "gzip"})
        again = await client.get(
            "/public/databricks/serving_endpoints", headers={"If-None-Match": legacy.headers["etag"]}
        )
        hub_body = await client.get("/public/model_hub", params={"provider": "databricks"})  # the fast path
    assert len(legacy.content) > SLICE and int(legacy.headers["content-length"]) == len(legacy.content)
    assert gzipped.headers["content-encoding"] == "gzip" and gzipped.content == legacy.content
    assert again.status_code == 304 and again.content == b""
    view = await hub.view("databricks")
    assert len(hub_body.content) > SLICE and hub_body.content == MODEL_GROUPS.dump_json(view.groups)


def test_endpoints_built_without_validation_are_what_validation_builds() -> None:
    items = rich_workspace() + many_endpoints(40)
    endpoints = parse_endpoints(items, target="default", host="https://adb-1.7.azuredatabricks.net")
    assert len(endpoints) == len(items)
    for endpoint in endpoints:
        validated = Endpoint.model_validate({**endpoint.model_dump(), "raw": endpoint.raw})
        assert validated == endpoint
        assert validated.model_dump_json() == endpoint.model_dump_json()
        assert all(type(e) is ServedEntity for e in endpoint.entities)


async def test_deployments_built_without_validation_are_what_validation_builds(big: FakeWorkspace) -> None:
    view = await databricks_hub().view("databricks")
    deployments = [d for g in view.groups for d in g.deployments]
    assert len(deployments) == len(view.endpoints)
    assert all(Deployment.model_validate(d.model_dump()) == d for d in deployments)


async def test_every_large_body_is_built_off_the_event_loop_thread(big: FakeWorkspace, monkeypatch) -> None:
    import hub_core.browse as browse
    import hub_core.views as views_module
    import hub_databricks.routes as routes

    threads: dict[str, set[str]] = {}

    def recorded(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threads.setdefault(name, set()).add(threading.current_thread().name)
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(routes, "legacy_items", recorded("legacy", routes.legacy_items))
    monkeypatch.setattr(browse, "select", recorded("select", browse.select))
    monkeypatch.setattr(browse, "count_facet", recorded("facet", browse.count_facet))
    monkeypatch.setattr(views_module, "dump_in_chunks", recorded("dump", views_module.dump_in_chunks))
    async with app_client(databricks_hub()) as client:
        for path in [
            "/public/model_hub",
            "/public/model_hub?available=true",
            "/public/databricks/endpoints",
            "/public/databricks/serving_endpoints",
            "/public/v1/model_hub?sort=-max_input_tokens",
            "/public/v1/model_hub/modes",
        ]:
            assert (await client.get(path)).status_code == 200, path
    assert set(threads) == {"legacy", "select", "facet", "dump"}
    assert threading.main_thread().name not in set().union(*threads.values()), threads


@pytest.mark.parametrize("size", [0, 1, CHUNK, COUNT])
def test_the_shared_cache_codec_encodes_in_chunks_to_the_same_bytes(size: int) -> None:
    items = (rich_workspace() + many_endpoints(COUNT))[:size]
    endpoints = parse_endpoints(items, target="default", host="https://adb-1.7.azuredatabricks.net")
    codec = DiscoveryCodec()
    payload = codec.encode(Discovery(endpoints=endpoints))
    assert payload == orjson.dumps([{**e.model_dump(mode="json"), "raw": e.raw} for e in endpoints])
    assert codec.decode(payload).endpoints == endpoints
