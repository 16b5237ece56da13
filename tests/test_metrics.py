"""``/metrics``: Prometheus text with bounded, secret-free labels."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import socket

import httpx
from databricks_hubs import databricks_hub
from prometheus_client.parser import text_string_to_metric_families

from hub_core.testing import app_client
from hub_databricks.testing import DEFAULT_PAT


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_upstream_calls_cache_and_refreshes_are_counted(workspace):
    async with app_client(databricks_hub()) as client:
        for _ in range(3):
            assert (await client.get("/public/model_hub")).status_code == 200  # the fast path
        assert (await client.get("/public/databricks/endpoints")).status_code == 200
        assert (await client.get("/public/model_hub", params={"provider": "NOPE!"})).status_code == 400
        response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    requests = "hub_http_requests_total"
    assert value(found, requests, method="GET", route="/public/model_hub", status="200") == 3
    assert value(found, requests, method="GET", route="/public/{provider}/endpoints", status="200") == 1
    assert value(found, requests, method="GET", route="/public/model_hub", status="400") == 1
    assert value(found, "hub_upstream_calls_total", provider="databricks", target="default", outcome="ok") == 1
    assert value(found, "hub_upstream_call_duration_seconds_count", provider="databricks", target="default") == 1
    assert value(found, "hub_cache_lookups_total", provider="databricks", target="default", result="miss") == 1
    assert value(found, "hub_cache_lookups_total", provider="databricks", target="default", result="hit") >= 3
    refreshes = value(
        found, "hub_refresh_duration_seconds_count", provider="databricks", target="default", outcome="ok"
    )
    assert refreshes == 1
    assert DEFAULT_PAT not in response.text and workspace.url not in response.text


async def test_upstream_errors_and_stale_answers_are_counted(workspace):
    async with app_client(databricks_hub(cache_ttl=0.05)) as client:
        assert (await client.get("/public/model_hub")).status_code == 200
        workspace.inject("403", times=50)
        await asyncio.sleep(0.1)
        assert (await client.get("/public/model_hub")).status_code == 200  # stale, refreshing behind
        await asyncio.sleep(0.2)
        found = samples((await client.get("/metrics")).text)
    labels = {"provider": "databricks", "target": "default"}
    assert value(found, "hub_cache_lookups_total", **labels, result="stale") >= 1
    assert value(found, "hub_upstream_calls_total", **labels, outcome="error") >= 1
    assert value(found, "hub_refresh_duration_seconds_count", **labels, outcome="error") >= 1


async def test_random_paths_and_methods_do_not_grow_the_label_set(workspace):
    async def junk_requests(client: httpx.AsyncClient, count: int) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
        for _ in range(count):
            junk = secrets.token_hex(8)
            await client.get(f"/{junk}")
            await client.get(f"/public/{junk}/endpoints")  # a template: one label however many names
            await client.request(junk.upper(), "/public/model_hub")
        await client.get("/metrics")  # so the next answer counts a /metrics request too
        return set(samples((await client.get("/metrics")).text))

    async with app_client(databricks_hub()) as client:
        await client.get("/public/model_hub")
        first = await junk_requests(client, 20)
        second = await junk_requests(client, 300)
    assert second == first, "900 more distinct requests added no series"
    routes = {dict(labels).get("route") for name, labels in second if name == "hub_http_requests_total"}
    assert routes == {"/public/model_hub", "/public/{provider}/endpoints", "/metrics", "unmatched"}
    methods = {dict(labels)["method"] for name, labels in second if name == "hub_http_requests_total"}
    assert methods == {"GET", "other"}


async def test_circuit_state_is_exported_per_target(workspace):
    hub = databricks_hub()
    # No 5 s error pause between failures, so three requests trip the breaker at once.
    hub.cache.policy = dataclasses.replace(hub.cache.policy, error_ttl=0.0, breaker_cooldown=0.5)
    labels = {"provider": "databricks", "target": "default"}
    async with app_client(hub) as client:  # the provider's route: one refresh per request
        workspace.inject("403", times=50)
        for _ in range(2):
            assert (await client.get("/public/databricks/endpoints")).status_code >= 500
        below = samples((await client.get("/metrics")).text)
        assert (await client.get("/public/databricks/endpoints")).status_code >= 500
        tripped = samples((await client.get("/metrics")).text)
        calls = workspace.list_calls
        held = await client.get("/public/databricks/endpoints")
        assert held.status_code >= 500 and "Retry-After" in held.headers
        assert workspace.list_calls == calls, "the open circuit made no upstream call"
        await asyncio.sleep(0.6)  # the cooldown passes: the next refresh is the trial
        workspace.clear_faults()
        assert (await client.get("/public/databricks/endpoints")).status_code == 200
        closed = samples((await client.get("/metrics")).text)
    assert ("hub_circuit_open", tuple(sorted(labels.items()))) in below, "the target's series exists before it trips"
    assert value(below, "hub_circuit_open", **labels) == 0
    assert value(tripped, "hub_circuit_open", **labels) == 1
    assert value(tripped, "hub_upstream_calls_total", **labels, outcome="error") == 3
    assert value(closed, "hub_circuit_open", **labels) == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_redis_fallbacks_are_counted_by_operation_without_the_url(workspace):
    password = "redis-pw-" + secrets.token_hex(6)
    hub = databricks_hub(redis_url=f"redis://:{password}@127.0.0.1:{_closed_port()}/0")
    async with app_client(hub) as client:
        before = samples((await client.get("/metrics")).text)
        assert (await client.get("/public/model_hub")).status_code == 200  # served from memory
        response = await client.get("/metrics")
    found = samples(response.text)
    assert value(before, "hub_redis_fallbacks_total", operation="get") == 0
    assert ("hub_redis_fallbacks_total", (("operation", "release"),)) in before, "every operation starts at 0"
    assert value(found, "hub_redis_fallbacks_total", operation="get") >= 1
    assert value(found, "hub_redis_fallbacks_total", operation="put") == 1
    operations = {dict(labels)["operation"] for name, labels in found if name == "hub_redis_fallbacks_total"}
    assert operations == {"get", "put", "acquire", "release", "blocked_until", "block"}
    assert password not in response.text and "127.0.0.1" not in response.text


async def test_no_redis_fallback_series_without_a_shared_cache(workspace):
    async with app_client(databricks_hub()) as client:
        await client.get("/public/model_hub")
        found = samples((await client.get("/metrics")).text)
    assert not [name for name, _ in found if name.startswith("hub_redis_fallbacks")]
