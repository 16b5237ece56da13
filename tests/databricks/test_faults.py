"""Upstream faults against the fake workspace: the hub keeps answering, within its deadline."""

from __future__ import annotations

import asyncio
import time

from waiting import eventually

from hub_core.testing import app_client
from hub_databricks.testing import FakeWorkspace, rich_workspace

from .conftest import CLIENT_ID, CLIENT_SECRET, databricks_hub

URL = "/public/model_hub?provider=databricks"
HANG = 30  # seconds a "hang" fault holds a request


async def test_503_for_a_while_serves_the_stale_list_with_no_client_5xx(pat_env):
    async with app_client(databricks_hub(cache_ttl=0.2, stale_ttl=60, discovery_timeout=1)) as client:
        warm = await client.get(URL)
        assert warm.status_code == 200 and warm.headers["X-Hub-Stale"] == "false"
        pat_env.inject("503", times=10_000)
        await asyncio.sleep(0.3)
        statuses, stale = [], []
        for _ in range(40):
            response = await client.get(URL)
            statuses.append(response.status_code)
            stale.append(response.headers["X-Hub-Stale"])
            assert response.content == warm.content
            await asyncio.sleep(0.025)
    assert set(statuses) == {200}
    assert set(stale) == {"true"}
    assert pat_env.list_calls < 15, "failures back off instead of hammering the upstream"


async def test_a_hanging_upstream_never_holds_a_client_past_the_deadline(pat_env):
    pat_env.inject("hang", times=10_000, delay=30)
    async with app_client(databricks_hub(discovery_timeout=0.5)) as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.get(URL) for _ in range(20)))
        elapsed = time.monotonic() - started
    # Far below the 30 s hang, with room for a loaded machine; never a measure of speed.
    assert elapsed < HANG / 3
    assert {r.status_code for r in responses} == {503}
    assert all(r.headers["content-type"] == "application/problem+json" for r in responses)


async def test_a_hanging_upstream_with_a_stale_list_answers_at_once(pat_env):
    # A 20 s deadline: a request that waited for the hanging refresh would take that long.
    async with app_client(databricks_hub(cache_ttl=0.1, stale_ttl=60, discovery_timeout=20)) as client:
        assert (await client.get(URL)).status_code == 200
        pat_env.inject("hang", times=10_000, delay=HANG)
        await asyncio.sleep(0.15)  # past the TTL; sleeping longer only makes it more stale
        for _ in range(10):
            started = time.monotonic()
            response = await client.get(URL)
            assert response.status_code == 200 and response.headers["X-Hub-Stale"] == "true"
            assert time.monotonic() - started < 5, "the stale list is served without waiting for the refresh"
        await eventually(lambda: pat_env.list_calls >= 2, what="the refresh reaching the workspace")
        assert pat_env.list_calls == 2, "one refresh, still hanging, behind every request"


async def test_429_retry_after_is_honoured(pat_env):
    async with app_client(databricks_hub(cache_ttl=0.1, stale_ttl=60, discovery_timeout=15)) as client:
        assert (await client.get(URL)).status_code == 200
        pat_env.inject("429", retry_after=4, times=1)
        await asyncio.sleep(0.15)
        assert (await client.get(URL)).headers["X-Hub-Stale"] == "true"  # starts the refresh that meets the 429
        await eventually(lambda: not pat_env.pending_faults(), what="the refresh meeting the 429")
        calls_after_429 = pat_env.list_calls
        quiet_until = time.monotonic() + 2  # well inside the 4 s, however late we saw the 429
        while time.monotonic() < quiet_until:
            response = await client.get(URL)
            assert response.status_code == 200
            await asyncio.sleep(0.05)
        assert pat_env.list_calls == calls_after_429, "a call went out before Retry-After"
        await eventually(lambda: pat_env.list_calls > calls_after_429, what="a call after Retry-After")
        assert (await client.get(URL)).status_code == 200


async def test_oauth_token_expiring_under_concurrent_load(monkeypatch):
    # expires_in=43 leaves 3 s before the 40 s refresh margin: ample for one round of requests on a
    # loaded machine, and the token expires during the sleep.
    with FakeWorkspace(rich_workspace(), clients={CLIENT_ID: CLIENT_SECRET}, token_ttl=43) as fake:
        monkeypatch.setenv("DATABRICKS_HOST", fake.url)
        monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
        async with app_client(databricks_hub(cache_ttl=0, stale_ttl=0)) as client:
            statuses = []
            responses = await asyncio.gather(*(client.get(URL) for _ in range(30)))
            statuses += [r.status_code for r in responses]
            assert fake.token_calls == 1, "concurrent requests share the first token"
            await asyncio.sleep(3.2)  # past the token's life; longer only makes it more expired
            # Requests that all find the token expired at once: exactly one refresh between them.
            responses = await asyncio.gather(*(client.get(URL) for _ in range(30)))
            statuses += [r.status_code for r in responses]
            refreshed = fake.token_calls
    assert set(statuses) == {200}
    assert refreshed == 2, "one initial token and exactly one refresh"


async def test_freshness_headers_and_conditional_requests(pat_env):
    async with app_client(databricks_hub()) as client:
        first = await client.get(URL)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"].startswith("public, max-age=")
        assert int(first.headers["Age"]) >= 0 and first.headers["X-Hub-Stale"] == "false"
        again = await client.get(URL, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        endpoints = await client.get("/public/databricks/endpoints")
        body = endpoints.json()
        assert body["stale"] is False and body["fetched_at"]
        assert endpoints.headers["ETag"] != etag
        assert (
            await client.get("/public/databricks/endpoints", headers={"If-None-Match": endpoints.headers["ETag"]})
        ).status_code == 304


async def test_pat_change_of_endpoints_changes_the_etag(pat_env):
    async with app_client(databricks_hub(cache_ttl=0, stale_ttl=0)) as client:
        first = (await client.get(URL)).headers["ETag"]
        assert (await client.get(URL)).headers["ETag"] == first
        pat_env.endpoints = pat_env.endpoints[1:]
        assert (await client.get(URL)).headers["ETag"] != first
