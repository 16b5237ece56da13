"""Many replicas sharing one Redis: one upstream call between them, and no outage when Redis dies."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
import redis
from conftest_helpers import require_service
from redis_server import redis_available, redis_server
from waiting import eventually

import hub_databricks
from hub_core.testing import app_client, make_hub
from hub_databricks.testing import DEFAULT_PAT, FakeWorkspace, rich_workspace

URL = "/public/model_hub?provider=databricks"
pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url():
    require_service("redis-server", redis_available())
    with redis_server() as (url, process):
        yield url, process


@pytest.fixture
def fake(monkeypatch):
    with FakeWorkspace(rich_workspace()) as workspace:
        monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", DEFAULT_PAT)
        yield workspace


def replica(url: str, **settings):
    return make_hub({"databricks": hub_databricks}, redis_url=url, **settings)


@pytest.mark.parametrize("slow", [True, False], ids=["slow-upstream", "fast-upstream"])
async def test_replicas_make_one_upstream_call_between_them(redis_url, fake, slow):
    url, _ = redis_url
    if slow:
        fake.inject("slow", delay=0.3)  # keep the first refresh in flight while the others arrive
    async with app_client(replica(url)) as first, app_client(replica(url)) as second:
        responses = await asyncio.gather(*(c.get(URL) for _ in range(100) for c in (first, second)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert fake.list_calls == 1


async def test_a_later_replica_serves_the_shared_list_at_once(redis_url, fake):
    url, _ = redis_url
    async with app_client(replica(url)) as first:
        assert (await first.get(URL)).status_code == 200
    async with app_client(replica(url)) as later:
        response = await later.get(URL)
    assert response.status_code == 200 and len(response.json()) == len(rich_workspace())
    assert fake.list_calls == 1


async def test_retry_after_is_shared_between_replicas(redis_url, fake):
    url, _ = redis_url
    fake.inject("429", retry_after=8)  # longer than the in-refresh retry budget
    async with app_client(replica(url)) as first, app_client(replica(url)) as second:
        assert (await first.get(URL)).status_code == 503
        shared = redis.Redis.from_url(url)
        try:  # the pause is written in the background: wait for it, not for a guessed time
            await eventually(lambda: bool(shared.exists("hub:v1:block:databricks:default")), what="the shared pause")
        finally:
            shared.close()
        calls = fake.list_calls
        refused = await second.get(URL)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert fake.list_calls == calls, "the second replica called a workspace that asked for a pause"


async def test_redis_killed_mid_run_requests_still_succeed(redis_url, fake, caplog):
    url, process = redis_url
    caplog.set_level(logging.WARNING, logger="hub_core.cache")
    async with app_client(replica(url, cache_ttl=0.1, stale_ttl=60)) as client:
        statuses = []
        for i in range(30):
            if i == 10:
                process.kill()
                process.wait()
            statuses.append((await client.get(URL)).status_code)
            await asyncio.sleep(0.03)
        metrics = (await client.get("/metrics")).text
    assert set(statuses) == {200}
    fallbacks = [line for line in metrics.splitlines() if line.startswith('hub_redis_fallbacks_total{operation="get"}')]
    assert fallbacks and float(fallbacks[0].split()[-1]) >= 1, "the fallbacks after the kill are counted"
    warnings = [r for r in caplog.records if "Shared cache unavailable" in r.getMessage()]
    assert len(warnings) == 1, "the fallback is logged once"


async def test_hub_serve_processes_share_redis(redis_url, fake):
    from serving import running_hub

    url, _ = redis_url
    env = {"HUB_REDIS_URL": url, "DATABRICKS_HOST": fake.url, "DATABRICKS_TOKEN": DEFAULT_PAT}
    fake.inject("slow", delay=0.5)
    with running_hub(**env) as one, running_hub(**env) as two:
        async with httpx.AsyncClient(timeout=60) as client:  # room for a loaded machine; not what is tested
            responses = await asyncio.gather(*(client.get(f"{base}{URL}") for _ in range(50) for base in (one, two)))
    assert {r.status_code for r in responses} == {200}
    assert fake.list_calls == 1
